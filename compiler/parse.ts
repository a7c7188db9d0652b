import { EOF, type CstNode, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import {
  describeToken,
  parseTokens,
  tokenize,
  tokens as T,
  type LexProblem,
  type LexResult,
} from "../grammar/index.js";
import type { MapFile, Span } from "./ast.js";
import { astBuilder, tokenSpan } from "./build-ast.js";
import { diagnostic, sortDiagnostics, type Diagnostic, type DiagnosticCode } from "./diagnostics.js";

/** Brackets and unary chains deeper than this are refused before parsing (MAP1005). */
export const MAX_NESTING = 200;

/**
 * Parses `.map` source text. Never throws for bad input: it always returns a file (with the items
 * it could build) and the lexical and syntax diagnostics in source order, at most one syntax error
 * per line so one mistake does not cascade.
 */
export function parseMapFile(text: string, file: string): { value: MapFile; diagnostics: Diagnostic[] } {
  const lexed = tokenize(text);
  // Field lines become AST while the parser runs (see astBuilder): a file of many lines never holds
  // all their syntax trees at once.
  const builder = astBuilder({ text, file, docs: lexed.docs });
  const parsed = parseCst(lexed, file, builder.fieldLine);
  if (parsed.cst === undefined) return { value: emptyFile(text), diagnostics: parsed.diagnostics };
  const built = builder.build(parsed.cst);
  return { value: built.value, diagnostics: sortDiagnostics([...parsed.diagnostics, ...built.diagnostics]) };
}

/**
 * Parses the tokens: the CST and the lexical and syntax diagnostics; no CST when the file nests
 * too deeply to parse at all.
 */
function parseCst(
  lexed: LexResult,
  file: string,
  onFieldLine: (field: CstNode) => void,
): { cst: CstNode | undefined; diagnostics: Diagnostic[] } {
  let lexDiagnostics = lexed.problems.flatMap((p, i) => {
    const prev = lexed.problems[i - 1];
    // A run of garbage bytes is noise after its first report on the line.
    if (p.kind === "unexpected-character" && prev?.kind === p.kind && prev.line === p.line) return [];
    return [lexDiagnostic(p, file)];
  });
  if (lexed.problemsTruncated) lexDiagnostics = withNote(lexDiagnostics, "more lexical errors follow; fix these first");
  const scan = scanNesting(lexed.tokens);
  const nestingDiagnostics = scan.tooDeep ? [nestingDiagnostic(scan.tooDeep, file)] : [];
  const tokens = scan.tooDeep ? lexed.tokens.slice(0, scan.cut) : lexed.tokens;

  try {
    const parsed = parseTokens(tokens, onFieldLine);
    let syntax = syntaxDiagnostics(parsed.errors, {
      file,
      tokens,
      stray: scan.strayClosers,
      truncated: scan.tooDeep !== undefined || parsed.stoppedAt !== undefined,
      earlier: [...lexDiagnostics, ...nestingDiagnostics],
      cascadeSources: lexed.problems.filter((p) => p.kind === "unexpected-character"),
    });
    if (parsed.stoppedAt) syntax = withNote(syntax, "too many syntax errors: the rest of the file was not read");
    return { cst: parsed.cst, diagnostics: [...lexDiagnostics, ...nestingDiagnostics, ...syntax] };
  } catch (e) {
    // Nesting the scan cannot see (thousands of chained `if`s) can still exhaust the stack.
    if (!(e instanceof RangeError)) throw e;
    const first = lexed.tokens[0];
    const span = first ? tokenSpan(first) : startSpan;
    const d = diagnostic("MAP1005", { message: "the file nests expressions too deeply to parse", file, span });
    return { cst: undefined, diagnostics: [...lexDiagnostics, d] };
  }
}

/**
 * Decodes the bytes of a `.map` file as UTF-8 (a leading BOM is dropped). Files holding NUL bytes
 * or invalid UTF-8 are not text: MAP1009 and no value.
 */
export function decodeMapFile(bytes: Uint8Array, file: string): { value: string | undefined; diagnostics: Diagnostic[] } {
  const notText = (): { value: undefined; diagnostics: Diagnostic[] } => ({
    value: undefined,
    diagnostics: [
      diagnostic("MAP1009", {
        message: bytes.includes(0) ? "not a text file: it holds NUL bytes" : "not a text file: it is not valid UTF-8",
        file,
        span: startSpan,
      }),
    ],
  });
  if (bytes.includes(0)) return notText();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return notText();
  }
  return { value: text.startsWith("\uFEFF") ? text.slice(1) : text, diagnostics: [] };
}

/** The list with a note added to its last diagnostic. */
function withNote(diagnostics: readonly Diagnostic[], note: string): Diagnostic[] {
  const last = diagnostics[diagnostics.length - 1];
  if (last === undefined) return [...diagnostics];
  return [...diagnostics.slice(0, -1), { ...last, notes: [...(last.notes ?? []), note] }];
}

// ---- lexical problems -----------------------------------------------------------------------

const startSpan: Span = { start: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };

function emptyFile(text: string): MapFile {
  return { kind: "file", items: [], span: { ...startSpan, end: text.length } };
}

function problemSpan(p: LexProblem): Span {
  const length = p.end - p.start;
  return { start: p.start, end: p.end, line: p.line, column: p.column, endLine: p.line, endColumn: p.column + length };
}

const lexCodes: Readonly<Record<LexProblem["kind"], DiagnosticCode>> = {
  "unexpected-character": "MAP1001",
  "unterminated-string": "MAP1002",
  "invalid-escape": "MAP1004",
  "invalid-number": "MAP1006",
  "unterminated-regex": "MAP1007",
  "unterminated-backtick": "MAP1008",
};

function lexDiagnostic(p: LexProblem, file: string): Diagnostic {
  const span = problemSpan(p);
  const code = lexCodes[p.kind];
  switch (p.kind) {
    case "unexpected-character": {
      const first = String.fromCodePoint(p.text.codePointAt(0) ?? 0);
      const many = p.text.length > first.length;
      return diagnostic(code, {
        message: `unexpected character ${showChar(first)}`,
        file,
        span: many ? { ...span, end: span.start + first.length, endColumn: span.column + first.length } : span,
        hint: charHint(first),
      });
    }
    case "unterminated-string":
      return diagnostic(code, {
        message: "unterminated string",
        file,
        span,
        label: "no closing `\"` on this line",
        hint: "strings end on the line they start; write \\n for a line break",
      });
    case "invalid-escape":
      return diagnostic(code, {
        message: `invalid escape \`${p.text}\` in string`,
        file,
        span,
        hint: "strings use JSON escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX (write \\\\ for a backslash)",
      });
    case "invalid-number":
      return diagnostic(code, {
        message: `invalid number \`${p.text}\``,
        file,
        span,
        hint: "durations are a number followed by ms, s, m, h or d (500ms, 2s, 1d); names cannot start with a digit",
      });
    case "unterminated-regex":
      return diagnostic(code, {
        message: "unterminated regular expression",
        file,
        span,
        label: "no closing `/` on this line",
      });
    case "unterminated-backtick":
      return diagnostic(code, {
        message: "unterminated backtick name",
        file,
        span,
        label: "no closing backtick on this line",
      });
  }
}

/** Invisible and control characters are named by code point so the message shows something. */
function showChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const visible = /[\p{L}\p{N}\p{P}\p{S}]/u.test(c);
  return visible ? `\`${c}\`` : `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

function charHint(c: string): string | undefined {
  if (c === "'") return "strings are written in double quotes";
  if (c === ";") return "lines need no `;`";
  if (c === "#") return "comments start with //";
  if (c === "&") return "`and` is written &&";
  if (c === "$") return "operators in lookup filters are written $eq, $in, …";
  if (/\p{L}|\p{N}/u.test(c)) return "names that are not plain identifiers go in backticks; text goes in double quotes";
  return undefined;
}

// ---- nesting --------------------------------------------------------------------------------

interface NestingScan {
  /** The first token past MAX_NESTING, if any. */
  readonly tooDeep: { token: IToken; what: "brackets" | "operators" } | undefined;
  /** Parse only tokens before this index: the start of the top-level block holding `tooDeep`. */
  readonly cut: number;
  /** Closing brackets with no matching opener: their errors read "unexpected `)`". */
  readonly strayClosers: ReadonlySet<IToken>;
}

const closerOf = new Map<TokenType, TokenType>([
  [T.LParen, T.RParen],
  [T.LBrace, T.RBrace],
  [T.LBracket, T.RBracket],
]);
const closers = new Set([T.RParen, T.RBrace, T.RBracket]);
const blockKeywords = new Set([T.Mapping, T.Source, T.Target, T.Fields, T.Check, T.Example]);

/**
 * One pass over the tokens before parsing. The recursive-descent parser would overflow the stack on
 * 10,000 nested parentheses, so input nested deeper than MAX_NESTING is refused. Parsing stops at
 * the start of the top-level block that holds it (not at the deep token itself, where error
 * recovery would run with the stack already full), so the blocks before it still get checked.
 */
function scanNesting(tokens: readonly IToken[]): NestingScan {
  const open: IToken[] = [];
  const stray = new Set<IToken>();
  let unaryRun = 0;
  let blockStart = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) continue;
    const type = t.tokenType;
    if (open.length === 0 && blockKeywords.has(type)) blockStart = i;
    unaryRun = type === T.Minus || type === T.Bang ? unaryRun + 1 : 0;
    if (unaryRun > MAX_NESTING) return { tooDeep: { token: t, what: "operators" }, cut: blockStart, strayClosers: stray };
    if (closerOf.has(type)) {
      open.push(t);
      if (open.length > MAX_NESTING) return { tooDeep: { token: t, what: "brackets" }, cut: blockStart, strayClosers: stray };
    } else if (closers.has(type)) {
      // A closer ends the nearest opener of its kind (openers left inside are unclosed, which the
      // parser reports); with no such opener it is stray.
      let match = open.length - 1;
      while (match >= 0 && closerOf.get(open[match]?.tokenType as TokenType) !== type) match--;
      if (match >= 0) open.length = match;
      else stray.add(t);
    }
  }
  return { tooDeep: undefined, cut: tokens.length, strayClosers: stray };
}

function nestingDiagnostic(tooDeep: NonNullable<NestingScan["tooDeep"]>, file: string): Diagnostic {
  const message =
    tooDeep.what === "brackets"
      ? `brackets are nested more than ${MAX_NESTING} levels deep`
      : `more than ${MAX_NESTING} \`-\`/\`!\` operators in a row`;
  return diagnostic("MAP1005", {
    message,
    file,
    span: tokenSpan(tooDeep.token),
    hint: "this block and the rest of the file were not read; flatten the expression or the data",
  });
}

// ---- syntax errors --------------------------------------------------------------------------

interface SyntaxContext {
  readonly file: string;
  readonly tokens: readonly IToken[];
  readonly stray: ReadonlySet<IToken>;
  readonly truncated: boolean;
  readonly earlier: readonly Diagnostic[];
  readonly cascadeSources: readonly LexProblem[];
}

/**
 * Chevrotain's errors as MAP1003, de-duplicated: after recovering from one mistake the parser often
 * trips again on the same or the next line, so an error is dropped when its line already has a
 * diagnostic, or when the token before it sits after an earlier error on that token's line.
 */
function syntaxDiagnostics(errors: readonly IRecognitionException[], ctx: SyntaxContext): Diagnostic[] {
  const last = ctx.tokens[ctx.tokens.length - 1];
  const ordered = [...errors].sort((a, b) => offsetOf(a.token) - offsetOf(b.token));
  const linesWithErrors = new Set(ctx.earlier.map((d) => d.span.line));
  const cascadeFrom = new Map<number, number>();
  for (const p of ctx.cascadeSources) if (!cascadeFrom.has(p.line)) cascadeFrom.set(p.line, p.start);
  const out: Diagnostic[] = [];
  for (const error of ordered) {
    const atEof = isEof(error.token);
    if (atEof && ctx.truncated) continue;
    const span = atEof ? eofSpan(last) : tokenSpan(error.token);
    const previous = (error as { previousToken?: IToken }).previousToken;
    const before = previous !== undefined && !isEof(previous) && !Number.isNaN(previous.startOffset) ? previous : undefined;
    if (linesWithErrors.has(span.line)) continue;
    if (before !== undefined) {
      const line = before.endLine ?? before.startLine ?? 0;
      const from = cascadeFrom.get(line);
      if (from !== undefined && from <= before.startOffset) continue;
    }
    const message = ctx.stray.has(error.token) ? `unexpected ${describeToken(error.token)}` : error.message;
    out.push(diagnostic("MAP1003", { message, file: ctx.file, span, hint: hintFor(error, ctx) }));
    linesWithErrors.add(span.line);
    if (!cascadeFrom.has(span.line)) cascadeFrom.set(span.line, span.start);
  }
  return out;
}

function hintFor(error: IRecognitionException, ctx: SyntaxContext): string | undefined {
  if (!ctx.stray.has(error.token)) return undefined;
  const type = error.token.tokenType;
  const opener = type === T.RParen ? "(" : type === T.RBrace ? "{" : "[";
  return `no \`${opener}\` is open here`;
}

function isEof(t: IToken): boolean {
  return t.tokenType === EOF;
}

function offsetOf(t: IToken): number {
  return isEof(t) || Number.isNaN(t.startOffset) ? Number.MAX_SAFE_INTEGER : t.startOffset;
}

/** End of file is shown at the end of the last token. */
function eofSpan(last: IToken | undefined): Span {
  if (last === undefined) return startSpan;
  const s = tokenSpan(last);
  return { start: s.end, end: s.end, line: s.endLine, column: s.endColumn, endLine: s.endLine, endColumn: s.endColumn };
}
