import { count, html, page, path, table, time, type Html } from "../html.js";
import type { QualityGroup } from "../queries.js";
import type { Handler } from "./context.js";

const ANOMALIES_SHOWN = 100;

function byFlow(groups: readonly QualityGroup[]): Map<string, QualityGroup[]> {
  const out = new Map<string, QualityGroup[]>();
  for (const g of groups) out.set(g.flow, [...(out.get(g.flow) ?? []), g]);
  return out;
}

/**
 * A cell of a table whose columns are only known at run time: `*_at` times shown as times, run ids
 * as links, JSON as text; everything else as text (escaped by `html` like any value).
 */
function cell(column: string, value: unknown, now: number): unknown {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && column.endsWith("_at")) return time(value, now);
  if (typeof value === "number" && column === "run_id") return html`<a href="${path("runs", value)}">#${value}</a>`;
  if (typeof value === "number" && !Number.isInteger(value)) return Number(value.toPrecision(4));
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * `/quality[?flow=]`: rows that failed a `check` rule (or could not be mapped), grouped by rule per
 * flow, and the anomalies the data-quality checks found, when this database has that table.
 */
export const qualityPage: Handler = (ctx, req) => {
  const flow = req.query.get("flow") ?? undefined;
  const now = ctx.now();
  const groups = byFlow(ctx.queries.quality(flow));
  // Every flow gets a heading, so "no failures" is stated rather than left to be inferred.
  const flows = ctx.queries.flows(now, ctx.staleAfterMs).map((f) => f.flow).filter((f) => flow === undefined || f === ctx.mask.text(flow));
  const sections: Html[] = flows.map((name) => {
    const list = groups.get(name) ?? [];
    return html`<h2><a href="${path("flows", name)}">${name}</a> <span class="muted">· <a href="${path("flows", name, "dead-letters")}">dead letters</a></span></h2>
${table(
  ["rule / reason", "stage", "open", "total", "last seen"],
  list.map((g) => [g.reason, g.stage, count(g.open), count(g.total), time(g.lastAt, now)]),
  "No row has failed a check rule or the mapping.",
  { numeric: [2, 3], rowAttributes: (i) => html` data-stage="${list[i]?.stage}"` },
)}`;
  });
  const anomalies = ctx.queries.optionalTable("anomalies", ANOMALIES_SHOWN, flow);
  const anomalySection = anomalies === null
    ? html`<p class="muted">This state database has no anomaly table yet.</p>`
    : table(anomalies.columns, anomalies.rows.map((r) => r.map((c, i) => cell(anomalies.columns[i] ?? "", c, now))), "No anomalies found.");
  const body = html`<h1>Data quality${flow === undefined ? "" : html` · ${ctx.mask.text(flow)}`}</h1>
<p class="muted">Rows refused by a <code>check</code> rule (stage check) or that could not be mapped (stage map), grouped by reason.</p>
${sections.length ? sections : html`<p>No flows yet.</p>`}
<h2>Anomalies</h2>
${anomalySection}`;
  return { kind: "html", body: page({ title: "Data quality", section: "quality", body, nonce: req.nonce }) };
};
