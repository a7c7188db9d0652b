import { badge, count, duration, html, page, path, table, time } from "../html.js";
import type { Handler } from "./context.js";
import { notFound } from "./not-found.js";
import { checkpointText } from "./overview.js";
import { usageTable } from "./usage.js";

const HISTORY = 100;

/** `/flows/:flow`: the flow's health, its run history and its API calls. */
export const flowPage: Handler = (ctx, req) => {
  const name = req.params.flow ?? "";
  const now = ctx.now();
  const flow = ctx.queries.flow(name, now, ctx.staleAfterMs);
  if (!flow) return notFound(`ferry has no state for a flow named “${ctx.mask.text(name)}”.`);
  const runs = ctx.queries.runs(name, HISTORY);
  const drift = ctx.queries.drift(name);
  const rows = runs.map((r) => [
    html`<a href="${path("runs", r.id)}">#${r.id}</a>`,
    time(r.startedAt, now),
    r.endedAt === null ? "running" : duration(r.endedAt - r.startedAt),
    html`${badge(r.status)}${r.dryRun ? " dry run" : ""}`,
    count(r.read),
    count(r.written),
    count(r.unchanged),
    count(r.deadLettered),
    r.error ?? "",
  ]);
  const body = html`<h1>${flow.flow} ${badge(flow.health)}</h1>
<dl class="facts">
<dt>Dead letters</dt><dd><a href="${path("flows", flow.flow, "dead-letters")}">${count(flow.openDeadLetters)} need attention</a></dd>
<dt>Checkpoint</dt><dd>${checkpointText(flow.checkpoint, now)}</dd>
<dt>Runs</dt><dd>${count(flow.runs)}</dd>
${drift ? html`<dt>Drift</dt><dd class="drift"><span class="badge warn">drift</span> <a href="${path("runs", drift.runId)}">run #${drift.runId}</a>: ${drift.text}</dd>` : ""}
<dt>More</dt><dd><a href="/quality?flow=${encodeURIComponent(flow.flow)}">data quality</a> · <a href="/usage?flow=${encodeURIComponent(flow.flow)}">API usage</a></dd>
</dl>
<h2>API calls</h2>${usageTable(ctx.queries.usage(now, name).operations)}
<h2>Runs${flow.runs > HISTORY ? html` <span class="muted">(newest ${HISTORY})</span>` : ""}</h2>
${table(["run", "started", "took", "status", "read", "written", "unchanged", "dead letters", "error"], rows, "No runs yet.", { numeric: [4, 5, 6, 7] })}`;
  return { kind: "html", body: page({ title: flow.flow, section: "flows", body, nonce: req.nonce }) };
};
