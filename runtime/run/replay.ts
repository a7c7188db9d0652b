import type { DeadLetter } from "../state/store.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../datetime.js";
import { BatchWriter, keyOf, type OutgoingRow } from "./batch-writer.js";
import type { CallTarget } from "./calls.js";
import { contentHash } from "./hash.js";
import { lockFlow } from "./flow-lock.js";
import { readId, RecordMapper } from "./map-record.js";
import type { RunOptions } from "./run-flow.js";

export interface ReplayResult {
  readonly runId: number;
  readonly attempted: number;
  readonly written: number;
  /** Letters that failed again, with the reason; they stay for review. */
  readonly failed: readonly { readonly id: number; readonly sourceId: string; readonly reason: string }[];
}

export type ReplayOptions = Omit<RunOptions, "source" | "from" | "to" | "limit" | "dryRun"> & { readonly sourceId?: string };

/**
 * Runs unresolved dead letters again: the stored source record is mapped and checked anew (so a
 * fixed mapping or fixed lookup data takes effect) and written; written letters are resolved. Holds
 * the flow's lock, like a run.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const lock = await lockFlow(options.store, options.flow.spec.name, options.clock.now());
  try {
    return await replayHoldingLock(options);
  } finally {
    await lock.release();
  }
}

async function replayHoldingLock(options: ReplayOptions): Promise<ReplayResult> {
  const { flow, store, clock } = options;
  const spec = flow.spec;
  const letters = await store.deadLetters(spec.name, { unresolvedOnly: true, sourceId: options.sourceId });
  const runId = await store.startRun(spec.name, clock.now(), false);
  const targetCall: CallTarget = { system: spec.target.connector, operation: spec.target.operation, credential: options.credentials?.target ?? "", rate: spec.target.rate, retry: spec.target.retry };
  const writer = new BatchWriter(spec, store, options.target, options.calls, targetCall, runId);
  const nowText = formatDateTime(clock.now(), "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);
  // The window a letter was read in is not kept; fields that use it see none, as on a flow without one.
  const mapper = new RecordMapper(flow, { window: null, env: (n) => options.env[n], now: () => nowText });
  const failed: { id: number; sourceId: string; reason: string }[] = [];
  let written = 0;
  try {
    for (let i = 0; i < letters.length; i += spec.target.batch) {
      const chunk: DeadLetter[] = letters.slice(i, i + spec.target.batch);
      await mapper.prepare(chunk.map((l) => l.record), options.collections);
      const rows: OutgoingRow[] = [];
      const replayOf = new Map<string, number>();
      for (const letter of chunk) {
        // A record that had no usable id still has none: it cannot be remembered, so it is not written.
        const read = readId(letter.record, spec.source.id);
        if ("refused" in read) {
          failed.push({ id: letter.id, sourceId: letter.sourceId, reason: read.refused });
          continue;
        }
        const mapped = mapper.isAsync ? await mapper.mapAsync(letter.record) : mapper.map(letter.record);
        if (!mapped.ok) {
          failed.push({ id: letter.id, sourceId: letter.sourceId, reason: mapped.reason });
          continue;
        }
        replayOf.set(letter.sourceId, letter.id);
        rows.push({ sourceId: letter.sourceId, record: letter.record, row: mapped.row, hash: contentHash(mapped.row), key: keyOf(mapped.row, spec.target.idcheck) });
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
