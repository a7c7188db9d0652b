/**
 * /metrics: the state store as Prometheus metrics. A fresh registry per scrape, filled from one read
 * of the store: the store is the source of truth (runs in other processes write it), so nothing is
 * counted in this process and a console restart loses nothing.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { MetricsSnapshot } from "./queries.js";

/** Every metric this endpoint exposes, by name. */
export const METRIC_NAMES = [
  "ferry_runs_total",
  "ferry_rows_total",
  "ferry_api_calls_total",
  "ferry_api_errors_total",
  "ferry_api_retries_total",
  "ferry_api_rate_limit_wait_ms_total",
  "ferry_api_latency_p50_ms",
  "ferry_api_latency_p95_ms",
  "ferry_dead_letters_open",
  "ferry_last_run_timestamp_seconds",
] as const;

/** The Prometheus text exposition of a snapshot, with its content type. */
export async function renderMetrics(snapshot: MetricsSnapshot): Promise<{ readonly contentType: string; readonly text: string }> {
  const registry = new Registry();
  const registers = [registry];
  const op = ["system", "operation"] as const;

  const runs = new Counter({ name: "ferry_runs_total", help: "Runs started, by flow and current status (running, ok, dead-letters, failed).", labelNames: ["flow", "status"], registers });
  for (const r of snapshot.runs) runs.inc({ flow: r.flow, status: r.status }, r.count);

  const rows = new Counter({ name: "ferry_rows_total", help: "Rows handled by runs other than dry runs, by outcome.", labelNames: ["flow", "outcome"], registers });
  for (const r of snapshot.rows) {
    rows.inc({ flow: r.flow, outcome: "read" }, r.read);
    rows.inc({ flow: r.flow, outcome: "written" }, r.written);
    rows.inc({ flow: r.flow, outcome: "unchanged" }, r.unchanged);
    rows.inc({ flow: r.flow, outcome: "dead_lettered" }, r.deadLettered);
  }

  const calls = new Counter({ name: "ferry_api_calls_total", help: "Calls to a system operation, retries included.", labelNames: op, registers });
  const errors = new Counter({ name: "ferry_api_errors_total", help: "Calls that failed (before or after their retries).", labelNames: op, registers });
  const retries = new Counter({ name: "ferry_api_retries_total", help: "Calls that were retries of a failed call.", labelNames: op, registers });
  const waits = new Counter({ name: "ferry_api_rate_limit_wait_ms_total", help: "Time spent waiting for the rate limit, in ms.", labelNames: op, registers });
  const p50 = new Gauge({ name: "ferry_api_latency_p50_ms", help: "Median call latency in ms (worst run).", labelNames: op, registers });
  const p95 = new Gauge({ name: "ferry_api_latency_p95_ms", help: "95th percentile call latency in ms (worst run).", labelNames: op, registers });
  for (const c of snapshot.calls) {
    const labels = { system: c.system, operation: c.operation };
    calls.inc(labels, c.calls);
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
    help: "When a run of the flow with this status last ended (or started, while running), in Unix seconds.",
    labelNames: ["flow", "status"],
    registers,
  });
  for (const l of snapshot.lastRuns) last.set({ flow: l.flow, status: l.status }, l.at / 1000);

  return { contentType: registry.contentType, text: await registry.metrics() };
}
