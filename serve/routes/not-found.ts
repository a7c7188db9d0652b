import { html, page } from "../html.js";
import type { Reply } from "./context.js";

/** The 404 page; `what` is shown escaped, like every other value. */
export function notFound(what: string): Reply {
  const body = html`<h1>Not found</h1><p>${what}</p><p><a href="/">Back to the flows</a></p>`;
  return { kind: "html", status: 404, body: page({ title: "Not found", section: "flows", body }) };
}
