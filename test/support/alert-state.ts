import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import type { CallStats, DeadLetterInput, FieldStat, RunStatus } from "../../runtime/state/store.js";

/** 2024-09-08 00:00 UTC (08:00 in Shanghai): the "now" of alert tests. */
export const NOW = Date.UTC(2024, 8, 8, 0, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export interface TempStore {
  readonly store: SqliteStateStore;
  readonly dir: string;
  close(): Promise<void>;
}

/** A state store in a temp folder whose own clock (dead letters' times) reads `now()`. */
export function tempStore(now: () => number = () => NOW): TempStore {
  const dir = mkdtempSync(join(tmpdir(), "ferry-alerts-"));
  const store = SqliteStateStore.open(join(dir, ".ferry", "state.db"), { now });
  return {
    store,
    dir,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a fake run leaves in the store. */
export interface FakeRun {
  readonly at?: number;
  /** Default: 1 minute after `at`. */
  readonly endedAt?: number;
  readonly status?: RunStatus;
  readonly read?: number;
  readonly dryRun?: boolean;
  readonly error?: string | null;
  /** Field stats; `true` records `read` rows with no nulls in fields a, b. */
  readonly stats?: readonly FieldStat[] | true;
  readonly calls?: readonly CallStats[];
  readonly deadLetters?: readonly Pick<DeadLetterInput, "sourceId" | "stage">[];
}

/** Records a finished run as runFlow would: dead letters, calls, field stats, then the end. */
export async function fakeRun(store: SqliteStateStore, flow: string, run: FakeRun = {}): Promise<number> {
  const at = run.at ?? NOW - 10 * MINUTE;
  const read = run.read ?? 100;
  const id = await store.startRun(flow, at, run.dryRun ?? false);
  const letters = (run.deadLetters ?? []).map((l) => ({ ...l, reason: `${l.stage} failed`, record: { id: l.sourceId }, row: null }));
  if (letters.length) await store.commit(flow, { runId: id, done: [], cleared: [], deadLetters: letters });
  if (run.calls) await store.recordCalls(id, flow, run.calls);
  if (run.stats) {
    const stats = run.stats === true ? ["a", "b"].map((field) => ({ field, rows: read, nulls: 0, empties: 0 })) : run.stats;
    await store.recordFieldStats(id, flow, stats);
  }
  const status = run.status ?? "ok";
  await store.finishRun(id, run.endedAt ?? at + MINUTE, status, { read, written: read, unchanged: 0, deadLettered: letters.length }, run.error ?? null);
  return id;
}

/** Call stats of one operation: `errors` calls failed at their only attempt, or after `retries` retried attempts. */
export function calls(system: string, operation: string, count: number, errors: number, retries = 0): CallStats {
  return {
    system,
    operation,
    calls: count,
    errors,
    retries,
    failedAttempts: errors + retries,
    totalMs: count * 10,
    p50Ms: 10,
    p95Ms: 10,
    rateLimitWaitMs: 0,
    latency: { sumMs: (count + retries) * 10, buckets: [[10_000, count + retries]] },
  };
}
