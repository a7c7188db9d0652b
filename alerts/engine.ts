import type { Clock } from "../runtime/clock.js";
import type { Incident, NotificationEvent, NotificationRecord, StateStore } from "../runtime/state/store.js";
import { resolveSetting, type AlertsConfig, type AlertTarget } from "./config.js";
import type { AlertEvent, ResolvedTarget } from "./formats.js";
import { deliver, type SendFn } from "./notify.js";
import { detectAnomalies, type DetectedAnomalies } from "./quality.js";
import { evaluateRules, type IncidentDetail } from "./rules.js";

/** Options of {@link evaluateAlerts}. */
export interface EvaluateOptions {
  readonly store: StateStore;
  readonly config: AlertsConfig;
  /** Where `env:NAME` URLs and secrets are read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** "Now" for the rules, the incidents, and the backoff waits of deliveries. */
  readonly clock: Clock;
  /** Default: fetch. */
  readonly send?: SendFn;
  /** Attempts per delivery (default 4). */
  readonly attempts?: number;
  readonly timeoutMs?: number;
  readonly backoffMs?: number;
}

/** What one evaluation did. */
export interface AlertsOutcome {
  /** Incidents opened by this evaluation. */
  readonly fired: Incident[];
  /** Incidents closed by this evaluation (their condition cleared, or their rule is gone). */
  readonly resolved: Incident[];
  /** Every incident open after it, the newly fired included. */
  readonly open: Incident[];
  /** Deliveries made by it, failed ones included. */
  readonly notifications: NotificationRecord[];
  /** Anomaly detection over each flow's latest run. */
  readonly anomalies: DetectedAnomalies[];
}

/** A resolve notice still owed after a failed delivery is retried by evaluations within this span. */
const RESOLVE_RETRY_MS = 24 * 3_600_000;
/** Recently resolved incidents looked at for owed resolve notices. */
const RECENT_INCIDENTS = 100;
/** Deliveries of one incident looked at to see which targets were told. */
const LEDGER = 500;

/**
 * Evaluates the alert rules now and acts on them:
 * 1. detects data-quality anomalies of each flow's latest run (stored once per run);
 * 2. opens an incident per firing key not open yet (one per rule + flow, + system/operation for
 *    error rates) and refreshes the detail of those still open;
 * 3. resolves open incidents that no longer fire;
 * 4. notifies each target of the rule once per incident: a target not yet told (a new incident, or
 *    an earlier delivery that failed) gets the firing notice; when an incident resolves, each target
 *    that was told of it gets the resolve notice (retried by later evaluations for a day if it fails).
 * Every delivery is recorded in the store. Nothing is thrown for a failed delivery.
 */
export async function evaluateAlerts(options: EvaluateOptions): Promise<AlertsOutcome> {
  const { store, config, clock } = options;
  const now = clock.now();
  const anomalies = await detectAnomalies(store, now, config.anomalies);
  const firings = await evaluateRules(store, config, now);

  const fired: Incident[] = [];
  const open: Incident[] = [];
  const firingKeys = new Set<string>();
  for (const f of firings) {
    if (firingKeys.has(f.key)) continue;
    firingKeys.add(f.key);
    const detail: IncidentDetail = {
      kind: f.kind,
      value: f.value,
      threshold: f.threshold,
      message: f.message,
      ...(f.system !== undefined ? { system: f.system, operation: f.operation } : {}),
    };
    const { incident, opened } = await store.openIncident({ key: f.key, rule: f.rule, flow: f.flow, detail }, now);
    open.push(incident);
    if (opened) fired.push(incident);
  }
  const resolved: Incident[] = [];
  for (const incident of await store.openIncidents()) {
    if (firingKeys.has(incident.key)) continue;
    await store.resolveIncident(incident.id, now);
    resolved.push({ ...incident, resolvedAt: now });
  }

  const notifications: NotificationRecord[] = [];
  const targets = new Map(config.targets.map((t) => [t.name, t]));
  const rules = new Map(config.rules.map((r) => [r.name, r]));
  const notify = async (incident: Incident, target: AlertTarget, event: NotificationEvent) => {
    const record = await deliverOne(options, incident, target, event);
    notifications.push(await store.recordNotification({ ...record, incidentId: incident.id, target: target.name, event, at: clock.now() }));
  };

  for (const incident of open) {
    const told = await toldTargets(store, incident.id);
    for (const name of rules.get(incident.rule)?.targets ?? []) {
      const target = targets.get(name);
      if (target !== undefined && !told.firing.has(name)) await notify(incident, target, "firing");
    }
  }

  const resolvedIds = new Set(resolved.map((i) => i.id));
  const owed = [
    ...resolved,
    ...(await store.incidents(RECENT_INCIDENTS)).filter(
      (i) => !resolvedIds.has(i.id) && i.resolvedAt !== null && i.notifiedAt !== null && now - i.resolvedAt <= RESOLVE_RETRY_MS,
    ),
  ];
  for (const incident of owed) {
    const told = await toldTargets(store, incident.id);
    // In config order; a target removed from the config since cannot be told, one never told of the firing need not be.
    for (const target of config.targets) {
      if (told.firing.has(target.name) && !told.resolved.has(target.name)) await notify(incident, target, "resolved");
    }
  }

  return { fired, resolved, open, notifications, anomalies };
}

/** Targets an incident's firing and resolve notices reached, from the delivery ledger. */
async function toldTargets(store: StateStore, incidentId: number): Promise<{ firing: Set<string>; resolved: Set<string> }> {
  const firing = new Set<string>();
  const resolved = new Set<string>();
  for (const n of await store.notifications(LEDGER, incidentId)) {
    if (n.ok) (n.event === "firing" ? firing : resolved).add(n.target);
  }
  return { firing, resolved };
}

async function deliverOne(
  options: EvaluateOptions,
  incident: Incident,
  target: AlertTarget,
  event: NotificationEvent,
): Promise<{ attempts: number; ok: boolean; error: string | null }> {
  let resolvedTarget: ResolvedTarget;
  try {
    resolvedTarget = {
      name: target.name,
      type: target.type,
      url: resolveSetting(target.url, options.env, `target "${target.name}" url`),
      secret: target.secret === null ? null : resolveSetting(target.secret, options.env, `target "${target.name}" secret`),
    };
  } catch (error) {
    return { attempts: 0, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const result = await deliver(resolvedTarget, eventOf(incident, event), {
    clock: options.clock,
    send: options.send,
    attempts: options.attempts,
    timeoutMs: options.timeoutMs,
    backoffMs: options.backoffMs,
  });
  return result;
}

/** The notice of an incident, from what its rule measured last. */
export function eventOf(incident: Incident, event: NotificationEvent): AlertEvent {
  const d = detailOf(incident);
  return {
    event,
    rule: incident.rule,
    kind: d.kind,
    flow: incident.flow,
    ...(d.system !== undefined ? { system: d.system, operation: d.operation } : {}),
    message: d.message,
    value: d.value,
    threshold: d.threshold,
    startedAt: incident.openedAt,
    ...(event === "resolved" && incident.resolvedAt !== null ? { resolvedAt: incident.resolvedAt } : {}),
  };
}

/** The stored detail, read defensively: it is JSON from the database. */
export function detailOf(incident: Incident): IncidentDetail {
  const d = (typeof incident.detail === "object" && incident.detail !== null ? incident.detail : {}) as Partial<IncidentDetail>;
  return {
    kind: d.kind ?? "run-failed",
    value: typeof d.value === "number" ? d.value : null,
    threshold: typeof d.threshold === "number" ? d.threshold : 0,
    message: typeof d.message === "string" ? d.message : "",
    ...(typeof d.system === "string" ? { system: d.system, operation: typeof d.operation === "string" ? d.operation : "" } : {}),
  };
}
