/**
 * Turns diagnostics (data) into text for people — code frames, summaries, `ferry explain` — and
 * into JSON for machines. Nothing here decides what is wrong; it only shows it.
 *
 * Everything that came from a `.map` file (source lines, names inside messages, file paths) is
 * treated as hostile: control characters, bidi overrides and unpaired surrogates are escaped so a
 * file cannot move the cursor, ring the bell, rewrite earlier output or reorder what is shown.
 */
import pc from "picocolors";
import type { Span } from "./ast.js";
import {
  DIAGNOSTICS,
  isDiagnosticCode,
  sortDiagnostics,
  type CatalogEntry,
  type Diagnostic,
  type DiagnosticCode,
  type Severity,
} from "./diagnostics.js";
import { codePointWidth, displayWidth } from "./text-width.js";

/** How text is rendered. Colour is decided by the caller (TTY, NO_COLOR, --color), never here. */
export interface RenderOptions {
  readonly color: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;

const TAB = "    ";
/** Source lines wider than this are cut around the span. */
const MAX_LINE_WIDTH = 200;
/** Columns kept before the span when a long line is cut on the left. */
const LEFT_CONTEXT = 40;
/** Messages, labels and notes longer than this are cut; only a hostile file gets near it. */
const MAX_TEXT_LENGTH = 4000;
const ELLIPSIS = "…";
const EXPLANATION_WIDTH = 100;

// ---- neutralising untrusted text -------------------------------------------------------------

/** Characters that must never reach a terminal raw: C0/C1 controls, line/paragraph separators,
 * bidi embeddings/overrides/isolates (the "Trojan Source" trick) and invisible format marks. */
function mustEscape(cp: number): boolean {
  return (
    (cp < 0x20 && cp !== 0x09) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x200b ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x2028 && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    cp === 0xfeff
  );
}

function isLoneSurrogate(cp: number): boolean {
  // codePointAt returns a surrogate value only when it is not part of a valid pair.
  return cp >= 0xd800 && cp <= 0xdfff;
}

/** Printable text for one code point of untrusted text; `tab` is what a tab becomes. */
function safeChar(cp: number, tab: string): string {
  if (cp === 0x09) return tab;
  if (isLoneSurrogate(cp)) return "\ufffd";
  if (mustEscape(cp)) return `\\u{${cp.toString(16)}}`;
  return String.fromCodePoint(cp);
}

/** Display width of `safeChar(cp, TAB)`, without building the string. */
function safeCharWidth(cp: number): number {
  if (cp >= 0x20 && cp < 0x7f) return 1;
  if (cp === 0x09) return TAB.length;
  if (isLoneSurrogate(cp)) return 1;
  if (mustEscape(cp)) return 4 + cp.toString(16).length;
  return codePointWidth(cp);
}

/** One-line, terminal-safe version of a message, label, hint, note or path. */
function clean(text: string): string {
  const cut = text.length > MAX_TEXT_LENGTH;
  let out = "";
  const limit = cut ? MAX_TEXT_LENGTH : text.length;
  for (let i = 0; i < limit; ) {
    const cp = text.codePointAt(i)!;
    out += safeChar(cp, " ");
    i += cp > 0xffff ? 2 : 1;
  }
  return cut ? out + ELLIPSIS : out;
}

// ---- code frame -----------------------------------------------------------------------------

interface Frame {
  /** The source line as shown: escaped, tabs expanded, possibly cut with `…`. */
  readonly text: string;
  /** Display column (0-based) where the carets start. */
  readonly caretColumn: number;
  readonly caretCount: number;
  /** The span continues on later lines. */
  readonly continues: boolean;
}

function isLineNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 1;
}

/**
 * Where each line of a source text starts. Line breaks are \r\n, \n and a lone \r — Chevrotain's
 * default, so line numbers agree with the lexer's. Built in one pass, so finding a line costs an
 * array read however far down the file it is.
 */
class LineIndex {
  readonly #starts: number[] = [0];

  constructor(readonly source: string) {
    const n = source.length;
    for (let i = 0; i < n; i++) {
      const c = source.charCodeAt(i);
      if (c === 0x0d && source.charCodeAt(i + 1) === 0x0a) i++;
      else if (c !== 0x0a && c !== 0x0d) continue;
      this.#starts.push(i + 1);
    }
  }

  /** Offsets [start, end) of 1-based line `lineNo`, or undefined past the end. */
  bounds(lineNo: number): { start: number; end: number } | undefined {
    const start = this.#starts[lineNo - 1];
    if (start === undefined) return undefined;
    const next = this.#starts[lineNo];
    if (next === undefined) return { start, end: this.source.length };
    // The next line starts after the break: step back over \n, \r or \r\n.
    const crlf = this.source.charCodeAt(next - 1) === 0x0a && this.source.charCodeAt(next - 2) === 0x0d;
    return { start, end: next - (crlf ? 2 : 1) };
  }
}

/**
 * The line index of the text last rendered from. Diagnostics of one file are rendered one after the
 * other with the same text, so one entry turns "scan from the start per diagnostic" into one scan
 * per file; comparing the same string with itself is a pointer comparison.
 */
let lastIndex: LineIndex | undefined;
function lineIndex(source: string): LineIndex {
  if (lastIndex?.source !== source) lastIndex = new LineIndex(source);
  return lastIndex;
}

/**
 * The frame for the first line of `span`, or undefined when the span does not point into
 * `source`. Columns are 1-based UTF-16 offsets within the line (as Chevrotain counts them), so a
 * tab is one column of the span but four of the display.
 */
function buildFrame(source: string, span: Span): Frame | undefined {
  if (!isLineNumber(span.line) || !isLineNumber(span.column)) return undefined;
  const bounds = lineIndex(source).bounds(span.line);
  if (bounds === undefined) return undefined;
  const lineLength = bounds.end - bounds.start;
  const startIndex = span.column - 1;
  if (startIndex > lineLength) return undefined;

  let endIndex = startIndex;
  const continues = Number.isInteger(span.endLine) && span.endLine > span.line;
  if (continues) endIndex = lineLength;
  else if (span.endLine === span.line && Number.isInteger(span.endColumn)) {
    endIndex = Math.min(Math.max(span.endColumn - 1, startIndex), lineLength);
  }

  // First pass: display columns of the span and of the whole line, with no allocation, so a
  // multi-megabyte line costs one scan and not one string per character.
  const absStart = bounds.start + startIndex;
  const absEnd = bounds.start + endIndex;
  let spanStart = -1;
  let spanEnd = -1;
  let column = 0;
  let i = bounds.start;
  for (; i < bounds.end; ) {
    if (spanStart < 0 && i >= absStart) spanStart = column;
    if (spanEnd < 0 && i >= absEnd) spanEnd = column;
    // Past the span and past any window that could be shown: the rest only says "cut".
    if (spanEnd >= 0 && column > spanEnd + MAX_LINE_WIDTH) break;
    const cp = source.codePointAt(i)!;
    column += safeCharWidth(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  const total = column;
  if (spanStart < 0) spanStart = total;
  if (spanEnd < 0) spanEnd = total;

  let windowStart = 0;
  let windowEnd = total;
  if (total > MAX_LINE_WIDTH) {
    windowStart = Math.max(0, Math.min(spanStart - LEFT_CONTEXT, total - MAX_LINE_WIDTH));
    windowEnd = windowStart + MAX_LINE_WIDTH;
  }
  const cutLeft = windowStart > 0;
  const cutRight = windowEnd < total || i < bounds.end;

  // Second pass: only the characters inside the window become text. A wide character or an
  // escape straddling an edge becomes spaces, so the carets below stay aligned.
  let text = cutLeft ? ELLIPSIS : "";
  column = 0;
  for (let j = bounds.start; j < bounds.end && column <= windowEnd; ) {
    const cp = source.codePointAt(j)!;
    const width = safeCharWidth(cp);
    const from = column;
    const to = column + width;
    if (width === 0) {
      if ((from > windowStart || windowStart === 0) && from <= windowEnd) text += safeChar(cp, TAB);
    } else if (from >= windowStart && to <= windowEnd) {
      text += safeChar(cp, TAB);
    } else if (to > windowStart && from < windowEnd) {
      text += " ".repeat(Math.min(to, windowEnd) - Math.max(from, windowStart));
    }
    column = to;
    j += cp > 0xffff ? 2 : 1;
  }
  if (cutRight) text += ELLIPSIS;

  const caretFrom = Math.max(spanStart, windowStart);
  const caretTo = Math.min(spanEnd, windowEnd);
  return {
    text,
    caretColumn: (cutLeft ? displayWidth(ELLIPSIS) : 0) + caretFrom - windowStart,
    caretCount: Math.max(1, caretTo - caretFrom),
    continues,
  };
}

// ---- diagnostics ----------------------------------------------------------------------------

function severityColor(c: Colors, severity: Severity): (s: string) => string {
  return severity === "error" ? (s) => c.bold(c.red(s)) : (s) => c.bold(c.yellow(s));
}

function location(file: string, span: Span): string {
  return `${clean(file)}:${span.line}:${span.column}`;
}

/**
 * A diagnostic as people read it: header, `-->` location, the source line with carets under the
 * span and the label beside them, then help, notes and related locations. Without `source`, or
 * when the span does not point into it, the frame is left out. Never throws. No trailing newline.
 */
export function renderDiagnostic(d: Diagnostic, source: string | undefined, options: RenderOptions): string {
  const c = pc.createColors(options.color);
  const accent = severityColor(c, d.severity);
  const frame = source === undefined ? undefined : buildFrame(source, d.span);
  const lineLabel = isLineNumber(d.span.line) ? String(d.span.line) : "";
  const gutterWidth = Math.max(1, lineLabel.length);
  const pad = " ".repeat(gutterWidth);
  const bar = c.bold(c.blue("|"));
  const emptyGutter = `${pad} ${bar}`;

  const lines = [
    `${accent(`${d.severity}[${d.code}]`)}${c.bold(`: ${clean(d.message)}`)}`,
    `${pad}${c.bold(c.blue("-->"))} ${location(d.file, d.span)}`,
  ];

  if (frame !== undefined) {
    lines.push(emptyGutter);
    const number = c.bold(c.blue(lineLabel.padStart(gutterWidth)));
    lines.push(frame.text === "" ? `${number} ${bar}` : `${number} ${bar} ${frame.text}`);
    const carets = "^".repeat(frame.caretCount) + (frame.continues ? "..." : "");
    const label = d.label === undefined || d.label === "" ? "" : ` ${clean(d.label)}`;
    lines.push(`${emptyGutter} ${" ".repeat(frame.caretColumn)}${accent(carets + label)}`);
  }

  const footer: string[] = [];
  const note = (kind: string, text: string): string =>
    `${pad} ${c.bold(c.blue("="))} ${c.bold(`${kind}:`)} ${clean(text)}`;
  if (d.hint !== undefined && d.hint !== "") footer.push(note("help", d.hint));
  for (const text of d.notes ?? []) footer.push(note("note", text));
  for (const related of d.related ?? []) {
    footer.push(note("note", related.message));
    footer.push(`${pad}   ${c.bold(c.blue("-->"))} ${location(related.file, related.span)}`);
  }
  if (footer.length > 0 && frame !== undefined) lines.push(emptyGutter);
  lines.push(...footer);
  return lines.join("\n");
}

/** Diagnostics of one file shown as code frames; the rest are counted (all of them are in `--json`). */
export const MAX_SHOWN_DIAGNOSTICS = 100;

/**
 * The diagnostics of one file as people read them, in source order: the first
 * MAX_SHOWN_DIAGNOSTICS as code frames (one string each), then one line counting the rest. A file
 * with 200,000 mistakes shows the first hundred, like syntax errors, instead of a flood nobody reads.
 */
export function* renderFileDiagnostics(
  diagnostics: readonly Diagnostic[],
  source: string | undefined,
  options: RenderOptions,
  max = MAX_SHOWN_DIAGNOSTICS,
): Generator<string> {
  const ordered = sortDiagnostics(diagnostics);
  for (const d of ordered.slice(0, max)) yield renderDiagnostic(d, source, options);
  const rest = ordered.slice(max);
  if (rest.length === 0) return;
  const c = pc.createColors(options.color);
  const errors = rest.filter((d) => d.severity === "error").length;
  const warnings = rest.length - errors;
  const more = (n: number, word: string): string => (n > 0 ? `${n} more ${word}${n === 1 ? "" : "s"}` : "");
  const counts = [more(errors, "error"), more(warnings, "warning")].filter(Boolean).join(" and ");
  const files = new Set(rest.map((d) => d.file));
  const where = files.size === 1 ? ` in ${clean([...files][0] ?? "")}` : "";
  yield `${c.bold(`… and ${counts}${where}`)}, not shown (the first ${max} are above; \`--json\` lists every one)`;
}

// ---- summary --------------------------------------------------------------------------------

/** What `ferry check` counted. `filesWithErrors` is how many of the `files` had at least one error. */
export interface SummaryCounts {
  readonly errors: number;
  readonly warnings: number;
  readonly files: number;
  readonly filesWithErrors: number;
  /** Wall time of the whole check, in milliseconds. */
  readonly ms: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The last line of `ferry check`: `error: 1 error in 1 file (2 files checked in 41 ms)`, or
 * `ok: 2 files checked in 41 ms` (with `, 1 warning` when there are warnings). No trailing newline.
 */
export function renderSummary(counts: SummaryCounts, options: RenderOptions): string {
  const c = pc.createColors(options.color);
  const checked = `${plural(counts.files, "file")} checked in ${duration(counts.ms)}`;
  const warnings = counts.warnings > 0 ? `, ${c.yellow(plural(counts.warnings, "warning"))}` : "";
  if (counts.errors > 0) {
    const errors = `${plural(counts.errors, "error")} in ${plural(counts.filesWithErrors, "file")}`;
    return `${c.bold(c.red("error"))}: ${errors}${warnings} (${checked})`;
  }
  return `${c.bold(c.green("ok"))}: ${checked}${warnings}`;
}

// ---- JSON -----------------------------------------------------------------------------------

/** A diagnostic for `--json` consumers (CI annotations, editors). Positions are 1-based. */
export interface DiagnosticJson {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly hint: string | null;
  readonly label?: string;
  readonly notes?: readonly string[];
}

/**
 * The JSON form of a diagnostic. Text is passed through unescaped: JSON.stringify already makes
 * control characters inert, and consumers deserve the exact names.
 */
export function toJson(d: Diagnostic): DiagnosticJson {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file,
    line: d.span.line,
    column: d.span.column,
    endLine: d.span.endLine,
    endColumn: d.span.endColumn,
    hint: d.hint ?? null,
    ...(d.label !== undefined ? { label: d.label } : {}),
    ...(d.notes !== undefined && d.notes.length > 0 ? { notes: [...d.notes] } : {}),
  };
}

/**
 * `--json` output of many diagnostics, in pieces: the same text as
 * `JSON.stringify(diagnostics.map(toJson), null, 2)`, without building it as one string (for
 * 200,000 diagnostics that string alone would be a hundred megabytes or more).
 */
export function* jsonChunks(diagnostics: readonly Diagnostic[]): Generator<string> {
  if (diagnostics.length === 0) {
    yield "[]";
    return;
  }
  const CHUNK = 64 * 1024;
  let chunk = "[";
  for (let i = 0; i < diagnostics.length; i++) {
    const d = diagnostics[i] as Diagnostic;
    chunk += `${i === 0 ? "" : ","}\n  ${JSON.stringify(toJson(d), null, 2).replace(/\n/g, "\n  ")}`;
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = "";
    }
  }
  yield `${chunk}\n]`;
}

// ---- explain --------------------------------------------------------------------------------

/** Greedy word wrap by display width; a word longer than `width` gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  let lineWidth = 0;
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const w = displayWidth(word);
    if (line !== "" && lineWidth + 1 + w > width) {
      lines.push(line);
      line = "";
      lineWidth = 0;
    }
    lineWidth += line === "" ? w : 1 + w;
    line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * The catalog entry for `ferry explain <code>`: a heading, the explanation wrapped at 100 columns,
 * then indented wrong and right examples when the entry has them. The code is matched
 * case-insensitively (`map2001` works); undefined for a code not in the catalog.
 */
export function renderExplanation(code: string, options: RenderOptions): string | undefined {
  const key = code.trim().toUpperCase();
  if (!isDiagnosticCode(key)) return undefined;
  const entry: CatalogEntry = DIAGNOSTICS[key];
  const c = pc.createColors(options.color);
  const heading = c.bold(`${key}: ${entry.title} (${entry.severity})`);
  const out = [heading, "", ...wrap(entry.explanation, EXPLANATION_WIDTH)];
  const example = (heading: string, body: string): void => {
    out.push("", heading, ...body.split("\n").map((l) => `    ${l}`));
  };
  if (entry.wrong !== undefined) example(c.bold(c.red("Wrong:")), entry.wrong);
  if (entry.right !== undefined) example(c.bold(c.green("Right:")), entry.right);
  return out.join("\n");
}
