/**
 * Pages as strings. Every value reaches markup through `html`, whose interpolations all go through
 * one escaping function (`escapeHtml`); only markup this module or a route wrote itself is wrapped as
 * `Html` and passed through unchanged. No value from the store is ever concatenated into a page.
 */
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../runtime/datetime.js";

/** Markup that is already safe: written by the console itself, or built by `html` from escaped parts. */
export class Html {
  constructor(readonly markup: string) {}

  toString(): string {
    return this.markup;
  }
}

/** The one escaping function: text and attribute values (always double-quoted) alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** A value as markup: `Html` as is, arrays joined, nothing for null/undefined/false, the rest escaped. */
function part(value: unknown): string {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(part).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/** Tagged template for markup: every interpolation is escaped unless it is `Html`. */
export function html(strings: TemplateStringsArray, ...values: readonly unknown[]): Html {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += part(values[i]) + (strings[i + 1] ?? "");
  return new Html(out);
}

/** A path of the console with its segments encoded, e.g. `path("flows", name, "dead-letters")`. */
export function path(...segments: readonly (string | number)[]): string {
  return `/${segments.map((s) => encodeURIComponent(String(s))).join("/")}`;
}

/** A time as the README writes times: Asia/Shanghai wall clock. */
export function formatTime(ms: number | null): string {
  return ms === null ? "—" : formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);
}

/** A `<time>` element with the Shanghai time shown and the instant in its `datetime`. */
export function time(ms: number | null, now?: number): Html {
  if (ms === null) return html`—`;
  const relative = now === undefined ? "" : ` (${ago(ms, now)})`;
  return html`<time datetime="${new Date(ms).toISOString()}">${formatTime(ms)}</time><span class="muted">${relative}</span>`;
}

/** "3 min ago", "in 2 h": how far `ms` is from `now`, roughly. */
export function ago(ms: number, now: number): string {
  const d = Math.round((now - ms) / 1000);
  const abs = Math.abs(d);
  const text = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 172_800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86_400)} d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** A duration in ms as "1.2 s", "340 ms", "3 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Whole numbers with thousands separators. */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A share as "12.5 %", or "—" when there is nothing to divide. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(part === 0 || part === whole ? 0 : 1)} %` : "—";
}

/** The colour class of a state: ok, dead letters, failed, stale, running. */
export function badgeKind(state: string): string {
  return state === "ok" ? "ok" : state === "failed" ? "bad" : state === "running" ? "live" : state === "stale" || state === "never run" ? "dim" : "warn";
}

/** A state as a coloured pill. */
export function badge(state: string): Html {
  return html`<span class="badge ${badgeKind(state)}">${state}</span>`;
}

/** Options of {@link table}. */
export interface TableOptions {
  /** Indexes of columns holding numbers (right-aligned, tabular figures). */
  readonly numeric?: readonly number[];
  /** Attributes of each body row (markup built with `html`), e.g. data- attributes for tests and scripts. */
  readonly rowAttributes?: (index: number) => Html;
}

/** A table that scrolls sideways on a narrow screen instead of squeezing its columns. */
export function table(headers: readonly (string | Html)[], rows: readonly (readonly unknown[])[], empty: string, options: TableOptions = {}): Html {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  const numeric = new Set(options.numeric ?? []);
  const cls = (i: number) => new Html(numeric.has(i) ? ' class="num"' : "");
  return html`<div class="scroll"><table><thead><tr>${headers.map((h, i) => html`<th${cls(i)}>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r, ri) => html`<tr${options.rowAttributes?.(ri) ?? ""}>${r.map((c, i) => html`<td${cls(i)}>${c}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

/** Which section of the console a page belongs to (highlighted in the navigation). */
export type Section = "flows" | "usage" | "quality";

export interface PageOptions {
  readonly title: string;
  readonly section: Section;
  readonly body: Html;
  /** The response's CSP nonce, when the page has a script. */
  readonly nonce?: string;
  /** Inline script: constant text written in this codebase, never built from values. */
  readonly script?: string;
}

/**
 * Fonts: the platform's UI font first, then the common Chinese faces (macOS, Windows, Linux), so
 * shop names like 杭州星辰旗舰店 render everywhere.
 */
const FONTS = `system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif`;

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #1d2330; --muted: #667085; --card: #fff; --line: #e3e6ec;
  --accent: #2454d6; --ok: #137a3a; --warn: #a35c00; --bad: #b42318; --live: #2454d6; }
@media (prefers-color-scheme: dark) { :root { --bg: #12151b; --fg: #e6e8ee; --muted: #98a2b3; --card: #1b1f27; --line: #2c323d;
  --accent: #7ea2ff; --ok: #4cc47a; --warn: #f0a64a; --bad: #ff7b72; --live: #7ea2ff; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 ${FONTS}; -webkit-text-size-adjust: 100%; }
header { background: var(--card); border-bottom: 1px solid var(--line); padding: .6rem 1rem; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; align-items: baseline; }
header .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
nav { display: flex; flex-wrap: wrap; gap: .2rem 1rem; }
nav a { color: var(--muted); text-decoration: none; padding: .2rem 0; }
nav a.here { color: var(--accent); border-bottom: 2px solid var(--accent); }
main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.35rem; margin: .2rem 0 1rem; word-break: break-word; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
a { color: var(--accent); }
.muted { color: var(--muted); }
time { white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 400px), 1fr)); gap: .8rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; min-width: 0; }
.card h2 { margin: 0 0 .4rem; font-size: 1.05rem; word-break: break-word; }
.badge { display: inline-block; border-radius: 999px; padding: 0 .55rem; font-size: .8rem; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.badge.ok { color: var(--ok); } .badge.warn { color: var(--warn); } .badge.bad { color: var(--bad); }
.badge.live { color: var(--live); } .badge.dim { color: var(--muted); }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre { margin: .4rem 0 0; padding: .6rem; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; overflow-x: auto;
  font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, "Noto Sans Mono CJK SC", monospace; white-space: pre; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; min-width: 0; word-break: break-word; }
.letter { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .7rem 1rem; margin: 0 0 .7rem; min-width: 0; }
.letter.resolved { opacity: .75; }
.reason { font-weight: 600; word-break: break-word; }
.notice { border-radius: 8px; padding: .7rem 1rem; margin: 0 0 1rem; border: 1px solid var(--line); background: var(--card); }
.notice.ok { border-color: var(--ok); } .notice.bad { border-color: var(--bad); }
button { font: inherit; font-weight: 600; padding: .5rem 1.1rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; min-height: 44px; }
.bars { display: inline-flex; align-items: flex-end; gap: 1px; height: 36px; min-width: 146px; }
.bars span { display: inline-block; width: 2px; background: var(--accent); min-height: 1px; }
.bars span.none { background: var(--line); }
footer { max-width: 1100px; margin: 0 auto; padding: 1rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 520px) { main { padding: .7rem; } th, td { padding: .4rem .5rem; } }
`;

const SECTIONS: readonly { readonly id: Section; readonly href: string; readonly label: string }[] = [
  { id: "flows", href: "/", label: "Flows" },
  { id: "usage", href: "/usage", label: "API usage" },
  { id: "quality", href: "/quality", label: "Data quality" },
];

/** A whole page: head (viewport for phones, an inline icon so no request 404s), navigation, body. */
export function page(options: PageOptions): string {
  const script = options.script !== undefined && options.nonce !== undefined ? html`<script nonce="${options.nonce}">${new Html(options.script)}</script>` : "";
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · ferry</title>
<link rel="icon" href="data:,">
<style>${new Html(STYLE)}</style></head>
<body><header><a class="brand" href="/">ferry</a><nav>${SECTIONS.map(
    (s) => html`<a href="${s.href}"${new Html(s.id === options.section ? ' class="here" aria-current="page"' : "")}>${s.label}</a>`,
  )}<a href="/metrics">Metrics</a></nav></header>
<main>${options.body}</main>
<footer>Times are Asia/Shanghai (UTC+8).</footer>${script}</body></html>`}`;
}
