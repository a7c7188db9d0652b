import { Lexer, type IToken, type TokenType } from "chevrotain";
import {
  allTokens,
  BadNumber,
  MAX_UNKNOWN_RUNS,
  unknownRuns,
  StringLiteral,
  UnterminatedBacktick,
  UnterminatedRegex,
  UnterminatedString,
} from "./tokens.js";

/** A lexical problem, positioned but not yet a diagnostic (grammar/ knows nothing of the catalog). */
export interface LexProblem {
  readonly kind:
    | "unexpected-character"
    | "unterminated-string"
    | "unterminated-backtick"
    | "unterminated-regex"
    | "invalid-escape"
    | "invalid-number";
  /** The offending source text. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
}

export interface LexResult {
  readonly tokens: IToken[];
  /** `///` doc comments, in source order. */
  readonly docs: IToken[];
  /** In source order; at most MAX_PROBLEMS. */
  readonly problems: LexProblem[];
  /** True when there were more problems than `problems` holds. */
  readonly problemsTruncated: boolean;
}

/** Past this many, lexical problems are counted but not listed: nobody reads the 101st. */
export const MAX_PROBLEMS = MAX_UNKNOWN_RUNS;

const lexer = new Lexer([...allTokens], { positionTracking: "full", ensureOptimizations: true });

const problemOfToken = new Map<TokenType, LexProblem["kind"]>([
  [UnterminatedString, "unterminated-string"],
  [UnterminatedBacktick, "unterminated-backtick"],
  [UnterminatedRegex, "unterminated-regex"],
  [BadNumber, "invalid-number"],
]);

/**
 * Splits `.map` source text into tokens. Never throws: characters that start no token are skipped
 * and reported, and unterminated strings, backtick names and regexes become tokens of their kind so
 * the parser can carry on.
 */
export function tokenize(text: string): LexResult {
  unknownRuns.length = 0;
  const result = lexer.tokenize(text);
  const runs = unknownRuns.splice(0);
  const fromRuns = runs.length === 0 ? [] : positioned(text, runs);
  // Chevrotain's own error recovery should never run (UnknownRun catches stray characters); kept
  // as a safety net.
  const fromErrors: LexProblem[] = result.errors.slice(0, MAX_PROBLEMS).map((e) => ({
    kind: "unexpected-character",
    text: text.slice(e.offset, e.offset + e.length),
    start: e.offset,
    end: e.offset + e.length,
    line: e.line ?? 1,
    column: e.column ?? 1,
  }));
  const fromTokens: LexProblem[] = [];
  for (const token of result.tokens) {
    if (fromTokens.length > MAX_PROBLEMS) break;
    const kind = problemOfToken.get(token.tokenType);
    if (kind !== undefined) fromTokens.push(problemAt(token, 0, token.image.length, kind));
    if ((token.tokenType === StringLiteral || token.tokenType === UnterminatedString) && token.image.includes("\\")) {
      for (const bad of decodeString(token.image).badEscapes) {
        fromTokens.push(problemAt(token, bad.index, bad.length, "invalid-escape"));
      }
    }
  }
  // Each list is in source order and holds at least its first MAX_PROBLEMS, so the merged head is exact.
  const all = [...fromRuns, ...fromErrors, ...fromTokens].sort((a, b) => a.start - b.start);
  const problemsTruncated = all.length > MAX_PROBLEMS || runs.length >= MAX_UNKNOWN_RUNS;
  return {
    tokens: compact(result.tokens),
    docs: result.groups["doc"] ?? [],
    problems: all.slice(0, MAX_PROBLEMS),
    problemsTruncated,
  };
}

/**
 * The tokens again, with their positions as small integers. Chevrotain's tokens share one object
 * shape with its end-of-input token, positioned at NaN, so V8 keeps every position of every token
 * in a boxed double: 6 boxes a token, nearly half of what the tokens of a large file cost. Built with
 * the properties in another order, these get a shape of their own (positions are never NaN here).
 */
function compact(tokens: readonly IToken[]): IToken[] {
  const out = new Array<IToken>(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as IToken;
    out[i] = {
      tokenType: t.tokenType,
      tokenTypeIdx: t.tokenTypeIdx,
      image: t.image,
      startOffset: int(t.startOffset),
      endOffset: int(t.endOffset),
      startLine: int(t.startLine),
      endLine: int(t.endLine),
      startColumn: int(t.startColumn),
      endColumn: int(t.endColumn),
    };
  }
  return out;
}

function int<N extends number | undefined>(n: N): N {
  return (n !== undefined && n === (n | 0) ? n | 0 : n) as N;
}

/** Lines and columns for stray-character runs, counting line breaks as Chevrotain does. */
function positioned(text: string, runs: readonly { start: number; end: number }[]): LexProblem[] {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lineStarts.push(i + 1);
  }
  return runs.map(({ start, end }) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= start) lo = mid;
      else hi = mid - 1;
    }
    const column = start - (lineStarts[lo] ?? 0) + 1;
    return { kind: "unexpected-character", text: text.slice(start, end), start, end, line: lo + 1, column };
  });
}

/** Tokens never span lines, so a column is the token's column plus the offset into it. */
function problemAt(token: IToken, index: number, length: number, kind: LexProblem["kind"]): LexProblem {
  return {
    kind,
    text: token.image.slice(index, index + length),
    start: token.startOffset + index,
    end: token.startOffset + index + length,
    line: token.startLine ?? 1,
    column: (token.startColumn ?? 1) + index,
  };
}

const simpleEscapes: Readonly<Record<string, string>> = {
  '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t",
};

/**
 * Decodes a string token's image (with its quotes; the closing one may be missing) using JSON
 * escapes. An invalid escape is kept as written and reported by position within the image.
 */
export function decodeString(image: string): {
  value: string;
  badEscapes: { index: number; length: number }[];
} {
  if (!image.includes("\\")) {
    const closed = image.length > 1 && image.endsWith('"');
    return { value: image.slice(1, closed ? -1 : undefined), badEscapes: [] };
  }
  const end = image.length > 1 && image.endsWith('"') && !endsEscaped(image) ? image.length - 1 : image.length;
  const badEscapes: { index: number; length: number }[] = [];
  let value = "";
  let i = 1;
  while (i < end) {
    const slash = image.indexOf("\\", i);
    if (slash < 0 || slash >= end) {
      value += image.slice(i, end);
      break;
    }
    value += image.slice(i, slash);
    const c = image[slash + 1] ?? "";
    const simple = simpleEscapes[c];
    if (simple !== undefined && slash + 1 < end) {
      value += simple;
      i = slash + 2;
    } else if (c === "u" && /^[0-9A-Fa-f]{4}$/.test(image.slice(slash + 2, slash + 6)) && slash + 6 <= end) {
      value += String.fromCharCode(parseInt(image.slice(slash + 2, slash + 6), 16));
      i = slash + 6;
    } else {
      const length = c === "" || slash + 1 >= end ? 1 : 2;
      badEscapes.push({ index: slash, length });
      value += image.slice(slash, slash + length);
      i = slash + length;
    }
  }
  return { value, badEscapes };
}

/** True when the final `"` is preceded by an odd number of backslashes (so it does not close). */
function endsEscaped(image: string): boolean {
  let count = 0;
  for (let i = image.length - 2; i >= 1 && image[i] === "\\"; i--) count++;
  return count % 2 === 1;
}
