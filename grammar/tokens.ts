import { createToken, EOF, Lexer, type IToken, type TokenType } from "chevrotain";

/**
 * The tokens of the `.map` language. Order in `allTokens` matters: the lexer takes the first pattern
 * that matches (except where `longer_alt` lets an identifier win), so longer operators come before
 * their one-character prefixes and keywords come longest first.
 */

// ---- categories ---------------------------------------------------------------------------

/** Anything usable as a plain name: identifiers and the soft keywords. */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [Name],
  label: "a name",
});

// ---- trivia ---------------------------------------------------------------------------------

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /\s+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
/** `/// text` — kept in its own group so build-ast can attach it to the next declaration. */
export const DocComment = createToken({
  name: "DocComment",
  pattern: /\/\/\/[^\n\r]*/,
  group: "doc",
});
export const LineComment = createToken({
  name: "LineComment",
  pattern: /\/\/[^\n\r]*/,
  group: Lexer.SKIPPED,
});

// ---- literals -------------------------------------------------------------------------------

export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/,
  label: "a string",
});
/** A string not closed on its line; lexed as a string so parsing goes on (the lexer reports it). */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"[^\n\r]*/,
  categories: [StringLiteral],
  label: "a string",
});

export const BacktickName = createToken({
  name: "BacktickName",
  pattern: /`[^`\n\r]*`/,
  label: "a quoted name",
});
export const UnterminatedBacktick = createToken({
  name: "UnterminatedBacktick",
  pattern: /`[^\n\r]*/,
  categories: [BacktickName],
  label: "a quoted name",
});

export const MongoOp = createToken({ name: "MongoOp", pattern: /\$[A-Za-z]+/, label: "a `$` operator" });

/** Must not run into an identifier: `10sec` is one bad token, not `10s` + `ec`. */
export const DurationLiteral = createToken({
  name: "DurationLiteral",
  pattern: /\d+(?:\.\d+)?(?:ms|s|m|h|d)(?![A-Za-z0-9_])/,
  label: "a duration",
});
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /\d+(?:\.\d+)?(?![A-Za-z0-9_]|\.\d)/,
  label: "a number",
});
/** `10sec`, `3x`, `1.2.3`: digits running into letters or dots. Reported by the lexer, then parsed as either. */
export const BadNumber = createToken({
  name: "BadNumber",
  pattern: /\d+(?:\.\d+)*[A-Za-z0-9_]*/,
  categories: [NumberLiteral, DurationLiteral],
  label: "a number",
});

// ---- keywords -------------------------------------------------------------------------------

function keyword(word: string, soft: boolean): TokenType {
  return createToken({
    name: `Kw_${word}`,
    pattern: word,
    longer_alt: Identifier,
    categories: soft ? [Name] : [],
    label: `\`${word}\``,
  });
}

const kw = (word: string): TokenType => keyword(word, false);
const soft = (word: string): TokenType => keyword(word, true);

export const If = kw("if");
export const Then = kw("then");
export const Else = kw("else");
export const Each = kw("each");
export const Lookup = kw("lookup");
export const Jsonata = kw("jsonata");
export const True = kw("true");
export const False = kw("false");
export const Null = kw("null");
export const Matches = kw("matches");

export const Mapping = soft("mapping");
export const Source = soft("source");
export const Target = soft("target");
export const Fields = soft("fields");
export const Check = soft("check");
export const Example = soft("example");
export const Params = soft("params");
export const Window = soft("window");
export const Page = soft("page");
export const Records = soft("records");
export const Total = soft("total");
export const Id = soft("id");
export const NumberKw = soft("number");
export const IdCheck = soft("idcheck");
export const Rate = soft("rate");
export const Retry = soft("retry");
export const Backoff = soft("backoff");
export const Timeout = soft("timeout");
export const Form = soft("form");
export const Batch = soft("batch");
export const Option = soft("option");
export const Step = soft("step");
export const From = soft("from");
export const Format = soft("format");
export const Size = soft("size");
export const As = soft("as");
export const Where = soft("where");
export const Find = soft("find");
export const Given = soft("given");
export const In = soft("in");
export const Out = soft("out");

const keywords: readonly TokenType[] = [
  If, Then, Else, Each, Lookup, Jsonata, True, False, Null, Matches,
  Mapping, Source, Target, Fields, Check, Example, Params, Window, Page, Records, Total, Id, NumberKw,
  IdCheck, Rate, Retry, Backoff, Timeout, Form, Batch, Option, Step, From, Format, Size, As, Where,
  Find, Given, In, Out,
];

// ---- regex (only right after `matches`, so `a / b` stays a division) -------------------------

export const RegexLiteral = createToken({
  name: "RegexLiteral",
  pattern: { exec: (text, offset, tokens) => matchRegex(text, offset, tokens, true) },
  line_breaks: false,
  start_chars_hint: ["/"],
  label: "a regular expression",
});
export const UnterminatedRegex = createToken({
  name: "UnterminatedRegex",
  pattern: { exec: (text, offset, tokens) => matchRegex(text, offset, tokens, false) },
  line_breaks: false,
  start_chars_hint: ["/"],
  categories: [RegexLiteral],
  label: "a regular expression",
});

/**
 * Scans `/…/flags` after a `matches` token. A `/` inside `[…]` or after a backslash does not end the
 * pattern (as in JavaScript). With `terminated` false it matches an unclosed pattern to end of line.
 */
function matchRegex(text: string, offset: number, tokens: IToken[], terminated: boolean): [string] | null {
  if (text.charCodeAt(offset) !== 0x2f || tokens[tokens.length - 1]?.tokenType !== Matches) return null;
  let i = offset + 1;
  let inClass = false;
  while (i < text.length) {
    const c = text[i];
    if (c === "\n" || c === "\r") break;
    if (c === "\\") {
      const next = text[i + 1];
      if (next === undefined || next === "\n" || next === "\r") break;
      i += 2;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) {
      if (!terminated) return null;
      i++;
      while (i < text.length && /[A-Za-z]/.test(text[i] ?? "")) i++;
      return [text.slice(offset, i)];
    }
    i++;
  }
  return terminated ? null : [text.slice(offset, i)];
}

// ---- characters that start no token --------------------------------------------------------

/** Code units that begin some token (besides letters, digits and whitespace). */
const tokenStarts = new Set([..."\"`/<>=!?|.+-*%:,(){}[]"].map((c) => c.charCodeAt(0)));

function startsNoToken(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 0x24) return !/[A-Za-z]/.test(text[i + 1] ?? ""); // `$eq` is a token, `$` alone is not
  if (c === 0x26) return text.charCodeAt(i + 1) !== 0x26; // `&&` is, `&` is not
  if (tokenStarts.has(c) || /[\s\w]/.test(text[i] ?? "")) return false;
  return true;
}

/**
 * Where runs of stray characters were found by the last `tokenize` call. Chevrotain's own error
 * recovery retries every pattern at every following character, which takes tens of seconds on a
 * few megabytes of garbage; matching whole runs as one skipped token keeps lexing linear. The
 * lexer driver clears and reads this list around each run (lexing is synchronous).
 */
export const unknownRuns: { start: number; end: number }[] = [];
/** Stop recording (but keep skipping) after this many runs; nobody reads more. */
export const MAX_UNKNOWN_RUNS = 100;

export const UnknownRun = createToken({
  name: "UnknownRun",
  pattern: {
    exec: (text, offset) => {
      let end = offset;
      while (end < text.length && startsNoToken(text, end)) end++;
      if (end === offset) return null;
      const last = unknownRuns[unknownRuns.length - 1];
      if (unknownRuns.length < MAX_UNKNOWN_RUNS && (last === undefined || last.end <= offset)) {
        unknownRuns.push({ start: offset, end });
      }
      return [text.slice(offset, end)];
    },
  },
  line_breaks: false,
  group: Lexer.SKIPPED,
  // Every code unit that may start a run, so the lexer keeps its first-character dispatch.
  start_chars_hint: Array.from({ length: 0x10000 }, (_, c) => c).filter(
    (c) => c === 0x24 || c === 0x26 || startsNoToken(String.fromCharCode(c), 0),
  ),
});

// ---- punctuation ----------------------------------------------------------------------------

const punct = (name: string, pattern: string): TokenType =>
  createToken({ name, pattern, label: `\`${pattern}\`` });

export const Arrow = punct("Arrow", "<-");
export const Coalesce = punct("Coalesce", "??");
export const EqEq = punct("EqEq", "==");
export const NotEq = punct("NotEq", "!=");
export const LessEq = punct("LessEq", "<=");
export const GreaterEq = punct("GreaterEq", ">=");
export const AndAnd = punct("AndAnd", "&&");
export const OrOr = punct("OrOr", "||");
export const DotDot = punct("DotDot", "..");
export const Less = punct("Less", "<");
export const Greater = punct("Greater", ">");
export const Bang = punct("Bang", "!");
export const Pipe = punct("Pipe", "|");
export const Dot = punct("Dot", ".");
export const Plus = punct("Plus", "+");
export const Minus = punct("Minus", "-");
export const Star = punct("Star", "*");
export const Slash = punct("Slash", "/");
export const Percent = punct("Percent", "%");
export const Assign = punct("Assign", "=");
export const Question = punct("Question", "?");
export const Colon = punct("Colon", ":");
export const Comma = punct("Comma", ",");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");

/** Longest keyword first, so `idcheck` is not read as `id` + `check` and `format` not as `form`. */
const keywordsLongestFirst = [...keywords].sort(
  (a, b) => String(b.PATTERN).length - String(a.PATTERN).length,
);

/** Every token type in lexing order. */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  RegexLiteral,
  UnterminatedRegex,
  StringLiteral,
  UnterminatedString,
  BacktickName,
  UnterminatedBacktick,
  MongoOp,
  DurationLiteral,
  NumberLiteral,
  BadNumber,
  ...keywordsLongestFirst,
  Identifier,
  Name,
  Arrow, Coalesce, EqEq, NotEq, LessEq, GreaterEq, AndAnd, OrOr, DotDot,
  Less, Greater, Bang, Pipe, Dot, Plus, Minus, Star, Slash, Percent, Assign, Question, Colon, Comma,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket,
  UnknownRun,
];

/** How an expected token type reads in a message: "`<-`", "a string", "a name", "end of file". */
export function describeExpected(type: TokenType): string {
  if (type === EOF) return "end of file";
  return type.LABEL ?? type.name;
}

/** How an actual token reads in a message: its text in backticks, or its kind for literals. */
export function describeToken(token: IToken): string {
  const type = token.tokenType;
  if (type === EOF) return "end of file";
  if (type === StringLiteral || type === UnterminatedString) return "a string";
  if (type === BacktickName || type === UnterminatedBacktick) return "a quoted name";
  if (type === RegexLiteral || type === UnterminatedRegex) return "a regular expression";
  const image = token.image.length > 30 ? `${token.image.slice(0, 30)}…` : token.image;
  return `\`${image}\``;
}
