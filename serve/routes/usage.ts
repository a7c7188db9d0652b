import { attemptsOf } from "../../runtime/call-meter.js";
import type { RateSpec } from "../../runtime/types.js";
import { count, duration, formatTime, html, Html, page, path, percent, table } from "../html.js";
import { USAGE_HOURS, type OperationUsage } from "../queries.js";
import type { Handler } from "./context.js";

const HOUR_MS = 3_600_000;

/** Calls per hour as a row of thin bars, newest on the right; the tallest hour fills the height. */
function bars(hourly: readonly number[], since: number): Html {
  const peak = Math.max(1, ...hourly);
  return html`<span class="bars" role="img" aria-label="calls per hour, last ${USAGE_HOURS} h">${hourly.map((n, i) => {
    const height = n === 0 ? 0 : Math.max(4, Math.round((100 * n) / peak));
    return html`<span${new Html(n === 0 ? ' class="none"' : "")} style="height:${height}%" title="${formatTime(since + i * HOUR_MS).slice(0, 16)} — ${count(n)} calls"></span>`;
  })}</span>`;
}

/**
 * The per-operation table of the usage page and the flow page. Failed attempts (what the system got
 * wrong, retried or not) and failed calls (what was still wrong after the retries) are shown apart:
 * retries that succeed hide a failing system from the second, never from the first.
 */
export function usageTable(operations: readonly OperationUsage[], since?: number): Html {
  const headers = ["system", "operation", "calls", "retries", "failed attempts", "failed calls", "p50", "p95", "rate-limit wait"];
  const rows = operations.map((o) => {
    const attempts = attemptsOf(o);
    const cells: unknown[] = [
      o.system,
      o.operation,
      count(o.calls),
      count(o.retries),
      // The share of attempts that failed is the system's error rate; of calls, what retries could not save.
      html`${count(o.failedAttempts)} <span class="muted">(${percent(o.failedAttempts, attempts)})</span>`,
      html`${count(o.errors)} <span class="muted">(${percent(o.errors, o.calls)})</span>`,
      o.latency.buckets.length ? duration(o.p50Ms) : "—",
      o.latency.buckets.length ? duration(o.p95Ms) : "—",
      duration(o.rateLimitWaitMs),
    ];
    if (since !== undefined) cells.push(html`${bars(o.hourly, since)} <span class="muted">${count(o.hourly.reduce((a, b) => a + b, 0))}</span>`);
    return cells;
  });
  return table(since === undefined ? headers : [...headers, `calls per hour, last ${USAGE_HOURS} h`], rows, "No API calls recorded yet.", {
    numeric: [2, 3, 4, 5, 6, 7, 8],
    rowAttributes: (i) => {
      const o = operations[i];
      return html` data-system="${o?.system}" data-operation="${o?.operation}" data-calls="${o?.calls}" data-failed-attempts="${o?.failedAttempts}" data-errors="${o?.errors}"`;
    },
  });
}

/** Calls an hour a `rate` allows: count per perMs, scaled to an hour. */
export function hourlyCapacity(rate: RateSpec): number {
  return (rate.count * HOUR_MS) / rate.perMs;
}

function rateText(rate: RateSpec): string {
  const perSecond = (rate.count * 1000) / rate.perMs;
  return `${Number.isInteger(perSecond) ? perSecond : perSecond.toFixed(2)}/s`;
}

/**
 * `/usage[?flow=]`: calls, errors, latency and rate-limit waits per system and operation, calls per
 * hour over the last 48 h, and per flow the busiest hour against the `rate` of the flow's spec.
 */
export const usagePage: Handler = async (ctx, req) => {
  const flow = req.query.get("flow") ?? undefined;
  const now = ctx.now();
  const usage = ctx.queries.usage(now, flow);
  const perFlow: unknown[][] = [];
  for (const f of usage.flows) {
    const spec = await ctx.specs(f.flow);
    const side = [spec?.source, spec?.target].find((s) => s && s.connector === f.system && s.operation === f.operation && s.rate);
    const capacity = side?.rate ? hourlyCapacity(side.rate) : undefined;
    perFlow.push([
      html`<a href="${path("flows", f.flow)}">${f.flow}</a>`,
      f.system,
      f.operation,
      count(f.calls),
      html`${count(f.busiestHour)}${f.busiestAt === null ? "" : html` <span class="muted">(${formatTime(f.busiestAt).slice(0, 13)}:00)</span>`}`,
      side?.rate ? `${rateText(side.rate)} = ${count(capacity!)}/h` : "—",
      capacity === undefined ? "—" : percent(f.busiestHour, capacity),
    ]);
  }
  const body = html`<h1>API usage${flow === undefined ? "" : html` · ${ctx.mask.text(flow)}`}</h1>
<p class="muted">Calls per system and operation over every run${flow === undefined ? "" : " of this flow"}; the bars count calls per hour over the last ${USAGE_HOURS} h, dated by the start of their run. A call is one request ferry needed answered; its attempts are the first and each retry. Latencies are per attempt (the time the system took to answer or fail, waits excluded), over every attempt of these runs.</p>
${usageTable(usage.operations, usage.since)}
<h2>Per flow, last ${USAGE_HOURS} h</h2>
<p class="muted">Quota use compares the busiest hour with the <code>rate</code> the flow's spec in mappings/ declares for the operation (rate × 3600 calls an hour).</p>
${table(["flow", "system", "operation", "calls", "busiest hour", "rate", "quota use"], perFlow, `No calls in the last ${USAGE_HOURS} h.`, {
  numeric: [3, 4, 6],
  rowAttributes: (i) => html` data-flow="${usage.flows[i]?.flow}" data-operation="${usage.flows[i]?.operation}"`,
})}`;
  return { kind: "html", body: page({ title: "API usage", section: "usage", body, nonce: req.nonce }) };
};
