/**
 * What the runtime remembers between runs: runs, checkpoints, the write record, dead letters, API
 * usage and the lookup collections. SQLite implements it by default; PostgreSQL can implement the
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

export interface DeadLetter extends DeadLetterInput {
  readonly id: number;
  readonly flow: string;
  readonly runId: number;
  readonly createdAt: number;
  /** When a replay wrote it; null while it still needs attention. */
  readonly resolvedAt: number | null;
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

/** Calls to one system operation, as counted by the runtime. */
export interface CallStats {
  readonly system: string;
  readonly operation: string;
  readonly calls: number;
  readonly errors: number;
  readonly retries: number;
  readonly totalMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly rateLimitWaitMs: number;
}

export interface StateStore {
  /** Where the state lives, for messages (a file path or a redacted URL). */
  readonly location: string;

  startRun(flow: string, at: number, dryRun: boolean): Promise<number>;
  /** The counts of a run still going, so a console can show it live. */
  progress(runId: number, counts: RunCounts): Promise<void>;
  finishRun(runId: number, at: number, status: RunStatus, counts: RunCounts, error: string | null): Promise<void>;
  /** Newest first. */
  runs(flow: string | undefined, limit: number): Promise<RunRecord[]>;
  /** Flows that have any state, sorted. */
  flows(): Promise<string[]>;

  checkpoint(flow: string): Promise<string | null>;

  /** The write record entries (done) of these source ids. */
  written(flow: string, sourceIds: readonly string[]): Promise<Map<string, WrittenEntry>>;
  /** Records the intent to write these rows, before the call. One transaction. */
  markPending(flow: string, runId: number, rows: readonly PendingWrite[]): Promise<void>;
  /** Unconfirmed writes of the flow (left by a crash). */
  pending(flow: string): Promise<PendingWrite[]>;
  /** Stores a batch's outcome (write record, dead letters, checkpoint) in one transaction. */
  commit(flow: string, unit: CommitUnit): Promise<void>;

  deadLetters(flow: string, options: { readonly unresolvedOnly: boolean; readonly sourceId?: string }): Promise<DeadLetter[]>;

  recordCalls(runId: number, flow: string, stats: readonly CallStats[]): Promise<void>;
  /** Calls per system and operation, summed over the flow's runs (or all flows). */
  callStats(flow: string | undefined): Promise<CallStats[]>;

  /** Adds documents to a lookup collection (replacing it when `replace`); returns the new count. */
  loadCollection(name: string, documents: readonly unknown[], replace: boolean): Promise<number>;
  collections(): Promise<{ readonly name: string; readonly count: number }[]>;
  /** All documents of a collection (lookups query them with mingo). */
  collection(name: string): Promise<Record<string, unknown>[]>;

  close(): Promise<void>;
}
