/**
 * The runtime's performance targets, measured on the real `ferry run` (a child process) against the
 * http test server (another child process, on loopback):
 *
 * - `end_to_end`: records per second of a rate-limited flow, as a fraction of the ceiling its rate
 *   limits set (min(source calls/s × page size, target calls/s × batch size)). The headline runs have
 *   the server enforce the same limits the flow declares (`--limit /shops=20 --limit /customers=10`,
 *   answered 429 + Retry-After: 1 beyond), as a real system would; `without_server_limits` repeats the
 *   runs with only ferry's own limiter, to tell the runtime's overhead from the cost of throttling.
 * - `memory`: peak RSS of unthrottled runs of 10,000 and 1,000,000 records, and their ratio.
 *
 * Every run gets a fresh state folder. The flows share one compile cache (FERRY_CACHE_DIR), warmed by
 * a dry run of one record before anything is timed, so each measured process loads its flow as a
 * scheduled run does instead of starting TypeScript (whose peak would otherwise sit in every figure).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "./cli.js";
import { rssMethod, runFerry, startTestServer, type FerryRun, type RssMethod, type RunSummaryJson, type TestServer } from "./children.js";

/** The http test source ignores the window, so the run covers exactly one `step 1d` window. */
const FROM = "2024-09-07 00:00:00";
const TO = "2024-09-08 00:00:00";
const RUNS = 3;

// ─── Flows ───────────────────────────────────────────────────────────────────────────────────────

export interface FlowShape {
  readonly name: string;
  readonly pageSize: number;
  readonly batch: number;
  /** Calls per second, or null for no limit. */
  readonly sourceRate: number | null;
  readonly targetRate: number | null;
}

/** The text of a loopback flow (the same as test/fixtures/flows/shops.map, with the bench's budget). */
export function flowText(shape: FlowShape): string {
  return `/// Benchmark flow: the loopback test source to the loopback test target.
mapping ${shape.name} "Benchmark ${shape.name}"

source http "/shops" {
  window  start .. end step 1d
  page    number page from 1 size size ${shape.pageSize}
  records data.items
  total   data.total
  id      id${shape.sourceRate === null ? "" : `\n  rate    ${shape.sourceRate}/s`}
}

target http "/customers" {
  batch   ${shape.batch}
  idcheck code${shape.targetRate === null ? "" : `\n  rate    ${shape.targetRate}/s`}
}

fields {
  code : string  <- code
  name : string  <- name
  note : string? <- note
}
`;
}

export const END_TO_END_FLOW: FlowShape = { name: "bench_end_to_end", pageSize: 100, batch: 200, sourceRate: 20, targetRate: 10 };
export const MEMORY_FLOW: FlowShape = { name: "bench_memory", pageSize: 1000, batch: 500, sourceRate: null, targetRate: null };
const END_TO_END_RECORDS = 20_000;
const MEMORY_SMALL = 10_000;
const MEMORY_LARGE = 1_000_000;

/** min(source calls/s × page size, target calls/s × batch size), records per second. */
export function ceilingOf(shape: FlowShape): number {
  if (shape.sourceRate === null || shape.targetRate === null) throw new Error(`bench: ${shape.name} has no rate limits, so no ceiling`);
  return Math.min(shape.sourceRate * shape.pageSize, shape.targetRate * shape.batch);
}

// ─── Shared plumbing ─────────────────────────────────────────────────────────────────────────────

const round1 = (n: number): number => Math.round(n * 10) / 10;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** A temp folder with the flows, the compile cache and one fresh state folder per run. */
class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), "ferry-bench-run-"));
  readonly cache = join(this.dir, "cache");
  #runs = 0;

  writeFlow(shape: FlowShape): string {
    const file = join(this.dir, `${shape.name}.map`);
    writeFileSync(file, flowText(shape));
    return file;
  }

  /** `ferry run` with a fresh state folder; fails loudly unless every record was read and written. */
  async run(root: string, server: TestServer, flow: string, records: number, extraArgs: readonly string[] = []): Promise<FerryRun> {
    const n = ++this.#runs;
    const state = join(this.dir, `state-${n}`);
    mkdirSync(state);
    const dryRun = extraArgs.includes("--dry-run");
    const run = await runFerry(root, {
      flow,
      args: ["--from", FROM, "--to", TO, ...extraArgs],
      cwd: this.dir,
      env: { FERRY_HTTP_URL: server.url, FERRY_STATE_DIR: state, FERRY_CACHE_DIR: this.cache },
      rssFile: join(this.dir, `rss-${n}.txt`),
    });
    const s = run.summary;
    if (s.status !== "ok") throw new Error(`bench: ferry run ${flow} ended ${s.status}: ${s.error ?? ""}`);
    if (!dryRun && (s.read !== records || s.written !== records || s.deadLettered !== 0)) {
      throw new Error(`bench: ferry run ${flow} read ${s.read}, wrote ${s.written}, dead-lettered ${s.deadLettered}; expected ${records} read and written`);
    }
    rmSync(state, { recursive: true, force: true });
    return run;
  }

  /** Compiles `flow` into the shared cache with a dry run of one record (nothing is timed). */
  async warm(root: string, server: TestServer, flow: string): Promise<FerryRun> {
    return this.run(root, server, flow, 1, ["--dry-run", "--limit", "1"]);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Records per second by the run's own clock: written / elapsedMs (runFlow's start to its end). */
const rpsOf = (s: RunSummaryJson): number => s.written / (s.elapsedMs / 1000);

export interface CallFigures {
  readonly calls: number;
  readonly retries: number;
  readonly errors: number;
  readonly p50_ms: number;
  readonly p95_ms: number;
  /** Time spent in the call outside the rate-limit waits: the exchange, its retries and their backoff. */
  readonly total_ms: number;
  readonly rate_limit_wait_ms: number;
}

function callFigures(s: RunSummaryJson): Record<string, CallFigures> {
  return Object.fromEntries(
    s.calls.map((c) => [
      c.operation,
      { calls: c.calls, retries: c.retries, errors: c.errors, p50_ms: round1(c.p50Ms), p95_ms: round1(c.p95Ms), total_ms: Math.round(c.totalMs), rate_limit_wait_ms: Math.round(c.rateLimitWaitMs) },
    ]),
  );
}

// ─── end_to_end ──────────────────────────────────────────────────────────────────────────────────

export interface EndToEndRun {
  readonly rps: number;
  readonly fraction_of_ceiling: number;
  readonly elapsed_ms: number;
  /** The whole process, spawn to exit. */
  readonly wall_ms: number;
  readonly wall_rps: number;
  readonly calls: Record<string, CallFigures>;
}

export interface EndToEndSeries {
  /** Median of the runs. */
  readonly rps: number;
  readonly fraction_of_ceiling: number;
  readonly wall_ms: number;
  readonly runs: readonly EndToEndRun[];
}

export interface EndToEndResult extends EndToEndSeries {
  readonly records: number;
  readonly flow: { readonly page_size: number; readonly batch: number; readonly source_rate_per_s: number; readonly target_rate_per_s: number };
  readonly ceiling_rps: number;
  /** records / ceiling: the elapsed time a run at the ceiling takes. */
  readonly ideal_ms: number;
  readonly target: number;
  readonly meets_target: boolean;
  /** Requests per second per path the test server enforced in the headline runs. */
  readonly server_limits: Readonly<Record<string, number>>;
  /** The same runs with no limit enforced by the server: ferry's own limiter only. */
  readonly without_server_limits: EndToEndSeries;
}

function series(runs: readonly EndToEndRun[], ceiling: number): EndToEndSeries {
  const rps = median(runs.map((r) => r.rps));
  return { rps: round1(rps), fraction_of_ceiling: round3(rps / ceiling), wall_ms: Math.round(median(runs.map((r) => r.wall_ms))), runs };
}

export async function benchEndToEnd(root: string): Promise<EndToEndResult> {
  const shape = END_TO_END_FLOW;
  const records = END_TO_END_RECORDS;
  const ceiling = ceilingOf(shape);
  const serverLimits: Record<string, number> = { "/shops": shape.sourceRate as number, "/customers": shape.targetRate as number };
  const work = new Workspace();
  try {
    const flow = work.writeFlow(shape);
    const servers: TestServer[] = [];
    /** One fresh server per run, so no run inherits another's sliding windows or stored rows. */
    const withServer = async <T>(limits: Record<string, number> | undefined, body: (server: TestServer) => Promise<T>): Promise<T> => {
      const server = await startTestServer(root, { records, ...(limits ? { limits } : {}) });
      servers.push(server);
      try {
        return await body(server);
      } finally {
        await server.stop();
      }
    };
    try {
      await withServer(undefined, (server) => work.warm(root, server, flow));
      const enforced: EndToEndRun[] = [];
      const clientOnly: EndToEndRun[] = [];
      // Interleaved, so a change in the machine's load touches both series alike.
      for (let i = 0; i < RUNS; i++) {
        for (const [label, limits, into] of [
          ["server limits", serverLimits, enforced],
          ["ferry's limiter only", undefined, clientOnly],
        ] as const) {
          const run = await withServer(limits, (server) => work.run(root, server, flow, records));
          const s = run.summary;
          const rps = rpsOf(s);
          into.push({
            rps: round1(rps),
            fraction_of_ceiling: round3(rps / ceiling),
            elapsed_ms: s.elapsedMs,
            wall_ms: Math.round(run.wallMs),
            wall_rps: round1(s.written / (run.wallMs / 1000)),
            calls: callFigures(s),
          });
          const retries = s.calls.reduce((n, c) => n + c.retries, 0);
          log(`end_to_end (${label}), ${records} records, run ${i + 1}: ${rps.toFixed(0)} records/s (${((rps / ceiling) * 100).toFixed(1)}% of ${ceiling}), ${s.elapsedMs} ms, ${retries} retries`);
        }
      }
      const headline = series(enforced, ceiling);
      return {
        records,
        flow: { page_size: shape.pageSize, batch: shape.batch, source_rate_per_s: shape.sourceRate as number, target_rate_per_s: shape.targetRate as number },
        ceiling_rps: ceiling,
        ideal_ms: Math.round((records / ceiling) * 1000),
        ...headline,
        target: 0.9,
        meets_target: headline.fraction_of_ceiling >= 0.9,
        server_limits: serverLimits,
        without_server_limits: series(clientOnly, ceiling),
      };
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  } finally {
    work.remove();
  }
}

// ─── memory ──────────────────────────────────────────────────────────────────────────────────────

export interface MemoryRun {
  readonly records: number;
  readonly peak_rss_mb: number;
  readonly rps: number;
  readonly elapsed_ms: number;
  readonly wall_ms: number;
  /** Time the test server took to generate its records and listen. */
  readonly server_start_ms: number;
}

export interface MemoryResult {
  readonly flow: { readonly page_size: number; readonly batch: number; readonly rate_limits: null };
  readonly small: MemoryRun;
  readonly large: MemoryRun;
  /** large.peak_rss_mb / small.peak_rss_mb. */
  readonly ratio: number;
  readonly target: number;
  readonly meets_target: boolean;
  readonly rss_method: RssMethod;
  /** Peak RSS of the warm-up dry run (one record), which compiles the flow: what a run with a cold cache adds. */
  readonly compile_peak_rss_mb: number;
}

const mb = (kb: number): number => round1(kb / 1024);

export async function benchMemory(root: string): Promise<MemoryResult> {
  const shape = MEMORY_FLOW;
  const work = new Workspace();
  const servers: TestServer[] = [];
  try {
    const flow = work.writeFlow(shape);
    let compileKb = 0;
    const measure = async (records: number, warm: boolean): Promise<MemoryRun> => {
      // The server holds every record in memory: give it room for a million.
      const server = await startTestServer(root, { records, maxOldSpaceMb: 4096, startTimeoutMs: 300_000 });
      servers.push(server);
      try {
        if (warm) compileKb = (await work.warm(root, server, flow)).peakRssKb;
        const run = await work.run(root, server, flow, records);
        const s = run.summary;
        const result = { records, peak_rss_mb: mb(run.peakRssKb), rps: round1(rpsOf(s)), elapsed_ms: s.elapsedMs, wall_ms: Math.round(run.wallMs), server_start_ms: Math.round(server.startMs) };
        log(`memory, ${records} records: peak RSS ${result.peak_rss_mb} MB, ${result.rps} records/s, ${s.elapsedMs} ms (server start ${result.server_start_ms} ms)`);
        return result;
      } finally {
        await server.stop();
      }
    };
    const small = await measure(MEMORY_SMALL, true);
    const large = await measure(MEMORY_LARGE, false);
    const ratio = round3(large.peak_rss_mb / small.peak_rss_mb);
    return {
      flow: { page_size: shape.pageSize, batch: shape.batch, rate_limits: null },
      small,
      large,
      ratio,
      target: 1.5,
      meets_target: ratio <= 1.5,
      rss_method: rssMethod(),
      compile_peak_rss_mb: mb(compileKb),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    work.remove();
  }
}

// ─── memory_cold ─────────────────────────────────────────────────────────────────────────────────

/** As {@link MemoryResult}, but each run starts with an empty compile cache, so it parses, checks and compiles the flow itself. */
export type ColdMemoryResult = Omit<MemoryResult, "compile_peak_rss_mb">;

/**
 * Peak RSS of `ferry run` at 10,000 and 1,000,000 records when the flow is not in the compile cache:
 * what a first run (or a run after ferry was upgraded) costs. The compiler must be gone by the time
 * records stream, or it sits in every figure of a long run.
 */
export async function benchColdMemory(root: string): Promise<ColdMemoryResult> {
  const shape = MEMORY_FLOW;
  const servers: TestServer[] = [];
  const measure = async (records: number): Promise<MemoryRun> => {
    const work = new Workspace(); // a fresh, empty cache
    const server = await startTestServer(root, { records, maxOldSpaceMb: 4096, startTimeoutMs: 300_000 });
    servers.push(server);
    try {
      const run = await work.run(root, server, work.writeFlow(shape), records);
      const s = run.summary;
      const result = { records, peak_rss_mb: mb(run.peakRssKb), rps: round1(rpsOf(s)), elapsed_ms: s.elapsedMs, wall_ms: Math.round(run.wallMs), server_start_ms: Math.round(server.startMs) };
      log(`memory_cold, ${records} records: peak RSS ${result.peak_rss_mb} MB, ${result.rps} records/s, ${s.elapsedMs} ms`);
      return result;
    } finally {
      await server.stop();
      work.remove();
    }
  };
  try {
    const small = await measure(MEMORY_SMALL);
    const large = await measure(MEMORY_LARGE);
    const ratio = round3(large.peak_rss_mb / small.peak_rss_mb);
    return { flow: { page_size: shape.pageSize, batch: shape.batch, rate_limits: null }, small, large, ratio, target: 1.3, meets_target: ratio <= 1.3, rss_method: rssMethod() };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
