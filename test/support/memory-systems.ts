/**
 * In-memory systems for runtime tests that need exact control of pages, answers and failures: a
 * flow over them, a paged source, a target that can refuse, fail and confirm, and a state store in
 * a temp folder with a fake clock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CallMeter } from "../../runtime/call-meter.js";
import type { LookupRequest, ReadRequest, ReadResponse, RowResult, SourceConnector, TargetConnector, TargetState, WriteRequest } from "../../runtime/connector.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { CallError } from "../../runtime/faults.js";
import { MemoryCollectionStore } from "../../runtime/lookups.js";
import { RateLimits } from "../../runtime/rate-limit.js";
import { Calls } from "../../runtime/run/calls.js";
import { replayDeadLetters, type ReplayOptions, type ReplayResult } from "../../runtime/run/replay.js";
import { runFlow, type RunOptions, type RunSummary } from "../../runtime/run/run-flow.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import type { FlowModule } from "../../runtime/types.js";
import { flowOf, seeded } from "./runtime.js";

/** A flow `f` over the in-memory systems: pages of `size`, batches of `batch`, extra fields and rules as given. */
export function memoryFlow(options: { size?: number; batch?: number; window?: boolean; total?: boolean; fields?: string; rules?: string; retry?: string } = {}): FlowModule {
  const retry = options.retry ?? "2 backoff 1ms..2ms";
  return flowOf(`mapping f "F"
source http "/src" {
${options.window ? "  window start .. end\n" : ""}  page    number page from 1 size size ${options.size ?? 3}
  records items
${options.total ? "  total   total\n" : ""}  id      id
  retry   ${retry}
}
target http "/dst" {
  batch   ${options.batch ?? 2}
  idcheck code
  retry   ${retry}
}
fields {
  code : string <- id | string
  name : string <- name
${options.fields ?? ""}}
${options.rules ?? ""}`);
}

/**
 * A source serving fixed pages (page N is `pages[N-1]`, then empty), or `endless` new records
 * forever; `total` is what it reports as the total, per page number.
 */
export class PagedSource implements SourceConnector {
  calls = 0;
  constructor(
    private readonly pages: readonly (readonly unknown[])[] | "endless",
    private readonly total: (page: number) => number | null = () => null,
  ) {}

  async read(request: ReadRequest): Promise<ReadResponse> {
    this.calls++;
    // Yield to the event loop, as a real call does: a run that never stops reading then fails on
    // the test's timeout instead of spinning on resolved promises.
    await new Promise((resolve) => setImmediate(resolve));
    const page = Number(request.params.page);
    const total = this.total(page);
    if (this.pages === "endless") return { records: [0, 1, 2].map((i) => ({ id: page * 3 + i, name: "n" })), total, cursor: null };
    return { records: this.pages[page - 1] ?? [], total, cursor: null };
  }
}

/** `count` records with ids from 1, named `n<id>`. */
export function numbered(count: number, from = 1): { id: number; name: string }[] {
  return Array.from({ length: count }, (_, i) => ({ id: from + i, name: `n${from + i}` }));
}

/** `records` cut into pages of `size`. */
export function pagesOf<T>(records: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(records.length / size) }, (_, i) => records.slice(i * size, i * size + size));
}

/**
 * A target that holds rows by code and records every write. It can refuse rows, refuse whole
 * batches, lose the answer of a write that landed (a timeout after sending), and, when `confirms`,
 * answer lookups (failing them with `lookupFails` while that is set).
 */
export class MemoryTarget implements TargetConnector {
  readonly held = new Map<string, unknown>();
  readonly writes: string[] = [];
  writeCalls = 0;
  lookupCalls = 0;
  refuseRow: (row: { code: string }) => string | null = () => null;
  refuseBatch: string | null = null;
  /** The next `n` writes land, but their answer is lost. */
  loseAnswers = 0;
  /** Faults the next writes fail with before landing, one per write, in order. */
  readonly failures: CallError[] = [];
  /**
   * The process "dies" at the next write: `"before"` it lands or `"after"` it landed, before its
   * answer is stored. The write throws a plain Error, which nothing retries, so the run ends with
   * the rows pending and the letters open, as a SIGKILL leaves them.
   */
  crash: "before" | "after" | null = null;
  lookupFails: CallError | null = null;
  /** Called as each write arrives, before anything else. */
  onWrite: (request: WriteRequest) => Promise<void> | void = () => {};
  readonly lookup?: (request: LookupRequest) => Promise<readonly TargetState[]>;

  constructor(confirms = false) {
    if (confirms) {
      this.lookup = async (request) => {
        this.lookupCalls++;
        if (this.lookupFails) throw this.lookupFails;
        return request.values.filter((v) => this.held.has(v)).map((v) => ({ key: v, targetId: v, row: this.held.get(v) }));
      };
    }
  }

  async write(request: WriteRequest): Promise<readonly RowResult[]> {
    this.writeCalls++;
    await this.onWrite(request);
    if (this.refuseBatch) throw new CallError("http /dst", "rejected", this.refuseBatch);
    if (this.crash === "before") {
      this.crash = null;
      throw new Error("killed before the write landed");
    }
    const failure = this.failures.shift();
    if (failure) throw failure;
    const results = request.rows.map(({ row }): RowResult => {
      const r = row as { code: string };
      const refusal = this.refuseRow(r);
      if (refusal) return { ok: false, reason: refusal };
      this.writes.push(r.code);
      this.held.set(r.code, row);
      return { ok: true, targetId: r.code };
    });
    if (this.crash === "after") {
      this.crash = null;
      throw new Error("killed after the write landed");
    }
    if (this.loseAnswers > 0) {
      this.loseAnswers--;
      throw new CallError("http /dst", "timeout", "no answer within 1 s");
    }
    return results;
  }
}

/** A state store in a temp folder, a fake clock, and runs and replays over them. */
export interface MemoryBench {
  readonly store: SqliteStateStore;
  readonly clock: FakeClock;
  readonly logs: string[];
  run(flow: FlowModule, source: SourceConnector, target: TargetConnector, options?: Partial<RunOptions>): Promise<RunSummary>;
  replay(flow: FlowModule, target: TargetConnector, options?: Partial<ReplayOptions>): Promise<ReplayResult>;
  openLetters(): Promise<{ sourceId: string; stage: string; record: unknown }[]>;
  close(): Promise<void>;
}

export function memoryBench(): MemoryBench {
  const dir = mkdtempSync(join(tmpdir(), "ferry-edge-"));
  const store = SqliteStateStore.open(join(dir, "state.db"));
  const clock = new FakeClock({ start: Date.UTC(2024, 8, 8), auto: true });
  const calls = () => new Calls(clock, new RateLimits(clock), new CallMeter(), seeded(3));
  const logs: string[] = [];
  return {
    store,
    clock,
    logs,
    run: (f, source, target, options = {}) =>
      runFlow({ flow: f, store, source, target, calls: calls(), collections: new MemoryCollectionStore(), clock, env: {}, onLog: (l) => logs.push(l), ...options }),
    replay: (f, target, options = {}) =>
      replayDeadLetters({ flow: f, store, target, calls: calls(), collections: new MemoryCollectionStore(), clock, env: {}, onLog: (l) => logs.push(l), ...options }),
    openLetters: async () => (await store.deadLetters("f", { unresolvedOnly: true })).map((l) => ({ sourceId: l.sourceId, stage: l.stage, record: l.record })),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
