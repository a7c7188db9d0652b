/**
 * The docs site as static HTML that works from `file://`: no external resource, no request at all.
 * Each page carries its own CSS; only the index has a script (the search). A Content-Security-Policy
 * allows exactly that CSS and that script by hash, so even a markup mistake could not load or run
 * anything else. Every piece of text from a `.map` file goes through escapeHtml.
 */
import { createHash } from "node:crypto";
import { escapeHtml, jsonForScript } from "./escape.js";
import { lineageSvg } from "./lineage-svg.js";
import type { ExamplePage, FieldRow, FlowPage, SiteModel, ValueRow } from "./site-model.js";
import type { SystemEntry } from "./systems.js";
import type { Setting } from "./words.js";

const FONT =
  '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", monospace';

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0969da; --warn: #9a6700; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.6 ${FONT}; color: var(--fg); background: #fff; overflow-wrap: break-word; }
a { color: var(--accent); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
code, .mono { font-family: ${MONO}; font-size: 0.9em; }
header.site { background: var(--soft); border-bottom: 1px solid var(--line); }
header.site nav { max-width: 1120px; margin: 0 auto; padding: 0.6rem 1rem; display: flex; gap: 1.25rem; flex-wrap: wrap; align-items: baseline; }
header.site .brand { font-weight: 600; color: var(--fg); }
main { max-width: 1120px; margin: 0 auto; padding: 1rem 1rem 2rem; }
footer { max-width: 1120px; margin: 0 auto; padding: 1rem; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--line); }
h1 { font-size: 1.65rem; line-height: 1.3; margin: 0.4rem 0 0.3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; padding-bottom: 0.25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
h4 { font-size: 0.95rem; margin: 0.6rem 0 0.3rem; color: var(--muted); }
p { margin: 0.4rem 0; }
.muted { color: var(--muted); }
.meta { color: var(--muted); margin-top: 0; }
.doc .lead { font-size: 1.08rem; font-weight: 500; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 0.5rem 0 1.2rem; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.65rem; border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
tbody tr:last-child > td { border-bottom: 0; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
table.flows { min-width: 860px; }
table.fields { min-width: 880px; }
table.fields td:first-child { white-space: nowrap; }
table.fields td:nth-child(3) { min-width: 7em; }
table.uses { min-width: 640px; table-layout: fixed; }
table.uses th:nth-child(1) { width: 34%; }
table.uses th:nth-child(2) { width: 10%; }
table.uses th:nth-child(3), table.uses th:nth-child(4) { width: 13%; }
tr.depth-1 > td:first-child { padding-left: 1.6rem; }
tr.depth-2 > td:first-child { padding-left: 2.6rem; }
tr.depth-3 > td:first-child { padding-left: 3.6rem; }
.expr { display: inline-block; background: var(--soft); border-radius: 4px; padding: 0 0.3rem; }
.field-doc { color: var(--muted); font-size: 0.88em; margin-top: 0.2rem; }
.optional { color: var(--muted); }
table.vmap { width: auto; margin: 0.4rem 0 0.1rem; font-size: 0.88em; border: 1px solid var(--line); }
table.vmap th, table.vmap td { padding: 0.15rem 0.5rem; }
table.vmap tr.else td { color: var(--muted); font-style: italic; }
.lookup { font-size: 0.88em; margin: 0.35rem 0 0; }
.endpoints { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem 1.5rem; }
.endpoint h2 { margin-top: 1.2rem; }
.endpoint .system { font-size: 1.05rem; }
dl.settings { margin: 0.6rem 0; }
dl.settings dt { font-weight: 600; margin-top: 0.45rem; }
dl.settings dd { margin: 0 0 0 0; }
figure.lineage { width: fit-content; max-width: 100%; margin: 0.5rem 0 1rem; overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem; }
figure.lineage svg { display: block; max-width: 100%; min-width: 640px; height: auto; }
figure.lineage figcaption { color: var(--muted); font-size: 0.85rem; margin-top: 0.3rem; }
.before-after { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 0 1.2rem; }
.before-after .table-wrap { margin-top: 0; }
tr.left-out td { color: var(--muted); font-style: italic; }
.given pre { margin: 0.2rem 0; padding: 0.4rem 0.6rem; background: var(--soft); border-radius: 4px; overflow-x: auto; font-family: ${MONO}; font-size: 0.85em; }
.search { margin: 1rem 0 0.5rem; }
.search label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
.search input { width: 100%; max-width: 32rem; font: inherit; padding: 0.5rem 0.7rem; border: 1px solid var(--line); border-radius: 6px; }
.hits { font-size: 0.85em; color: var(--warn); margin-top: 0.2rem; }
@media (max-width: 640px) {
  body { font-size: 14px; }
  main { padding: 0.75rem 0.75rem 1.5rem; }
  h1 { font-size: 1.35rem; }
  header.site nav { padding: 0.5rem 0.75rem; }
}
`.trim();

// The search: filters the index table by flow name and title, and by field names and labels. Builds
// text with textContent only, so the data cannot become markup here either.
const SCRIPT = `
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("search-index").textContent || "[]");
  var input = document.getElementById("search");
  var status = document.getElementById("search-status");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-flow]"));
  function has(text, term) { return String(text).toLowerCase().indexOf(term) >= 0; }
  function update() {
    var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var flow = data[Number(row.getAttribute("data-flow"))];
      var hits = row.querySelector(".hits");
      if (!flow || !hits) return;
      var fields = terms.length === 0 ? [] : flow.fields.filter(function (f) {
        return terms.some(function (t) { return has(f[0], t) || has(f[1], t); });
      });
      var visible = terms.every(function (t) {
        return has(flow.name, t) || has(flow.title, t) || flow.fields.some(function (f) { return has(f[0], t) || has(f[1], t); });
      });
      row.hidden = !visible;
      if (visible) shown++;
      hits.textContent = fields.length === 0 ? "" : "Fields: " + fields.map(function (f) { return f[1] ? f[0] + " (" + f[1] + ")" : f[0]; }).join(", ");
      hits.hidden = fields.length === 0;
    });
    status.textContent = terms.length === 0 ? rows.length + (rows.length === 1 ? " flow" : " flows") : shown + " of " + rows.length + " flows match";
  }
  input.addEventListener("input", update);
  update();
})();
`.trim();

const sha256 = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
const STYLE_HASH = sha256(CSS);
const SCRIPT_HASH = sha256(SCRIPT);

/** The HTML site: `index.html`, `systems.html`, `flows/<slug>.html`, by path relative to the output folder. */
export function renderHtml(site: SiteModel): Map<string, string> {
  const files = new Map<string, string>();
  files.set("index.html", indexPage(site));
  files.set("systems.html", systemsPage(site));
  for (const flow of site.flows) files.set(`flows/${flow.slug}.html`, flowPage(flow));
  return files;
}

const e = escapeHtml;

function page(options: { title: string; root: string; main: string; script?: boolean }): string {
  const csp = `default-src 'none'; style-src ${STYLE_HASH}; script-src ${options.script ? SCRIPT_HASH : "'none'"}; base-uri 'none'; form-action 'none'`;
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="generator" content="ferry docs">',
    `<title>${e(options.title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    `<header class="site"><nav><a class="brand" href="${options.root}index.html">Flows</a><a href="${options.root}systems.html">Systems</a></nav></header>`,
    "<main>",
    options.main,
    "</main>",
    "<footer><p>Generated by <code>ferry docs</code> from the <code>.map</code> files. Do not edit: change the flow and run <code>ferry docs</code> again.</p></footer>",
    ...(options.script ? [`<script>${SCRIPT}</script>`] : []),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function table(className: string, head: readonly string[], rows: readonly string[], numeric: ReadonlySet<number> = new Set()): string {
  const ths = head.map((h, i) => `<th${numeric.has(i) ? ' class="num"' : ""}>${h}</th>`).join("");
  return `<div class="table-wrap"><table class="${className}"><thead><tr>${ths}</tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
}

function indexPage(site: SiteModel): string {
  const systems = site.systems.length;
  const rows = site.flows.map((f, i) => {
    const s = f.summary;
    return [
      `<tr data-flow="${i}">`,
      `<td><a class="flow-link" href="flows/${e(encodeURIComponent(f.slug))}.html">${e(f.title)}</a><div class="mono muted">${e(f.name)}</div><div class="hits" hidden></div></td>`,
      `<td>${e(s.from)}<br>→ ${e(s.to)}</td>`,
      `<td>${e(s.window)}</td>`,
      `<td>${e(s.throughput)}</td>`,
      `<td class="num">${s.fields}</td><td class="num">${s.rules}</td><td class="num">${s.examples}</td>`,
      "</tr>",
    ].join("");
  });
  const main = [
    "<h1>Integration flows</h1>",
    `<p class="muted">${plural(site.flows.length, "flow")} between ${plural(systems, "system")}. See also <a href="systems.html">systems and operations</a>.</p>`,
    '<div class="search"><label for="search">Search flows and fields</label>',
    '<input id="search" type="search" placeholder="Flow, field or label, e.g. FName or 客户名称" autocomplete="off" spellcheck="false">',
    `<p id="search-status" class="muted" aria-live="polite">${plural(site.flows.length, "flow")}</p></div>`,
    table("flows", ["Flow", "From → to", "Window", "Page, batch and rate", "Fields", "Rules", "Examples"], rows, new Set([4, 5, 6])),
    `<script type="application/json" id="search-index">${jsonForScript(site.search)}</script>`,
  ].join("\n");
  return page({ title: "Integration flows", root: "", main, script: true });
}

function systemsPage(site: SiteModel): string {
  const sections = site.systems.map((s) => systemSection(s));
  const main = [
    "<h1>Systems</h1>",
    `<p class="muted">Every system and operation the flows use, with the rate, page or batch size and retries each flow sets.</p>`,
    ...sections,
  ].join("\n");
  return page({ title: "Systems", root: "", main });
}

function systemSection(system: SystemEntry): string {
  const parts = [`<h2>${e(system.title)} <span class="muted mono">${e(system.connector)}</span></h2>`];
  for (const op of system.operations) {
    parts.push(`<h3><code>${e(op.name)}</code> <span class="muted">(${op.direction})</span></h3>`);
    if (op.description) parts.push(`<p class="muted">${e(op.description)}</p>`);
    const rows = op.uses.map(
      (u) =>
        `<tr><td><a href="flows/${e(encodeURIComponent(u.slug))}.html">${e(u.title)}</a><div class="mono muted">${e(u.flow)}</div></td><td>${u.how}</td><td class="nowrap">${e(u.rate)}</td><td class="nowrap">${e(u.size)}</td><td>${e(u.retry)}</td></tr>`,
    );
    parts.push(table("uses", ["Flow", "Use", "Rate", "Page / batch", "Retries"], rows));
  }
  return parts.join("\n");
}

function flowPage(flow: FlowPage): string {
  const map = (line: number): string => `${e(flow.mapUrl)}#L${line}`;
  const main: string[] = [
    `<h1>${e(flow.title)}</h1>`,
    `<p class="meta"><code>${e(flow.name)}</code> · defined in <a href="${map(1)}">${e(flow.file)}</a></p>`,
  ];
  if (flow.doc.length > 0) {
    main.push(`<div class="doc">${flow.doc.map((p, i) => `<p${i === 0 ? ' class="lead"' : ""}>${e(p)}</p>`).join("")}</div>`);
  }
  main.push('<div class="endpoints">');
  for (const [heading, ep] of [["Source", flow.source], ["Target", flow.target]] as const) {
    main.push(
      `<section class="endpoint ${ep.direction === "read" ? "source" : "target"}"><h2>${heading}</h2>`,
      `<p class="system">${ep.direction === "read" ? "Reads" : "Writes"} <code>${e(ep.operation)}</code> ${ep.direction === "read" ? "from" : "to"} <strong>${e(ep.system)}</strong> <span class="muted mono">${e(ep.connector)}</span></p>`,
      ep.description ? `<p class="muted">${e(ep.description)}</p>` : "",
      settings(ep.settings),
      "</section>",
    );
  }
  main.push("</div>");

  main.push('<h2 id="fields">Fields</h2>');
  main.push(
    `<p class="muted">${plural(flow.fields.length, "field")} of ${e(flow.target.record)}, each computed from ${e(flow.source.record)}.</p>`,
    table("fields", ["Target field", "Type", "Label", "Source", "Required", "Line"], flow.fields.map((f) => fieldRow(f, map))),
  );

  main.push('<h2 id="lineage">Lineage</h2>');
  main.push(`<figure class="lineage">${lineageSvg(flow.lineage)}<figcaption>Source fields → transforms → target fields. Hover a box for its full text.</figcaption></figure>`);

  main.push('<h2 id="rules">Data-quality rules</h2>');
  if (flow.rules.length === 0) {
    main.push('<p class="muted">No rules: every mapped row is written.</p>');
  } else {
    main.push(
      '<p class="muted">A row that breaks a rule is not written; it is kept with the message for review and replay.</p>',
      table("rules", ["Rule", "Message", "Line"], flow.rules.map((r) => `<tr><td><code class="expr">${e(r.rule)}</code></td><td>${e(r.message)}</td><td class="nowrap"><a href="${map(r.line)}">L${r.line}</a></td></tr>`)),
    );
  }

  main.push('<h2 id="examples">Examples</h2>');
  if (flow.examples.length === 0) main.push('<p class="muted">No examples.</p>');
  for (const ex of flow.examples) main.push(example(ex, map));

  return page({ title: `${flow.title} · ferry docs`, root: "../", main: main.filter((s) => s !== "").join("\n") });
}

function settings(list: readonly Setting[]): string {
  return `<dl class="settings">${list.map((s) => `<dt>${e(s.term)}</dt><dd>${e(s.text)}</dd>`).join("")}</dl>`;
}

function fieldRow(f: FieldRow, map: (line: number) => string): string {
  const label = `${f.label !== undefined ? e(f.label) : ""}${f.doc !== undefined ? `<div class="field-doc">${e(f.doc)}</div>` : ""}`;
  const extras: string[] = [];
  for (const vm of f.valueMaps) {
    const rows = vm.entries.map((en) => `<tr><td>${e(en.when)}</td><td>${e(en.value)}</td></tr>`);
    rows.push(`<tr class="else"><td>anything else</td><td>${vm.otherwise !== undefined ? e(vm.otherwise) : "null"}</td></tr>`);
    extras.push(`<table class="vmap"><thead><tr><th>${e(vm.input)}</th><th>becomes</th></tr></thead><tbody>${rows.join("")}</tbody></table>`);
  }
  for (const l of f.lookups) {
    extras.push(
      `<p class="lookup">Looks up collection <code>${e(l.collection)}</code>: the document whose <code>${e(l.keyPath)}</code> equals <code>${e(l.key)}</code>${l.conditions.map((c) => ` and <code>${e(c)}</code>`).join("")}; takes its <code>${e(l.find)}</code>, else ${l.otherwise !== undefined ? `<code>${e(l.otherwise)}</code>` : "null"}.</p>`,
    );
  }
  return [
    `<tr class="depth-${Math.min(f.depth, 3)}">`,
    `<td><code>${e(f.target)}</code></td>`,
    `<td class="nowrap">${e(f.type)}</td>`,
    `<td>${label}</td>`,
    `<td><code class="expr">${e(f.expression)}</code>${extras.join("")}</td>`,
    `<td>${f.required ? "required" : '<span class="optional">optional</span>'}</td>`,
    `<td class="nowrap"><a href="${map(f.line)}">L${f.line}</a></td>`,
    "</tr>",
  ].join("");
}

function example(ex: ExamplePage, map: (line: number) => string): string {
  const parts = [`<section class="example"><h3>${e(ex.name)} <a class="muted" href="${map(ex.line)}">L${ex.line}</a></h3>`];
  for (const g of ex.given) {
    parts.push(`<div class="given"><h4>Lookup data: collection <code>${e(g.collection)}</code></h4><pre>${g.documents.map((d) => e(d)).join("\n")}</pre></div>`);
  }
  parts.push(
    '<div class="before-after">',
    `<div><h4>Before: source record</h4>${valueTable("Source field", ex.before)}</div>`,
    `<div><h4>After: target row</h4>${valueTable("Target field", ex.after)}</div>`,
    "</div></section>",
  );
  return parts.join("\n");
}

function valueTable(heading: string, rows: readonly ValueRow[]): string {
  return table(
    "values",
    [heading, "Value"],
    rows.map((r) => `<tr${r.leftOut ? ' class="left-out"' : ""}><td><code>${e(r.path)}</code></td><td>${e(r.value)}</td></tr>`),
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
