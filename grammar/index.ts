/**
 * The grammar's public surface: lexing and CST parsing of `.map` text. Nothing here knows about
 * diagnostics or the AST; compiler/parse.ts turns these results into both.
 */
export { tokenize, decodeString, type LexProblem, type LexResult } from "./lexer.js";
export { parseTokens, type CstParseResult } from "./parser.js";
export { describeToken, describeExpected } from "./tokens.js";
export * as tokens from "./tokens.js";
