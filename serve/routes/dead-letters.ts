import { randomBytes } from "node:crypto";
import { writeJson } from "../../runtime/json.js";
import { count, html, page, path, time, type Html } from "../html.js";
import type { DeadLetterView } from "../queries.js";
import type { ReplayOutcome } from "../replay.js";
import type { Handler, Reply } from "./context.js";
import { notFound } from "./not-found.js";

/** Letters shown per page: a flow with thousands open needs a fix and a replay, not a long scroll. */
const SHOWN = 200;

/** A payload as escaped, pretty-printed JSON (already masked by the queries). */
function json(value: unknown): string {
  // writeJson: an id beyond 2^53 is a BigInt, which JSON.stringify refuses.
  return writeJson(value, 2) ?? "null";
}

function letter(l: DeadLetterView, now: number): Html {
  const open = l.resolvedAt === null;
  const state = open ? html`<span class="badge warn">${l.stage}</span>` : html`<span class="badge ok">replayed</span>`;
  const replayed = open ? "" : html` · replayed ${time(l.resolvedAt, now)}`;
  const row = l.row === null ? "" : html`<details><summary>Mapped row</summary><pre>${json(l.row)}</pre></details>`;
  const attempts =
    l.attempts.length > 1
      ? html`<details class="attempts"><summary>Failed ${count(l.attempts.length)} times</summary><ol>${l.attempts.map(
          (a) => html`<li>${time(a.at, now)} · ${a.stage} in <a href="${path("runs", a.runId)}">run #${a.runId}</a>: ${a.reason}</li>`,
        )}</ol></details>`
      : "";
  return html`<article class="letter${open ? "" : " resolved"}" id="letter-${l.id}" data-source-id="${l.sourceId}" data-state="${open ? "open" : "replayed"}">
<div>${state} source id <strong>${l.sourceId}</strong> · refused at ${l.stage} in <a href="${path("runs", l.runId)}">run #${l.runId}</a>, ${time(l.createdAt, now)}${replayed}</div>
<p class="reason">${l.reason}</p>
${attempts}<pre>${json(l.record)}</pre>${row}
</article>`;
}

function notice(outcome: ReplayOutcome | undefined): Html | string {
  if (!outcome) return "";
  const failed = outcome.failed.length
    ? html`<ul>${outcome.failed.map((f) => html`<li>source id <strong>${f.sourceId}</strong>: ${f.reason}</li>`)}</ul>`
    : "";
  return html`<div class="notice ${outcome.ok ? "ok" : "bad"}" role="status" id="outcome">${outcome.message}${failed}</div>`;
}

/** `/flows/:flow/dead-letters`: the rows that need attention, with the reason, the payload and a replay button. */
export const deadLettersPage: Handler = (ctx, req) => {
  const name = req.params.flow ?? "";
  const now = ctx.now();
  const flow = ctx.queries.flow(name, now, ctx.staleAfterMs);
  if (!flow) return notFound(`ferry has no state for a flow named “${ctx.mask.text(name)}”.`);
  const { open, resolved } = ctx.queries.deadLetters(name, SHOWN);
  const replay = flow.openDeadLetters
    ? html`<form method="post" action="${path("flows", flow.flow, "replay")}">
<input type="hidden" name="csrf" value="${ctx.csrf}">
<button type="submit">Replay ${count(flow.openDeadLetters)} dead letter${flow.openDeadLetters === 1 ? "" : "s"}</button>
<p class="muted">Maps the stored records again with the flow in mappings/ (fix it first) and writes them, as <code>ferry replay ${flow.flow}</code> does.</p>
</form>`
    : "";
  const body = html`<h1>Dead letters · <a href="${path("flows", flow.flow)}">${flow.flow}</a></h1>
${notice(ctx.outcomes.get(req.query.get("outcome"), name))}
<p>${count(flow.openDeadLetters)} row${flow.openDeadLetters === 1 ? "" : "s"} need${flow.openDeadLetters === 1 ? "s" : ""} attention${flow.openDeadLetters > open.length ? html` <span class="muted">(oldest ${count(open.length)} shown)</span>` : ""}.</p>
${replay}
${open.map((l) => letter(l, now))}
${resolved.length ? html`<h2>Replayed</h2>${resolved.map((l) => letter(l, now))}` : ""}`;
  return { kind: "html", body: page({ title: `Dead letters · ${flow.flow}`, section: "flows", body, nonce: req.nonce }) };
};

/**
 * `POST /flows/:flow/replay`: replays in process, then redirects (303) to the dead-letter page with
 * the outcome, so a reload shows the page again instead of replaying again. The CSRF token was
 * checked by the server before this runs.
 */
export const replayPost: Handler = async (ctx, req): Promise<Reply> => {
  const name = req.params.flow ?? "";
  if (!ctx.queries.flowNames().includes(name)) return notFound(`ferry has no state for a flow named “${ctx.mask.text(name)}”.`);
  let outcome: ReplayOutcome;
  if (ctx.replaying.has(name)) {
    outcome = { ok: false, message: `${name}: a replay is already running; reload in a moment`, attempted: 0, written: 0, failed: [] };
  } else {
    ctx.replaying.add(name);
    try {
      outcome = await ctx.replay(name);
    } catch (error) {
      outcome = { ok: false, message: `${name}: replay failed: ${error instanceof Error ? error.message : String(error)}`, attempted: 0, written: 0, failed: [] };
    } finally {
      ctx.replaying.delete(name);
    }
  }
  const masked: ReplayOutcome = {
    ...outcome,
    message: ctx.mask.text(outcome.message),
    failed: outcome.failed.map((f) => ({ ...f, sourceId: ctx.mask.text(f.sourceId), reason: ctx.mask.text(f.reason) })),
  };
  const id = randomBytes(12).toString("base64url");
  ctx.outcomes.put(id, name, masked);
  return { kind: "redirect", location: `${path("flows", name, "dead-letters")}?outcome=${id}#outcome` };
};
