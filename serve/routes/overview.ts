import { badge, count, html, page, path, time, type Html } from "../html.js";
import type { FlowSummary, RunView } from "../queries.js";
import type { Handler } from "./context.js";

/** "120 read · 119 written · 0 unchanged · 1 dead-lettered" */
export function rowCounts(r: RunView): string {
  return `${count(r.read)} read · ${count(r.written)} written · ${count(r.unchanged)} unchanged · ${count(r.deadLettered)} dead-lettered`;
}

/** A checkpoint as stored: epoch ms for windowed flows (shown as a time), anything else as text. */
export function checkpointText(value: string | null, now: number): Html | string {
  if (value === null) return "none";
  return /^\d{10,}$/.test(value) ? time(Number(value), now) : value;
}

function card(f: FlowSummary, now: number): Html {
  const last = f.lastRun;
  const live = f.running
    ? html`<p><span class="badge live">running</span> <a href="${path("runs", f.running.id)}">run #${f.running.id} — watch live</a></p>`
    : "";
  const lastRun = last
    ? html`<a href="${path("runs", last.id)}">#${last.id}</a> ${badge(last.status)} ${time(last.startedAt, now)}${last.dryRun ? " · dry run" : ""}`
    : "none yet";
  return html`<article class="card" data-flow="${f.flow}">
<h2><a href="${path("flows", f.flow)}">${f.flow}</a> ${badge(f.health)}</h2>${live}
<dl class="facts">
<dt>Last run</dt><dd>${lastRun}</dd>
${last ? html`<dt>Rows</dt><dd>${rowCounts(last)}</dd>` : ""}
${last?.error ? html`<dt>Error</dt><dd>${last.error}</dd>` : ""}
<dt>Dead letters</dt><dd><a href="${path("flows", f.flow, "dead-letters")}">${count(f.openDeadLetters)} need attention</a></dd>
<dt>Checkpoint</dt><dd>${checkpointText(f.checkpoint, now)}</dd>
<dt>Runs</dt><dd>${count(f.runs)}</dd>
</dl></article>`;
}

/** `/`: every flow with its last run and health. */
export const overviewPage: Handler = (ctx, req) => {
  const now = ctx.now();
  const flows = ctx.queries.flows(now, ctx.staleAfterMs);
  const body = flows.length
    ? html`<h1>Flows</h1><div class="cards">${flows.map((f) => card(f, now))}</div>`
    : html`<h1>Flows</h1><p>No runs yet. Start one with <code>ferry run &lt;flow&gt;</code>; it shows here as it runs.</p>`;
  return { kind: "html", body: page({ title: "Flows", section: "flows", body, nonce: req.nonce }) };
};
