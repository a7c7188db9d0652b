/**
 * /metrics: the state store as Prometheus metrics. A fresh registry per scrape, filled from one read
 * of the store: the store is the source of truth (runs in other processes write it), so nothing is
 * counted in this process and a console restart loses nothing.
 */
import { Counter, Gauge, Registry, type Metric } from "prom-client";
import { attemptsOf, Histogram, isBucketBound } from "../runtime/call-meter.js";
import type { CallStats } from "../runtime/state/store.js";
import type { MetricsSnapshot } from "./queries.js";

/** Every metric family this endpoint exposes, by name. */
export const METRIC_NAMES = [
  "ferry_runs_total",
  "ferry_runs_running",
  "ferry_rows_total",
  "ferry_api_calls_total",
  "ferry_api_attempts_total",
  "ferry_api_failed_attempts_total",
  "ferry_api_errors_total",
  "ferry_api_retries_total",
  "ferry_api_rate_limit_wait_ms_total",
  "ferry_api_latency_ms",
  "ferry_api_latency_p50_ms",
  "ferry_api_latency_p95_ms",
  "ferry_dead_letters_open",
  "ferry_last_run_timestamp_seconds",
] as const;

/**
 * Upper bounds (ms) of `ferry_api_latency_ms`: from a loopback answer to a timed-out write. Each is a
 * bucket bound of the stored histograms, so every `_bucket` count is exact, not interpolated.
 */
export const LATENCY_BOUNDS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000] as const;
for (const bound of LATENCY_BOUNDS_MS) if (!isBucketBound(bound)) throw new Error(`latency bound ${bound} ms is not a histogram bucket bound`);

interface HistogramSample {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * A Prometheus histogram filled from merged stored buckets. prom-client's Histogram only takes
 * single observations, which would cost a loop over every attempt ever made per scrape; the
 * registry renders any metric that answers `get()` with its values (labels escaped as for the
 * others), so this one answers with the cumulative counts directly.
 */
function latencyHistogram(name: string, help: string, calls: readonly CallStats[]): Metric {
  const values: HistogramSample[] = [];
  for (const c of calls) {
    const labels = { system: c.system, operation: c.operation };
    const histogram = Histogram.of(c.latency);
    for (const bound of LATENCY_BOUNDS_MS) values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: histogram.countAtMost(bound) });
    values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: histogram.count });
    values.push({ metricName: `${name}_sum`, labels, value: histogram.sumMs });
    values.push({ metricName: `${name}_count`, labels, value: histogram.count });
  }
  const metric = { name, help, type: "histogram", aggregator: "sum", get: async () => ({ name, help, type: "histogram", aggregator: "sum", values }) };
  return metric as unknown as Metric;
}

/** The Prometheus text exposition of a snapshot, with its content type. */
export async function renderMetrics(snapshot: MetricsSnapshot): Promise<{ readonly contentType: string; readonly text: string }> {
  const registry = new Registry();
  const registers = [registry];
  const op = ["system", "operation"] as const;

  const runs = new Counter({ name: "ferry_runs_total", help: "Runs that finished, by flow and final status (ok, dead-letters, failed).", labelNames: ["flow", "status"], registers });
  for (const r of snapshot.runs) runs.inc({ flow: r.flow, status: r.status }, r.count);
  const running = new Gauge({ name: "ferry_runs_running", help: "Runs of the flow that have started and not finished.", labelNames: ["flow"], registers });
  for (const r of snapshot.running) running.set({ flow: r.flow }, r.count);

  const rows = new Counter({ name: "ferry_rows_total", help: "Rows handled by runs other than dry runs, by outcome.", labelNames: ["flow", "outcome"], registers });
  for (const r of snapshot.rows) {
    rows.inc({ flow: r.flow, outcome: "read" }, r.read);
    rows.inc({ flow: r.flow, outcome: "written" }, r.written);
    rows.inc({ flow: r.flow, outcome: "unchanged" }, r.unchanged);
    rows.inc({ flow: r.flow, outcome: "dead_lettered" }, r.deadLettered);
  }

  const calls = new Counter({ name: "ferry_api_calls_total", help: "Calls to a system operation: requests ferry needed answered, each counted once however often it was retried.", labelNames: op, registers });
  const attempts = new Counter({ name: "ferry_api_attempts_total", help: "Attempts sent to a system operation: each call's first attempt plus its retries.", labelNames: op, registers });
  const failed = new Counter({ name: "ferry_api_failed_attempts_total", help: "Attempts that failed (timeouts, resets, 429, 5xx, refusals), whether they were retried or not.", labelNames: op, registers });
  const errors = new Counter({ name: "ferry_api_errors_total", help: "Calls that failed in the end, after their retries.", labelNames: op, registers });
  const retries = new Counter({ name: "ferry_api_retries_total", help: "Attempts that were retries of a failed attempt.", labelNames: op, registers });
  const waits = new Counter({ name: "ferry_api_rate_limit_wait_ms_total", help: "Time spent waiting for the rate limit, in ms.", labelNames: op, registers });
  registry.registerMetric(latencyHistogram("ferry_api_latency_ms", "Latency of each attempt in ms: the time a system took to answer or fail, waits excluded.", snapshot.calls));
  const p50 = new Gauge({ name: "ferry_api_latency_p50_ms", help: "Median attempt latency in ms over every attempt recorded.", labelNames: op, registers });
  const p95 = new Gauge({ name: "ferry_api_latency_p95_ms", help: "95th percentile attempt latency in ms over every attempt recorded.", labelNames: op, registers });
  for (const c of snapshot.calls) {
    const labels = { system: c.system, operation: c.operation };
    calls.inc(labels, c.calls);
    attempts.inc(labels, attemptsOf(c));
    failed.inc(labels, c.failedAttempts);
    errors.inc(labels, c.errors);
    retries.inc(labels, c.retries);
    waits.inc(labels, c.rateLimitWaitMs);
    p50.set(labels, c.p50Ms);
    p95.set(labels, c.p95Ms);
  }

  const open = new Gauge({ name: "ferry_dead_letters_open", help: "Dead letters that still need attention.", labelNames: ["flow"], registers });
  for (const d of snapshot.openDeadLetters) open.set({ flow: d.flow }, d.count);

  const last = new Gauge({
    name: "ferry_last_run_timestamp_seconds",
    help: "When a run of the flow that ended with this status last ended, in Unix seconds.",
    labelNames: ["flow", "status"],
    registers,
  });
  for (const l of snapshot.lastRuns) last.set({ flow: l.flow, status: l.status }, l.at / 1000);

  return { contentType: registry.contentType, text: await registry.metrics() };
}
