/**
 * The lineage diagram of a flow as SVG text, drawn at build time so the page needs no script:
 * three columns — source fields, one transform per target field, target fields — joined by curves.
 *
 * The layout is deterministic: targets keep the order of the `fields` block, each transform sits on
 * its target's row, and sources are ordered by the mean row of the transforms they feed (so curves
 * mostly run straight), ties broken by first use. Styling is in presentation attributes, not CSS,
 * so the same text works inline in HTML and as a standalone `.svg` file next to Markdown pages.
 */
import { escapeHtml } from "./escape.js";
import type { LineageGraph, LineageNode } from "./site-model.js";
import { codePointWidth } from "../text-width.js";

const PAD = 12;
const HEAD = 30;
const NODE_H = 40;
const PITCH = 50;
const SOURCE_W = 230;
const TRANSFORM_W = 210;
const TARGET_W = 250;
const GAP = 64;
const SOURCE_X = PAD;
const TRANSFORM_X = SOURCE_X + SOURCE_W + GAP;
const TARGET_X = TRANSFORM_X + TRANSFORM_W + GAP;
const WIDTH = TARGET_X + TARGET_W + PAD;
// About 7 px per column of monospace text at 12 px, 6.5 px per column of sans text at 11 px; a wide
// (CJK) character counts as two columns.
const MONO_PX = 7.2;
const SANS_PX = 6.4;

const MONO = "ui-monospace, Menlo, Consolas, 'Liberation Mono', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', monospace";
const SANS = "-apple-system, 'Segoe UI', Roboto, Arial, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif";

const COLORS = {
  source: { fill: "#ddf4ff", stroke: "#54aeff" },
  transform: { fill: "#fff8c5", stroke: "#d4a72c" },
  target: { fill: "#dafbe1", stroke: "#4ac26b" },
  edge: "#8c959f",
  text: "#1f2328",
  muted: "#59636e",
} as const;

/** The SVG element for `graph`, with an `xmlns` so it also stands alone as a file. */
export function lineageSvg(graph: LineageGraph): string {
  const rows = Math.max(graph.targets.length, 1);
  const targetY = (i: number): number => HEAD + PAD + i * PITCH;
  const sourceY = placeSources(graph);
  const lastSource = Math.max(-1, ...sourceY.values());
  const height = Math.max(targetY(rows - 1), lastSource >= 0 ? targetY(0) + lastSource : 0) + NODE_H + PAD;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="lineage" role="img" aria-labelledby="lineage-title" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${MONO}">`,
  );
  out.push(`<title id="lineage-title">${text(graph.title)}</title>`);
  out.push(
    `<defs><marker id="lineage-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="${COLORS.edge}"/></marker></defs>`,
  );
  out.push(heading(SOURCE_X, SOURCE_W, graph.sourceHeading));
  out.push(heading(TRANSFORM_X, TRANSFORM_W, "Transforms"));
  out.push(heading(TARGET_X, TARGET_W, graph.targetHeading));

  out.push(`<g class="edges" fill="none" stroke="${COLORS.edge}" stroke-width="1.25">`);
  for (const edge of graph.edges) {
    const y1 = targetY(0) + (sourceY.get(edge.source) ?? 0) + NODE_H / 2;
    const y2 = targetY(edge.transform) + NODE_H / 2;
    const x1 = SOURCE_X + SOURCE_W;
    const x2 = TRANSFORM_X - 1;
    const mid = (x1 + x2) / 2;
    out.push(`<path d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" marker-end="url(#lineage-arrow)"/>`);
  }
  for (let i = 0; i < graph.targets.length; i++) {
    const y = targetY(i) + NODE_H / 2;
    out.push(`<path d="M${TRANSFORM_X + TRANSFORM_W},${y} H${TARGET_X - 1}" marker-end="url(#lineage-arrow)"/>`);
  }
  out.push("</g>");

  // Names in monospace (the root's font), labels in the sans stack: one group each, so the long
  // font lists are written once rather than on every text.
  const labels: string[] = [];
  out.push('<g class="nodes" font-size="12">');
  graph.sources.forEach((node, i) => out.push(fieldNode(node, SOURCE_X, targetY(0) + (sourceY.get(i) ?? 0), SOURCE_W, COLORS.source, "source", labels)));
  graph.transforms.forEach((node, i) => out.push(transformNode(node, targetY(i))));
  graph.targets.forEach((node, i) => out.push(fieldNode(node, TARGET_X, targetY(i), TARGET_W, COLORS.target, "target", labels)));
  out.push("</g>");
  out.push(`<g class="labels" font-family="${SANS}" font-size="11" fill="${COLORS.muted}">`, ...labels, "</g>");
  out.push("</svg>");
  return out.join("\n");
}

/**
 * Vertical offsets (from the first row) of the source nodes: each wants the mean row of the
 * transforms it feeds; in that order, each is pushed down to keep one pitch from the one above.
 */
function placeSources(graph: LineageGraph): Map<number, number> {
  const rows = new Map<number, number[]>();
  for (const e of graph.edges) {
    const list = rows.get(e.source) ?? [];
    list.push(e.transform);
    rows.set(e.source, list);
  }
  const wanted = graph.sources.map((_, i) => {
    const r = rows.get(i) ?? [0];
    return r.reduce((a, b) => a + b, 0) / r.length;
  });
  const order = graph.sources.map((_, i) => i).sort((a, b) => (wanted[a] ?? 0) - (wanted[b] ?? 0) || a - b);
  const placed = new Map<number, number>();
  let next = 0;
  for (const i of order) {
    const y = Math.max(Math.round((wanted[i] ?? 0) * PITCH), next);
    placed.set(i, y);
    next = y + PITCH;
  }
  return placed;
}

function heading(x: number, width: number, title: string): string {
  const shown = fit(title, Math.floor(width / SANS_PX));
  return `<text x="${x}" y="${PAD + 10}" font-family="${SANS}" font-size="12" font-weight="600" fill="${COLORS.muted}">${text(shown)}${shown !== title ? `<title>${text(title)}</title>` : ""}</text>`;
}

function fieldNode(node: LineageNode, x: number, y: number, width: number, color: { fill: string; stroke: string }, kind: string, labels: string[]): string {
  const name = fit(node.name, Math.floor((width - 16) / MONO_PX));
  const parts = [
    `<g class="node ${kind}">`,
    `<title>${text(node.label ? `${node.name} — ${node.label}` : node.name)}</title>`,
    `<rect x="${x}" y="${y}" width="${width}" height="${NODE_H}" rx="6" fill="${color.fill}" stroke="${color.stroke}"/>`,
    `<text x="${x + 8}" y="${y + (node.label ? 17 : 25)}" fill="${COLORS.text}">${text(name)}</text>`,
    "</g>",
  ];
  if (node.label) labels.push(`<text x="${x + 8}" y="${y + 32}">${text(fit(node.label, Math.floor((width - 16) / SANS_PX)))}</text>`);
  return parts.join("");
}

function transformNode(node: LineageNode, y: number): string {
  const columns = Math.floor((TRANSFORM_W - 16) / MONO_PX);
  const lines = wrap(node.name, columns);
  const two = lines.length > 1;
  const parts = [
    `<g class="node transform">`,
    `<title>${text(node.name)}</title>`,
    `<rect x="${TRANSFORM_X}" y="${y}" width="${TRANSFORM_W}" height="${NODE_H}" rx="6" fill="${COLORS.transform.fill}" stroke="${COLORS.transform.stroke}" stroke-dasharray="4 2"/>`,
    ...lines.map((line, i) => `<text x="${TRANSFORM_X + 8}" y="${y + (two ? 17 + 15 * i : 25)}"${two ? ' font-size="11"' : ""} fill="${COLORS.text}">${text(line)}</text>`),
    "</g>",
  ];
  return parts.join("");
}

/** Text for an SVG element: escaped, and without the control characters XML forbids. */
function text(s: string): string {
  return escapeHtml(s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "\ufffd"));
}

/** `s` cut to at most `columns` display columns, ending in `…` when cut. */
export function fit(s: string, columns: number): string {
  const chars = [...s];
  let width = 0;
  for (let i = 0; i < chars.length; i++) {
    width += codePointWidth(chars[i]?.codePointAt(0) ?? 0);
    if (width > columns) {
      let cut = chars.slice(0, i);
      while (cut.length > 0 && columnsOf(cut) > columns - 1) cut = cut.slice(0, -1);
      return `${cut.join("")}…`;
    }
  }
  return s;
}

function columnsOf(chars: readonly string[]): number {
  return chars.reduce((w, c) => w + codePointWidth(c.codePointAt(0) ?? 0), 0);
}

/** At most two lines of `columns`, breaking after a space or `→` where one is near; the rest cut. */
function wrap(s: string, columns: number): string[] {
  if (columnsOf([...s]) <= columns) return [s];
  const chars = [...s];
  let end = 0;
  let width = 0;
  while (end < chars.length && width + codePointWidth(chars[end]?.codePointAt(0) ?? 0) <= columns) {
    width += codePointWidth(chars[end]?.codePointAt(0) ?? 0);
    end++;
  }
  const head = chars.slice(0, end).join("");
  const space = head.lastIndexOf(" ");
  const breakAt = space > columns / 2 ? [...head.slice(0, space)].length : end;
  const first = chars.slice(0, breakAt).join("").trimEnd();
  const rest = chars.slice(breakAt).join("").trimStart();
  return [first, fit(rest, columns)];
}
