import { badgeKind, count, duration, html, page, path, time } from "../html.js";
import type { RunView } from "../queries.js";
import type { Handler, Reply } from "./context.js";
import { notFound } from "./not-found.js";

function runId(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/**
 * Polls the run once a second while it is running and writes the counts into the page. Constant
 * text: the run id is read from a data attribute, never spliced into the script. Values go in with
 * textContent, so nothing from the answer is ever parsed as markup.
 */
const LIVE_SCRIPT = `
(function () {
  var live = document.getElementById("live");
  if (!live) return;
  var id = live.getAttribute("data-run");
  var kinds = { ok: "ok", failed: "bad", running: "live" };
  function set(field, text) {
    var nodes = live.querySelectorAll('[data-field="' + field + '"]');
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = text;
  }
  function show(run) {
    ["read", "written", "unchanged", "deadLettered"].forEach(function (f) { set(f, Number(run[f]).toLocaleString("en-US")); });
    set("took", run.endedAt === null ? "running" : ((run.endedAt - run.startedAt) / 1000).toFixed(1) + " s");
    set("error", run.error === null ? "" : String(run.error));
    var status = document.getElementById("status");
    status.textContent = run.status;
    status.className = "badge " + (kinds[run.status] || "warn");
    live.setAttribute("data-status", run.status);
  }
  function tick() {
    fetch("/api/runs/" + encodeURIComponent(id), { headers: { accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (run) { show(run); if (run.status === "running") setTimeout(tick, 1000); })
      .catch(function () { setTimeout(tick, 5000); });
  }
  if (live.getAttribute("data-status") === "running") setTimeout(tick, 1000);
})();
`;

/** `/runs/:id`: one run, updated live while it runs. */
export const runPage: Handler = (ctx, req) => {
  const id = runId(req.params.id);
  const run = id === undefined ? undefined : ctx.queries.run(id);
  if (!run) return notFound(`There is no run #${ctx.mask.text(req.params.id ?? "")}.`);
  const now = ctx.now();
  const took = run.endedAt === null ? "running" : duration(run.endedAt - run.startedAt);
  const body = html`<h1>Run #${run.id} · <a href="${path("flows", run.flow)}">${run.flow}</a></h1>
<section id="live" data-run="${run.id}" data-status="${run.status}">
<p><span id="status" class="badge ${badgeKind(run.status)}">${run.status}</span>${run.dryRun ? " dry run" : ""}</p>
<dl class="facts">
<dt>Read</dt><dd data-field="read">${count(run.read)}</dd>
<dt>Written</dt><dd data-field="written">${count(run.written)}</dd>
<dt>Unchanged</dt><dd data-field="unchanged">${count(run.unchanged)}</dd>
<dt>Dead-lettered</dt><dd data-field="deadLettered">${count(run.deadLettered)}</dd>
<dt>Started</dt><dd>${time(run.startedAt, now)}</dd>
<dt>Took</dt><dd data-field="took">${took}</dd>
<dt>Error</dt><dd data-field="error">${run.error ?? ""}</dd>
</dl></section>
<p><a href="${path("flows", run.flow, "dead-letters")}">Dead letters of ${run.flow}</a></p>`;
  return { kind: "html", body: page({ title: `Run #${run.id}`, section: "flows", body, nonce: req.nonce, script: LIVE_SCRIPT }) };
};

/** `/api/runs/:id`: the run as JSON, for the live view (and scripts). */
export const runApi: Handler = (ctx, req): Reply => {
  const id = runId(req.params.id);
  const run: RunView | undefined = id === undefined ? undefined : ctx.queries.run(id);
  return run ? { kind: "json", body: run } : { kind: "json", status: 404, body: { error: "no such run" } };
};

/** `/api/flows`: every flow with its last run and health, as JSON. */
export const flowsApi: Handler = (ctx) => ({ kind: "json", body: ctx.queries.flows(ctx.now(), ctx.staleAfterMs) });
