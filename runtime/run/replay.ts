import type { DeadLetter } from "../state/store.js";
import type { MapContext } from "../types.js";
import { resolveLookups } from "../lookups.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../datetime.js";
import { BatchWriter, keyOf, type OutgoingRow } from "./batch-writer.js";
import type { CallTarget } from "./calls.js";
import { contentHash } from "./hash.js";
import type { RunOptions } from "./run-flow.js";

export interface ReplayResult {
  readonly runId: number;
  readonly attempted: number;
  readonly written: number;
  /** Letters that failed again, with the reason; they stay for review. */
  readonly failed: readonly { readonly id: number; readonly sourceId: string; readonly reason: string }[];
}

/**
 * Runs unresolved dead letters again: the stored source record is mapped and checked anew (so a
 * fixed mapping or fixed lookup data takes effect) and written; written letters are resolved.
 */
export async function replayDeadLetters(options: Omit<RunOptions, "source" | "from" | "to" | "limit" | "dryRun"> & { readonly sourceId?: string }): Promise<ReplayResult> {
  const { flow, store, clock } = options;
  const spec = flow.spec;
  const letters = await store.deadLetters(spec.name, { unresolvedOnly: true, sourceId: options.sourceId });
  const runId = await store.startRun(spec.name, clock.now(), false);
  const targetCall: CallTarget = { system: spec.target.connector, operation: spec.target.operation, credential: options.credentials?.target ?? "", rate: spec.target.rate, retry: spec.target.retry };
  const writer = new BatchWriter(spec, store, options.target, options.calls, targetCall, runId);
  const nowText = formatDateTime(clock.now(), "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);
  const failed: { id: number; sourceId: string; reason: string }[] = [];
  let written = 0;
  try {
    for (let i = 0; i < letters.length; i += spec.target.batch) {
      const chunk: DeadLetter[] = letters.slice(i, i + spec.target.batch);
      const answers = await resolveLookups(flow, chunk.map((l) => l.record), options.collections);
      const rows: OutgoingRow[] = [];
      const replayOf = new Map<string, number>();
      for (const letter of chunk) {
        const ctx: MapContext = { window: null, env: (n) => options.env[n], now: () => nowText, lookup: (k, v) => answers[k]?.get(v), jsonata: () => undefined };
        let row: unknown;
        try {
          row = flow.map(letter.record, ctx);
        } catch (error) {
          failed.push({ id: letter.id, sourceId: letter.sourceId, reason: error instanceof Error ? error.message : String(error) });
          continue;
        }
        const failures = flow.check(row);
        if (failures.length > 0) {
          failed.push({ id: letter.id, sourceId: letter.sourceId, reason: failures.map((f) => f.message).join("; ") });
          continue;
        }
        replayOf.set(letter.sourceId, letter.id);
        rows.push({ sourceId: letter.sourceId, record: letter.record, row, hash: contentHash(row), key: keyOf(row, spec.target.idcheck) });
      }
      const outcome = await writer.write(rows, { deadLetters: [], replayOf });
      written += outcome.written;
      for (const r of outcome.refused) failed.push({ id: replayOf.get(r.sourceId) ?? 0, sourceId: r.sourceId, reason: r.reason });
    }
    await store.recordCalls(runId, spec.name, options.calls.meter.stats());
    await store.finishRun(runId, clock.now(), failed.length ? "dead-letters" : "ok", { read: letters.length, written, unchanged: 0, deadLettered: failed.length }, null);
  } catch (error) {
    await store.finishRun(runId, clock.now(), "failed", { read: letters.length, written, unchanged: 0, deadLettered: failed.length }, error instanceof Error ? error.message : String(error));
    throw error;
  }
  return { runId, attempted: letters.length, written, failed };
}
