import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../datetime.js";
import type { Clock } from "../clock.js";
import type { SourceConnector, TargetConnector } from "../connector.js";
import { CallError } from "../faults.js";
import { FieldStats } from "../quality.js";
import { describeDrift, DriftTracker, hasDrift, type DriftReport } from "../drift.js";
import type { RecordSchema } from "../../connectors/catalog.js";
import type { CollectionStore } from "../lookups.js";
import type { CallStats, DeadLetterInput, RunStatus, StateStore } from "../state/store.js";
import type { FlowModule, ParamContext, Scalar } from "../types.js";
import { atLeastOnce, BatchWriter, keyOf, type OutgoingRow } from "./batch-writer.js";
import type { Calls, CallTarget } from "./calls.js";
import { contentHash } from "./hash.js";
import { lockFlow, LOCK_BEAT_MS, type HeldLock } from "./flow-lock.js";
import { idOf, noIdKey, readId, RecordMapper, tooLargeReason } from "./map-record.js";
import { DEFAULT_MAX_PAGES, readPages, type Page } from "./paging.js";
import { BoundedQueue } from "./queue.js";
import { WriteUnit } from "./write-unit.js";
import { cutWindows, windowBounds, type TimeWindow } from "./windows.js";

export interface RunOptions {
  readonly flow: FlowModule;
  readonly store: StateStore;
  readonly source: SourceConnector;
  readonly target: TargetConnector;
  readonly calls: Calls;
  readonly collections: CollectionStore;
  readonly clock: Clock;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Identifies the credentials in use, so flows sharing them share rate limits. */
  readonly credentials?: { readonly source: string; readonly target: string };
  readonly from?: string;
  readonly to?: string;
  /** Stop after reading this many records (the window is then not checkpointed). */
  readonly limit?: number;
  /** Most pages one window may have before the run fails (default {@link DEFAULT_MAX_PAGES}). */
  readonly maxPages?: number;
  /** Read and transform, report new/changed/unchanged, write nothing. */
  readonly dryRun?: boolean;
  readonly onProgress?: (progress: Progress) => void;
  /** The source operation's record schema from its spec: the records read are compared with it (drift). */
  readonly sourceSchema?: RecordSchema;
  readonly onLog?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface Progress {
  readonly window: TimeWindow | null;
  readonly windowIndex: number;
  readonly windows: number;
  readonly page: number;
  /** `total` of the current window, when the source reports one. */
  readonly windowTotal: number | null;
  readonly read: number;
  readonly written: number;
  readonly unchanged: number;
  readonly deadLettered: number;
  /** Records read again in this run (the same id, a page shifted while it was read): written once. */
  readonly repeated: number;
  /** Dry runs: rows that would be written for the first time or again. */
  readonly new: number;
  readonly changed: number;
}

export interface RunSummary extends Progress {
  readonly runId: number;
  readonly flow: string;
  readonly status: RunStatus;
  readonly dryRun: boolean;
  readonly elapsedMs: number;
  readonly calls: readonly CallStats[];
  readonly warnings: readonly string[];
  readonly error: string | null;
  /** Writes confirmed while reconciling a crashed run's unconfirmed batch. */
  readonly recovered: number;
  /** How the records read differed from the source operation's spec; null when the spec says nothing to compare with. */
  readonly drift: DriftReport | null;
}

/** Pages read ahead of the writer. Bounded, so memory stays flat however many records flow. */
const READ_AHEAD_PAGES = 2;

/** Runs a flow: read pages, resolve lookups, map, check, write batches, remember. */
export async function runFlow(options: RunOptions): Promise<RunSummary> {
  // A dry run writes nothing, so it runs beside a writing run; a writing run holds the flow's lock.
  if (options.dryRun === true) return runHoldingLock(options, null);
  const lock = await lockFlow(options.store, options.flow.spec.name, options.clock.now());
  try {
    return await runHoldingLock(options, lock);
  } finally {
    await lock.release();
  }
}

async function runHoldingLock(options: RunOptions, lock: HeldLock | null): Promise<RunSummary> {
  const { flow, store, clock } = options;
  const spec = flow.spec;
  const started = clock.now();
  const dryRun = options.dryRun === true;
  const runId = await store.startRun(spec.name, started, dryRun);
  const warnings: string[] = [];
  const log = (line: string) => options.onLog?.(line);
  const warn = (line: string) => {
    warnings.push(line);
    log(`warning: ${line}`);
  };
  const progress = { window: null as TimeWindow | null, windowIndex: 0, windows: 0, page: 0, windowTotal: null as number | null, read: 0, written: 0, unchanged: 0, deadLettered: 0, repeated: 0, new: 0, changed: 0 };
  const emit = () => options.onProgress?.({ ...progress });
  const sourceCall: CallTarget = { system: spec.source.connector, operation: spec.source.operation, credential: options.credentials?.source ?? "", rate: spec.source.rate, retry: spec.source.retry };
  const targetCall: CallTarget = { system: spec.target.connector, operation: spec.target.operation, credential: options.credentials?.target ?? "", rate: spec.target.rate, retry: spec.target.retry };
  let writer: BatchWriter | null = null;
  const nowText = formatDateTime(started, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);
  const fieldStats = new FieldStats(spec.fields);
  const drift = new DriftTracker(options.sourceSchema);
  let recovered = 0;
  let lastBeat = started;

  const finish = async (status: RunStatus, error: string | null): Promise<RunSummary> => {
    const calls = options.calls.meter.stats();
    await store.recordCalls(runId, spec.name, calls);
    await store.recordFieldStats(runId, spec.name, fieldStats.snapshot());
    const report = drift.active ? drift.report() : null;
    if (report && hasDrift(report)) {
      // Reported, never fatal: a system that sends a new field is still answering.
      warn(describeDrift(report));
      await store.recordDrift(runId, spec.name, report);
    }
    const ended = clock.now();
    await store.finishRun(runId, ended, status, { read: progress.read, written: progress.written, unchanged: progress.unchanged, deadLettered: progress.deadLettered }, error);
    return { ...progress, runId, flow: spec.name, status, dryRun, elapsedMs: ended - started, calls, warnings, error, recovered, drift: report };
  };

  try {
    // Before anything is read and compared, the writes an interrupted run left are settled.
    if (!dryRun) {
      // A target that cannot confirm a write whose answer was lost sends it again: say so, every run.
      const resend = atLeastOnce(spec, options.target);
      if (resend !== null) warn(`at-least-once: ${resend}`);
      writer = await BatchWriter.open(spec, store, options.target, options.calls, targetCall, runId, log);
      recovered = writer.settled.confirmed;
    }

    const checkpoint = await store.checkpoint(spec.name);
    const windows: (TimeWindow | null)[] = spec.source.window
      ? (() => {
          const bounds = windowBounds(spec.source.window, { checkpoint, from: options.from, to: options.to, now: started });
          if (bounds.clamped) warn(`--to ${options.to ?? ""} is later than now; reading up to now, so the checkpoint does not pass it`);
          return cutWindows(spec.source.window, bounds.startMs, bounds.endMs);
        })()
      : [null];
    progress.windows = windows.length;
    let limitReached = false;

    for (const [windowIndex, window] of windows.entries()) {
      progress.window = window;
      progress.windowIndex = windowIndex;
      progress.windowTotal = null;
      if (window) log(`window ${window.start} → ${window.end} (${windowIndex + 1}/${windows.length})`);
      const paramCtx: ParamContext = { window: window ? { start: window.start, end: window.end } : null, env: (n) => options.env[n], now: () => nowText };
      const params: Record<string, Scalar> = { ...flow.params(paramCtx) };
      if (window && spec.source.window) {
        if (spec.source.window.startParam !== null) params[spec.source.window.startParam] = window.start;
        if (spec.source.window.endParam !== null) params[spec.source.window.endParam] = window.end;
      }
      // Stopping early (--limit, a failed write) stops the reader too, and any call it is waiting on.
      const stopReading = new AbortController();
      const readSignal = options.signal ? AbortSignal.any([options.signal, stopReading.signal]) : stopReading.signal;
      const queue = new BoundedQueue<Page>(READ_AHEAD_PAGES);
      const reader = (async () => {
        try {
          for await (const page of readPages(
            spec.source,
            params,
            (p) => options.calls.run(sourceCall, () => options.source.read({ operation: spec.source.operation, params: p, recordsPath: spec.source.records, totalPath: spec.source.total, cursorPath: spec.source.page?.mode === "cursor" ? String(spec.source.page.from) : null, timeoutMs: spec.source.timeoutMs, signal: readSignal }), { signal: readSignal, log }),
            (r) => idOf(r, spec.source.id),
            warn,
            options.maxPages ?? DEFAULT_MAX_PAGES,
          )) {
            if (!(await queue.push(page))) return;
          }
          queue.close();
        } catch (error) {
          queue.fail(error);
        }
      })();

      const mapper = new RecordMapper(flow, paramCtx);
      const unit = new WriteUnit(progress, dryRun);
      const send = async (checkpoint?: string) => {
        // Dry runs queue no rows and never send.
        if (!writer) throw new Error("a dry run does not write");
        const { rows, letters } = unit.take();
        const outcome = await writer.write(rows, { deadLetters: letters, checkpoint });
        progress.written += outcome.written;
        progress.deadLettered += outcome.deadLettered;
      };
      try {
        for await (const page of queue.drain()) {
          // Stopping (Ctrl-C) takes effect between pages, not after the pages read ahead.
          options.signal?.throwIfAborted();
          progress.page = page.index + 1;
          progress.windowTotal = page.total;
          let records = page.records;
          if (options.limit !== undefined && progress.read + records.length >= options.limit) {
            records = records.slice(0, Math.max(0, options.limit - progress.read));
            limitReached = true;
          }
          progress.read += records.length;
          await mapper.prepare(records, options.collections);
          // Mapped first, in source order; then compared with the write record in one query.
          const steps: (OutgoingRow | { readonly letter: DeadLetterInput })[] = [];
          const ids: string[] = [];
          for (const record of records) {
            drift.observe(record);
            let sourceId = "";
            try {
              const read = readId(record, spec.source.id);
              if ("refused" in read) {
                steps.push({ letter: { sourceId: noIdKey(record), stage: "map", reason: read.refused, record, row: null } });
                continue;
              }
              sourceId = read.id;
              // JSONata is asynchronous; flows without it must not pay an await per record.
              const mapped = mapper.isAsync ? await mapper.mapAsync(record) : mapper.map(record);
              if (!mapped.ok) {
                if (mapped.row !== null) fieldStats.observe(mapped.row);
                steps.push({ letter: { sourceId, stage: mapped.stage, reason: mapped.reason, record, row: mapped.row } });
                continue;
              }
              const row: OutgoingRow = { sourceId, record, row: mapped.row, hash: contentHash(mapped.row), key: keyOf(mapped.row, spec.target.idcheck) };
              fieldStats.observe(mapped.row);
              ids.push(sourceId);
              steps.push(row);
            } catch (error) {
              // A record nested too deeply (or too large) to map or hash is one dead letter; the rest
              // of its page is written, and the store keeps what it can of the record.
              if (!(error instanceof RangeError)) throw error;
              steps.push({ letter: { sourceId: sourceId || noIdKey(record), stage: "map", reason: tooLargeReason(error), record, row: null } });
            }
          }
          const known = await store.written(spec.name, ids);
          unit.pageStarted();
          for (const step of steps) {
            if ("letter" in step) {
              unit.addLetter(step.letter);
              continue;
            }
            unit.addRow(step, known.get(step.sourceId));
            if (unit.size >= spec.target.batch) await send();
          }
          emit();
          await store.progress(runId, { read: progress.read, written: progress.written, unchanged: progress.unchanged, deadLettered: progress.deadLettered });
          if (lock && clock.now() - lastBeat >= LOCK_BEAT_MS) {
            lastBeat = clock.now();
            await lock.beat(lastBeat);
          }
          if (limitReached) break;
        }
      } finally {
        queue.cancel();
        stopReading.abort();
        await reader;
      }
      // The window's last rows, its dead letters and its checkpoint: one transaction.
      const checkpoint = !limitReached && window ? String(window.endMs) : undefined;
      if (dryRun) progress.deadLettered += unit.letters;
      else if (unit.size > 0 || unit.letters > 0 || checkpoint !== undefined) await send(checkpoint);
      emit();
      if (limitReached) {
        log(`stopped after ${progress.read} records (--limit); the window is not checkpointed`);
        break;
      }
    }
    return await finish(progress.deadLettered > 0 ? "dead-letters" : "ok", null);
  } catch (error) {
    const message = describeFailure(spec.name, error);
    return await finish("failed", message);
  }
}

/** One line naming the flow, the call and the cause. */
export function describeFailure(flow: string, error: unknown): string {
  if (error instanceof CallError) return `${flow}: ${error.message}`;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return `${flow}: a value is nested too deeply to handle (${error.message}); nothing was checkpointed past it`;
  }
  if (error instanceof Error) return `${flow}: ${error.message}`;
  return `${flow}: ${String(error)}`;
}
