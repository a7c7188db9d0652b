import { CONFIG_FILE, loadAlertsConfig, type AlertsConfig } from "../../alerts/config.js";
import { detailOf, evaluateAlerts, type AlertsOutcome } from "../../alerts/engine.js";
import type { SendFn } from "../../alerts/notify.js";
import { describeAnomaly, detectAnomalies, type DetectedAnomalies } from "../../alerts/quality.js";
import { systemClock, type Clock } from "../../runtime/clock.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { openStateStore } from "../../runtime/state/open.js";
import type { Incident, StateStore } from "../../runtime/state/store.js";
import { loadEnv } from "../env.js";
import { colors, EXIT, plural, type Io } from "../io.js";

type Env = Readonly<Record<string, string | undefined>>;

/** What the alert commands take from outside; tests inject a fake clock and a local `send`. */
export interface AlertsDeps {
  readonly clock?: Clock;
  readonly send?: SendFn;
  /** Attempts per delivery (default 4). */
  readonly attempts?: number;
}

const when = (ms: number) => formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);

function summaryOf(config: AlertsConfig): string {
  return `${plural(config.targets.length, "target")}, ${plural(config.rules.length, "rule")}`;
}

function incidentLine(i: Incident): string {
  const d = detailOf(i);
  const call = d.system !== undefined ? ` ${d.system} ${d.operation ?? ""}`.trimEnd() : "";
  return `${i.rule} · ${i.flow}${call}: ${d.message}`;
}

function anomalyLines(found: readonly DetectedAnomalies[], onlyNew: boolean): string[] {
  return found
    .filter((d) => d.anomalies.length > 0 && (!onlyNew || d.added > 0))
    .map((d) => `${d.flow} run #${d.runId}: ${d.anomalies.map(describeAnomaly).join("; ")}`);
}

/**
 * `ferry alerts [--check]`: without `--check`, evaluates the rules of ferry.config.json now, opens
 * and resolves incidents, sends the notices, and prints what is firing and what resolved (exit 0;
 * exit 1 when the file has mistakes). With `--check`, only validates the file.
 */
export async function alertsCommand(io: Io, options: { check?: boolean }, deps: AlertsDeps = {}): Promise<number> {
  const env = loadEnv(io.cwd, io.env);
  const loaded = loadAlertsConfig(io.cwd, env);
  for (const line of loaded.errors) io.stderr.write(`${line}\n`);
  if (loaded.errors.length > 0) return EXIT.inputErrors;
  if (options.check) {
    io.stdout.write(loaded.config ? `${CONFIG_FILE}: ok (${summaryOf(loaded.config)})\n` : `no ${CONFIG_FILE} here: no alerts\n`);
    return EXIT.ok;
  }
  if (!loaded.config) {
    io.stdout.write(`no ${CONFIG_FILE} here: no alerts (see the README for its format)\n`);
    return EXIT.ok;
  }
  const store = openStateStore(env, io.cwd);
  try {
    const outcome = await evaluateAlerts({ store, config: loaded.config, env, clock: deps.clock ?? systemClock, send: deps.send, attempts: deps.attempts });
    printOutcome(io, outcome, false);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

function printOutcome(io: Io, outcome: AlertsOutcome, afterRun: boolean): void {
  const c = colors(io);
  const out = afterRun ? io.stderr : io.stdout;
  const newIds = new Set(outcome.fired.map((i) => i.id));
  // After a run only what changed is worth a line; `ferry alerts` lists every open incident.
  for (const i of afterRun ? outcome.fired : outcome.open) {
    out.write(`${c.red("firing")}   ${incidentLine(i)}  (since ${when(i.openedAt)}${newIds.has(i.id) ? ", new" : ""})\n`);
  }
  for (const i of outcome.resolved) out.write(`${c.green("resolved")} ${incidentLine(i)}\n`);
  if (!afterRun && outcome.open.length === 0 && outcome.resolved.length === 0) out.write("no incidents\n");
  for (const line of anomalyLines(outcome.anomalies, afterRun)) out.write(`${c.yellow("anomaly")}  ${line}\n`);
  for (const n of outcome.notifications) {
    const incident = [...outcome.open, ...outcome.resolved].find((i) => i.id === n.incidentId);
    const what = `${n.event} notice of ${incident ? `${incident.rule} · ${incident.flow}` : `incident ${n.incidentId}`} to ${n.target}`;
    if (n.ok) {
      if (!afterRun) out.write(`sent     ${what}\n`);
    } else {
      io.stderr.write(`${c.yellow("warning")}: could not send the ${what}: ${n.error ?? "unknown error"}\n`);
    }
  }
}

/**
 * What `ferry run` does when a run ends: detects data-quality anomalies of the run, then, when
 * ferry.config.json has alerts, evaluates them and sends the notices. Never fails the run: a bad
 * config file, a webhook that is down or anything else is printed as a warning on stderr.
 */
export async function afterRunAlerts(io: Io, env: Env, cwd: string, store: StateStore, deps: AlertsDeps = {}): Promise<void> {
  const c = colors(io);
  const warn = (text: string) => io.stderr.write(`${c.yellow("warning")}: ${text}\n`);
  const clock = deps.clock ?? systemClock;
  try {
    const loaded = loadAlertsConfig(cwd, env);
    for (const line of loaded.errors) warn(`${line} (alerts skipped; check with: ferry alerts --check)`);
    if (!loaded.config) {
      // No alerts, but anomalies are still stored, for `ferry alerts` and the console to show.
      const found = await detectAnomalies(store, clock.now());
      for (const line of anomalyLines(found, true)) io.stderr.write(`${c.yellow("anomaly")}  ${line}\n`);
      return;
    }
    const outcome = await evaluateAlerts({ store, config: loaded.config, env, clock, send: deps.send, attempts: deps.attempts });
    printOutcome(io, outcome, true);
  } catch (error) {
    warn(`alerts: ${error instanceof Error ? error.message : String(error)}`);
  }
}
