import type { DeadLetter, DeadLetterInput } from "../state/store.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../datetime.js";
import { isUnstorable, UNSTORABLE } from "../state/storable.js";
import { BatchWriter, keyOf, type OutgoingRow } from "./batch-writer.js";
import type { CallTarget } from "./calls.js";
import { contentHash } from "./hash.js";
import { lockFlow, LOCK_BEAT_MS } from "./flow-lock.js";
import { readId, RecordMapper, tooLargeReason } from "./map-record.js";
import type { RunOptions } from "./run-flow.js";

export interface ReplayResult {
  readonly runId: number;
  readonly attempted: number;
  readonly written: number;
  /** Letters that failed again, with the reason; they stay for review. */
  readonly failed: readonly { readonly id: number; readonly sourceId: string; readonly reason: string }[];
  /** Writes an interrupted run or replay left unconfirmed that the target confirmed before this replay wrote. */
  readonly recovered: number;
}

export type ReplayOptions = Omit<RunOptions, "source" | "from" | "to" | "limit" | "maxPages" | "dryRun"> & { readonly sourceId?: string };

/**
 * Runs unresolved dead letters again: the stored source record is mapped and checked anew (so a
 * fixed mapping or fixed lookup data takes effect) and written; written letters are resolved, and a
 * letter that fails again keeps its latest reason and one more attempt. Holds the flow's lock, like a
 * run, and like a run first settles the writes an interrupted run or replay left unconfirmed, so a
 * letter whose write landed before a crash is resolved rather than sent again.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const lock = await lockFlow(options.store, options.flow.spec.name, options.clock.now());
  try {
    return await replayHoldingLock(options, (at) => lock.beat(at));
  } finally {
    await lock.release();
  }
}

async function replayHoldingLock(options: ReplayOptions, beat: (at: number) => Promise<void>): Promise<ReplayResult> {
  const { flow, store, clock } = options;
  const spec = flow.spec;
  const log = (line: string) => options.onLog?.(line);
  const runId = await store.startRun(spec.name, clock.now(), false);
  const targetCall: CallTarget = { system: spec.target.connector, operation: spec.target.operation, credential: options.credentials?.target ?? "", rate: spec.target.rate, retry: spec.target.retry };
  const nowText = formatDateTime(clock.now(), "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);
  // The window a letter was read in is not kept; fields that use it see none, as on a flow without one.
  const mapper = new RecordMapper(flow, { window: null, env: (n) => options.env[n], now: () => nowText });
  const failed: { id: number; sourceId: string; reason: string }[] = [];
  let letters: DeadLetter[] = [];
  let written = 0;
  let recovered = 0;
  let lastBeat = clock.now();
  try {
    const writer = await BatchWriter.open(spec, store, options.target, options.calls, targetCall, runId, log);
    recovered = writer.settled.confirmed;
    // Read after settling: letters whose write was confirmed are resolved now.
    letters = await store.deadLetters(spec.name, { unresolvedOnly: true, sourceId: options.sourceId });
    for (let i = 0; i < letters.length; i += spec.target.batch) {
      const chunk: DeadLetter[] = letters.slice(i, i + spec.target.batch);
      await mapper.prepare(chunk.filter((l) => !isUnstorable(l.record)).map((l) => l.record), options.collections);
      const rows: OutgoingRow[] = [];
      const again: DeadLetterInput[] = [];
      const letterOf = new Map<string, number>();
      const fail = (letter: DeadLetter, stage: DeadLetterInput["stage"], reason: string, row: unknown) => {
        failed.push({ id: letter.id, sourceId: letter.sourceId, reason });
        again.push({ sourceId: letter.sourceId, stage, reason, record: letter.record, row });
      };
      for (const letter of chunk) {
        // What the store could not keep whole cannot be written: only the source can send it again.
        if (isUnstorable(letter.record)) {
          fail(letter, letter.stage, `${letter.record[UNSTORABLE]}, so it cannot be replayed: fix it at the source and run the flow again`, letter.row);
          continue;
        }
        try {
          // A record that had no usable id still has none: it cannot be remembered, so it is not written.
          const read = readId(letter.record, spec.source.id);
          if ("refused" in read) {
            fail(letter, "map", read.refused, null);
            continue;
          }
          const mapped = mapper.isAsync ? await mapper.mapAsync(letter.record) : mapper.map(letter.record);
          if (!mapped.ok) {
            fail(letter, mapped.stage, mapped.reason, mapped.row);
            continue;
          }
          const row: OutgoingRow = { sourceId: letter.sourceId, record: letter.record, row: mapped.row, hash: contentHash(mapped.row), key: keyOf(mapped.row, spec.target.idcheck) };
          letterOf.set(letter.sourceId, letter.id);
          rows.push(row);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          fail(letter, "map", tooLargeReason(error), null);
        }
      }
      // Written rows resolve their letters; refused ones, like those that failed above, refresh them.
      const outcome = await writer.write(rows, { deadLetters: again });
      written += outcome.written;
      for (const r of outcome.refused) failed.push({ id: letterOf.get(r.sourceId) ?? 0, sourceId: r.sourceId, reason: r.reason });
      if (clock.now() - lastBeat >= LOCK_BEAT_MS) {
        lastBeat = clock.now();
        await beat(lastBeat);
      }
    }
    await store.recordCalls(runId, spec.name, options.calls.meter.stats());
    await store.finishRun(runId, clock.now(), failed.length ? "dead-letters" : "ok", { read: letters.length, written, unchanged: 0, deadLettered: failed.length }, null);
  } catch (error) {
    await store.recordCalls(runId, spec.name, options.calls.meter.stats());
    await store.finishRun(runId, clock.now(), "failed", { read: letters.length, written, unchanged: 0, deadLettered: failed.length }, error instanceof Error ? error.message : String(error));
    throw error;
  }
  return { runId, attempted: letters.length, written, failed, recovered };
}
