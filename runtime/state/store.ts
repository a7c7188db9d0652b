/**
 * What the runtime remembers between runs: runs, checkpoints, the write record, dead letters, API
 * usage, data quality (field stats, anomalies), alert incidents and their notifications, and the
 * lookup collections. SQLite implements it by default; PostgreSQL can implement the
 * same interface. Every method is synchronous on SQLite; the interface is async so a network store fits.
 */

export type RunStatus = "running" | "ok" | "dead-letters" | "failed";

export interface RunCounts {
  readonly read: number;
  /** Rows the target confirmed. */
  readonly written: number;
  /** Rows skipped because the write record holds the same content. */
  readonly unchanged: number;
  /** Rows that went to dead letters in this run. */
  readonly deadLettered: number;
}

export interface RunRecord extends RunCounts {
  readonly id: number;
  readonly flow: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly status: RunStatus;
  readonly dryRun: boolean;
  /** Why a failed run failed. */
  readonly error: string | null;
}

/** One entry of the write record: what was written for a source record. */
export interface WrittenEntry {
  readonly sourceId: string;
  readonly targetId: string | null;
  /** Hash of the row content written (or about to be written, while pending). */
  readonly hash: string;
  /** The value of the `idcheck` field, when the flow has one. */
  readonly key: string | null;
  readonly updatedAt: number;
}

/** A write that was sent (or about to be) but not confirmed: after a crash, it is reconciled. */
export interface PendingWrite extends WrittenEntry {
  readonly row: unknown;
}

export type DeadLetterStage = "map" | "check" | "write";

export interface DeadLetterInput {
  readonly sourceId: string;
  readonly stage: DeadLetterStage;
  readonly reason: string;
  /** The source record, so `ferry replay` can run it again. */
  readonly record: unknown;
  /** The mapped row, when mapping got that far. */
  readonly row: unknown;
}

/**
 * An open letter per source id: a row that fails again (in a run or a replay) refreshes it, so its
 * stage, reason, run and time are those of its latest failure; every failure is kept as an attempt.
 */
export interface DeadLetter extends DeadLetterInput {
  readonly id: number;
  readonly flow: string;
  /** The run (or replay) of the latest failure. */
  readonly runId: number;
  /** When it last failed. */
  readonly createdAt: number;
  /** When a replay wrote it; null while it still needs attention. */
  readonly resolvedAt: number | null;
}

/** One failure of a dead letter's row: the first that made the letter, and each run or replay that failed it again. */
export interface DeadLetterAttempt {
  readonly at: number;
  readonly stage: DeadLetterStage;
  readonly reason: string;
  readonly runId: number;
}

/** Everything a batch changes, stored in one transaction so a crash leaves all of it or none. */
export interface CommitUnit {
  readonly runId: number;
  /** Rows the target confirmed: they move from pending (if they were) to done. */
  readonly done: readonly { readonly sourceId: string; readonly targetId: string | null; readonly hash: string; readonly key: string | null }[];
  /** Source ids whose pending write is settled without being done (e.g. the target refused the row). */
  readonly cleared: readonly string[];
  readonly deadLetters: readonly DeadLetterInput[];
  /** Dead letters a replay has now written. */
  readonly resolved?: readonly number[];
  /** The new checkpoint of the flow, when this unit completes a window. */
  readonly checkpoint?: string;
}

/** A bucket of a latency histogram: how many values were at most `upToUs` µs (and above the bucket before). */
export type LatencyBucket = readonly [upToUs: number, count: number];

/** A latency histogram as stored: its non-empty buckets, ascending, the sum of its values and, when it has any, the extremes. */
export interface LatencyHistogram {
  readonly sumMs: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  readonly buckets: readonly LatencyBucket[];
}

/**
 * Calls to one system operation, as counted by the runtime. A call is one request ferry needed
 * answered; it makes one attempt plus one per retry (attempts = calls + retries).
 */
export interface CallStats {
  readonly system: string;
  readonly operation: string;
  readonly calls: number;
  /** Calls that failed in the end, after their retries. */
  readonly errors: number;
  readonly retries: number;
  /** Attempts that failed, whether retried or not: what the system got wrong. */
  readonly failedAttempts: number;
  /**
   * Time spent in attempts, in ms (rate-limit and backoff waits excluded). Runs recorded before
   * ferry timed attempts hold the time spent in calls instead.
   */
  readonly totalMs: number;
  /** Median and 95th percentile latency of the attempts, from {@link latency}. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly rateLimitWaitMs: number;
  /**
   * The latency of every attempt; over several runs, their buckets merged. Runs recorded before
   * ferry kept histograms add nothing to it.
   */
  readonly latency: LatencyHistogram;
}

/** Calls of one flow to one system operation (error-rate alerts look at them per flow). */
export interface FlowCallStats extends CallStats {
  readonly flow: string;
}

/**
 * Data quality of one target field in one run: rows mapped, and how many of them left the field
 * null (absent or `null`) or empty (`""`, `[]`, `{}`).
 */
export interface FieldStat {
  /** Dotted target path, as in the flow's `fields` block. */
  readonly field: string;
  readonly rows: number;
  readonly nulls: number;
  readonly empties: number;
}

/** A {@link FieldStat} of an earlier run. */
export interface FieldHistoryEntry extends FieldStat {
  readonly runId: number;
  readonly startedAt: number;
}

/**
 * `null-rate` and `empty-rate`: percent of rows (0–100) of one field; `row-count`: rows mapped by
 * the run (the anomaly's field is then null).
 */
export type AnomalyKind = "null-rate" | "empty-rate" | "row-count";

/** A sharp change of a run's data compared with its recent runs. */
export interface AnomalyInput {
  /** The target field; null for `row-count`. */
  readonly field: string | null;
  readonly kind: AnomalyKind;
  /** What this run measured. */
  readonly value: number;
  /** The median of the recent runs it was compared with. */
  readonly baseline: number;
}

export interface Anomaly extends AnomalyInput {
  readonly id: number;
  readonly runId: number;
  readonly flow: string;
  readonly createdAt: number;
}

/** What an alert rule found: one incident per key while it stays open. */
export interface IncidentInput {
  /** Identifies the incident: rule + flow (+ system and operation for error rates). */
  readonly key: string;
  readonly rule: string;
  readonly flow: string;
  /** What the rule measured last (kind, value, threshold, message…), stored as JSON. */
  readonly detail: unknown;
}

export interface Incident extends IncidentInput {
  readonly id: number;
  readonly openedAt: number;
  /** Null while it is open. */
  readonly resolvedAt: number | null;
  /** When a notice that it fired first reached a target; null until then. */
  readonly notifiedAt: number | null;
  /** When a notice that it cleared first reached a target; null until then. */
  readonly resolveNotifiedAt: number | null;
}

export type NotificationEvent = "firing" | "resolved";

/** One delivery of a notice to one target, after all its attempts. */
export interface NotificationInput {
  readonly incidentId: number;
  /** The target's name in ferry.config.json (never its URL). */
  readonly target: string;
  readonly event: NotificationEvent;
  readonly attempts: number;
  readonly ok: boolean;
  /** Why the last attempt failed (redacted: no URL, no secret); null when delivered. */
  readonly error: string | null;
  readonly at: number;
}

export interface NotificationRecord extends NotificationInput {
  readonly id: number;
}

/** Who holds a flow's run lock: one writing run (or replay) of a flow at a time. */
export interface FlowLock {
  /** Unique per holder, also within one process. */
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly since: number;
  /** Last sign of life: refreshed as the run goes, so a holder on another host can be judged stale. */
  readonly beat: number;
  /**
   * When the holder's process started, as the OS tells it (Linux: boot id and start time in clock
   * ticks), so a pid reused by another process after a crash is told apart; absent where unknown.
   */
  readonly started?: string;
}

/** Which runs {@link StateStore.runs} lists. */
export interface RunsFilter {
  /** Only runs that finished without failing (status `ok` or `dead-letters`) and were not dry runs. */
  readonly succeeded?: boolean;
  /**
   * Only runs that mapped rows through the flow and recorded field stats: `ferry run`, not
   * `ferry replay` (whose "read" is the dead letters it retried), nor runs from before field stats.
   */
  readonly mapped?: boolean;
}

export interface StateStore {
  /** Where the state lives, for messages (a file path or a redacted URL). */
  readonly location: string;

  startRun(flow: string, at: number, dryRun: boolean): Promise<number>;
  /** The counts of a run still going, so a console can show it live. */
  progress(runId: number, counts: RunCounts): Promise<void>;
  finishRun(runId: number, at: number, status: RunStatus, counts: RunCounts, error: string | null): Promise<void>;
  /** Newest first, optionally filtered (alert rules look for successful runs and for flow runs). */
  runs(flow: string | undefined, limit: number, options?: RunsFilter): Promise<RunRecord[]>;
  /** Flows that have any state, sorted. */
  flows(): Promise<string[]>;

  checkpoint(flow: string): Promise<string | null>;

  /**
   * Takes the flow's run lock for `owner` unless someone `isLive` says is alive holds it, in one
   * transaction. Returns that live holder, or null when `owner` now holds the lock.
   */
  lockFlow(flow: string, owner: FlowLock, isLive: (holder: FlowLock) => boolean): Promise<FlowLock | null>;
  /** Refreshes the heartbeat of the lock `token` holds. */
  beatFlowLock(flow: string, token: string, at: number): Promise<void>;
  /** Gives the lock up, if `token` still holds it. */
  unlockFlow(flow: string, token: string): Promise<void>;

  /** The write record entries (done) of these source ids. */
  written(flow: string, sourceIds: readonly string[]): Promise<Map<string, WrittenEntry>>;
  /** Records the intent to write these rows, before the call. One transaction. */
  markPending(flow: string, runId: number, rows: readonly PendingWrite[]): Promise<void>;
  /** Unconfirmed writes of the flow (left by a crash). */
  pending(flow: string): Promise<PendingWrite[]>;
  /** Stores a batch's outcome (write record, dead letters, checkpoint) in one transaction. */
  commit(flow: string, unit: CommitUnit): Promise<void>;

  deadLetters(flow: string, options: { readonly unresolvedOnly: boolean; readonly sourceId?: string }): Promise<DeadLetter[]>;
  /** The failures of one dead letter, oldest first: the one that made it, then each that refreshed it. */
  deadLetterAttempts(letterId: number): Promise<DeadLetterAttempt[]>;
  /** How many unresolved dead letters the flow has, optionally only of one stage or one run. */
  countDeadLetters(flow: string, options?: { readonly stage?: DeadLetterStage; readonly runId?: number }): Promise<number>;

  recordCalls(runId: number, flow: string, stats: readonly CallStats[]): Promise<void>;
  /** Calls per system and operation, summed over the flow's runs (or all flows); latency from merged histograms. */
  callStats(flow: string | undefined): Promise<CallStats[]>;
  /** Calls per flow, system and operation, summed over the runs that ended at or after `since`. */
  callsSince(since: number): Promise<FlowCallStats[]>;

  /** Stores a run's field stats; a later call for the same run replaces them (snapshots). */
  recordFieldStats(runId: number, flow: string, stats: readonly FieldStat[]): Promise<void>;
  /** Stores how a run's records differed from the spec (only runs that found any); recording again replaces it. */
  recordDrift(runId: number, flow: string, report: unknown): Promise<void>;
  /** The drift of the flow's latest finished run, or null when that run found none. */
  latestDrift(flow: string): Promise<{ readonly runId: number; readonly report: unknown } | null>;
  /**
   * Field stats of the flow's last `limit` runs that have stats and did not fail (running runs
   * excluded), newest run first, fields in recorded order; one field, or every field when undefined.
   */
  fieldHistory(flow: string, field: string | undefined, limit: number): Promise<FieldHistoryEntry[]>;
  /** Stores a run's anomalies; one per run, kind and field, so recording again adds nothing. Returns how many were new. */
  recordAnomalies(runId: number, flow: string, anomalies: readonly AnomalyInput[], at: number): Promise<number>;
  /** Newest first; every flow when `flow` is undefined. */
  anomalies(flow: string | undefined, limit: number): Promise<Anomaly[]>;

  /**
   * Opens the incident of `input.key`, or refreshes the detail of the one already open (one open
   * incident per key). `opened` says whether it is new.
   */
  openIncident(input: IncidentInput, at: number): Promise<{ readonly incident: Incident; readonly opened: boolean }>;
  /** Closes an open incident; closing a closed one changes nothing. */
  resolveIncident(id: number, at: number): Promise<void>;
  /** Incidents still open, oldest first. */
  openIncidents(): Promise<Incident[]>;
  /** Incidents open and resolved, newest first. */
  incidents(limit: number): Promise<Incident[]>;
  /** Stores a delivery; a successful one also stamps the incident's notifiedAt / resolveNotifiedAt (first only). */
  recordNotification(input: NotificationInput): Promise<NotificationRecord>;
  /** Deliveries newest first, of one incident or all. */
  notifications(limit: number, incidentId?: number): Promise<NotificationRecord[]>;

  /** Adds documents to a lookup collection (replacing it when `replace`); returns the new count. */
  loadCollection(name: string, documents: readonly unknown[], replace: boolean): Promise<number>;
  collections(): Promise<{ readonly name: string; readonly count: number }[]>;
  /** All documents of a collection (lookups query them with mingo). */
  collection(name: string): Promise<Record<string, unknown>[]>;

  close(): Promise<void>;
}
