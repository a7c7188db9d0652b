import { attemptsOf } from "../runtime/call-meter.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../runtime/datetime.js";
import type { RunRecord, StateStore } from "../runtime/state/store.js";
import type { AlertRule, AlertsConfig, RuleKind } from "./config.js";
import { describeAnomaly, median } from "./quality.js";
import { describeDrift, type DriftReport } from "../runtime/drift.js";

/** What a rule measured when it fires; stored as the incident's detail. */
export interface IncidentDetail {
  readonly kind: RuleKind;
  /** The measured value (a count, a percent, hours); null when there is nothing to measure (never succeeded). */
  readonly value: number | null;
  readonly threshold: number;
  readonly message: string;
  readonly system?: string;
  readonly operation?: string;
}

/** A rule that fires for a flow (and, for error rates, a system operation) at the time evaluated. */
export interface Firing extends IncidentDetail {
  /** The incident key: one open incident per key. */
  readonly key: string;
  readonly rule: string;
  readonly flow: string;
}

/** rule + flow (+ system and operation): what makes two firings the same incident. */
export function incidentKey(rule: string, flow: string, system?: string, operation?: string): string {
  // JSON keeps the parts apart whatever characters names hold.
  return JSON.stringify(system === undefined ? [rule, flow] : [rule, flow, system, operation ?? ""]);
}

/** Runs looked at to find a flow's last real run past dry runs. */
const RECENT_RUNS = 20;
/** Anomalies of one run looked at. */
const ANOMALIES_PER_RUN = 1000;
/** Successful runs a row count is compared with (before the latest). */
const ROW_COUNT_HISTORY = 10;
const ROW_COUNT_MIN_HISTORY = 3;

const round1 = (n: number) => Math.round(n * 10) / 10;
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const when = (ms: number) => formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);

/**
 * Evaluates every rule against the state store at time `now` and returns what fires. Read-only:
 * opening and resolving incidents is the engine's part.
 */
export async function evaluateRules(store: StateStore, config: AlertsConfig, now: number): Promise<Firing[]> {
  let allFlows: string[] | undefined;
  const firings: Firing[] = [];
  for (const rule of config.rules) {
    const flows = rule.flow === "*" ? (allFlows ??= await store.flows()) : [rule.flow];
    if (rule.kind === "error-rate") {
      firings.push(...(await errorRate(store, rule, now, rule.flow === "*" ? undefined : rule.flow)));
      continue;
    }
    for (const flow of flows) {
      const found = await evaluateFlow(store, rule, flow, now);
      if (found) firings.push({ key: incidentKey(rule.name, flow), rule: rule.name, flow, ...found });
    }
  }
  return firings;
}

async function evaluateFlow(store: StateStore, rule: AlertRule, flow: string, now: number): Promise<IncidentDetail | undefined> {
  const base = { kind: rule.kind, threshold: rule.threshold };
  switch (rule.kind) {
    case "run-failed": {
      const runs = (await store.runs(flow, RECENT_RUNS)).filter(finishedForReal);
      const last = runs[0];
      if (last?.status !== "failed") return undefined;
      let streak = 0;
      while (runs[streak]?.status === "failed") streak++;
      const inARow = streak > 1 ? ` (${streak}${streak === RECENT_RUNS ? "+" : ""} runs in a row)` : "";
      return { ...base, value: streak, message: `run #${last.id} failed${inARow}: ${last.error ?? "no reason recorded"}` };
    }
    case "dead-letters": {
      const n = await store.countDeadLetters(flow);
      if (n <= rule.threshold) return undefined;
      return { ...base, value: n, message: `${count(n, "dead letter needs", "dead letters need")} attention (more than ${rule.threshold}); see ferry status ${flow} --dead-letters` };
    }
    case "no-success": {
      const [last] = await store.runs(flow, 1, { succeeded: true });
      if (last === undefined) return { ...base, value: null, message: "no successful run yet" };
      const at = last.endedAt ?? last.startedAt;
      const hours = (now - at) / 3_600_000;
      if (hours <= rule.threshold) return undefined;
      return { ...base, value: round1(hours), message: `no successful run for ${round1(hours)} h (more than ${rule.threshold} h); the last one, #${last.id}, ended ${when(at)}` };
    }
    case "quality": {
      // Flow runs only: a replay's dead letters stay with the run that made them.
      const last = (await store.runs(flow, RECENT_RUNS, { mapped: true })).find(finishedForReal);
      if (last === undefined) return undefined;
      const n = await store.countDeadLetters(flow, { stage: "check", runId: last.id });
      if (n <= rule.threshold) return undefined;
      return { ...base, value: n, message: `${count(n, "row", "rows")} of run #${last.id} failed a check rule (more than ${rule.threshold}); see ferry status ${flow} --dead-letters` };
    }
    case "anomaly": {
      // The run anomaly detection looks at: the latest with field stats that did not fail.
      const [latest] = await store.fieldHistory(flow, undefined, 1);
      if (latest === undefined) return undefined;
      const found = (await store.anomalies(flow, ANOMALIES_PER_RUN)).filter((a) => a.runId === latest.runId);
      if (found.length <= rule.threshold) return undefined;
      const listed = found.slice(0, 5).map(describeAnomaly).join("; ");
      return { ...base, value: found.length, message: `${count(found.length, "data anomaly", "data anomalies")} in run #${latest.runId}: ${listed}${found.length > 5 ? "; …" : ""}` };
    }
    case "drift": {
      // The latest run's records against the system's spec: a field that appeared, stopped coming or changed kind.
      const drift = await store.latestDrift(flow);
      if (!drift) return undefined;
      const report = drift.report as DriftReport;
      const found = report.unknown.length + report.missing.length + report.typeChanges.length;
      return { ...base, value: found, message: `run #${drift.runId}: ${describeDrift(report)}` };
    }
    case "row-count": {
      const [last, ...earlier] = await store.runs(flow, ROW_COUNT_HISTORY + 1, { succeeded: true, mapped: true });
      if (last === undefined || earlier.length < ROW_COUNT_MIN_HISTORY) return undefined;
      const baseline = median(earlier.map((r) => r.read));
      if (baseline === 0) return undefined;
      const change = ((last.read - baseline) / baseline) * 100;
      if (Math.abs(change) <= rule.threshold) return undefined;
      return {
        ...base,
        value: round1(Math.abs(change)),
        message: `run #${last.id} read ${last.read} rows, ${round1(Math.abs(change))}% ${change < 0 ? "fewer" : "more"} than the median ${baseline} of the ${earlier.length} successful runs before it (more than ${rule.threshold}%)`,
      };
    }
    case "error-rate":
      return undefined;
  }
}

/** A run that ended and was not a dry run (a dry run writes nothing, so says nothing of failures). */
function finishedForReal(r: RunRecord): boolean {
  return r.endedAt !== null && !r.dryRun;
}

/**
 * Failed attempts as a percent of attempts per flow, system and operation, over the runs that ended
 * in the window: what the system got wrong, retried or not. Retries that succeed keep the runs
 * green; this rule is how a system failing more and more is seen before its calls start failing
 * after their retries. The message says how many calls failed in the end too.
 */
async function errorRate(store: StateStore, rule: AlertRule, now: number, flow: string | undefined): Promise<Firing[]> {
  const firings: Firing[] = [];
  for (const s of await store.callsSince(now - rule.windowMinutes * 60_000)) {
    if (flow !== undefined && s.flow !== flow) continue;
    const attempts = attemptsOf(s);
    if (attempts === 0) continue;
    const percent = (s.failedAttempts / attempts) * 100;
    if (percent <= rule.threshold) continue;
    firings.push({
      key: incidentKey(rule.name, s.flow, s.system, s.operation),
      rule: rule.name,
      flow: s.flow,
      kind: rule.kind,
      system: s.system,
      operation: s.operation,
      value: round1(percent),
      threshold: rule.threshold,
      message: `${s.failedAttempts} of ${attempts} attempts to ${s.system} ${s.operation} failed in the last ${rule.windowMinutes} min (${round1(percent)}%, more than ${rule.threshold}%); ${s.errors} of ${s.calls} calls still failed after their retries`,
    });
  }
  return firings;
}
