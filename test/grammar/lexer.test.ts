import { describe, expect, it } from "vitest";
import { decodeString, tokenize, tokens as T } from "../../grammar/index.js";

const kinds = (text: string): string[] => tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

describe("tokenize", () => {
  it.each([
    ["identifier", "name", ["Identifier:name"]],
    ["keyword prefix stays a name", "identity", ["Identifier:identity"]],
    ["idcheck is not id + check", "idcheck", ["Kw_idcheck:idcheck"]],
    ["format is not form + at", "format form", ["Kw_format:format", "Kw_form:form"]],
    ["hard keyword prefix", "iffy nulls truthy", ["Identifier:iffy", "Identifier:nulls", "Identifier:truthy"]],
    ["backtick name", "`27963` `-1`", ["BacktickName:`27963`", "BacktickName:`-1`"]],
    ["mongo operator", "$eq $in", ["MongoOp:$eq", "MongoOp:$in"]],
    ["numbers", "100 1.5", ["NumberLiteral:100", "NumberLiteral:1.5"]],
    ["durations", "500ms 2s 1m 1h 1d 1.5s", [
      "DurationLiteral:500ms", "DurationLiteral:2s", "DurationLiteral:1m", "DurationLiteral:1h",
      "DurationLiteral:1d", "DurationLiteral:1.5s",
    ]],
    ["range of durations", "2s..8s", ["DurationLiteral:2s", "DotDot:..", "DurationLiteral:8s"]],
    ["range of names", "a .. b", ["Identifier:a", "DotDot:..", "Identifier:b"]],
    ["rate", "2/s", ["NumberLiteral:2", "Slash:/", "Identifier:s"]],
    ["two-character operators first", "<- ?? == != <= >= && ||", [
      "Arrow:<-", "Coalesce:??", "EqEq:==", "NotEq:!=", "LessEq:<=", "GreaterEq:>=", "AndAnd:&&", "OrOr:||",
    ]],
    ["one-character operators", "< > ! | . + - * / % = ? :", [
      "Less:<", "Greater:>", "Bang:!", "Pipe:|", "Dot:.", "Plus:+", "Minus:-", "Star:*", "Slash:/",
      "Percent:%", "Assign:=", "Question:?", "Colon::",
    ]],
    ["division is not a regex", "a / b / c", ["Identifier:a", "Slash:/", "Identifier:b", "Slash:/", "Identifier:c"]],
    ["regex after matches", "x matches /a\\/b/i", ["Identifier:x", "Kw_matches:matches", "RegexLiteral:/a\\/b/i"]],
    ["slash in a regex class", "x matches /[/]+/", ["Identifier:x", "Kw_matches:matches", "RegexLiteral:/[/]+/"]],
    ["comments are skipped", "a // note\nb", ["Identifier:a", "Identifier:b"]],
    ["strings with Chinese", '"客户名称"', ['StringLiteral:"客户名称"']],
    ["full-width space is whitespace", "a\u3000b", ["Identifier:a", "Identifier:b"]],
  ])("%s", (_, text, expected) => {
    const result = tokenize(text);
    expect(result.problems).toEqual([]);
    expect(result.tokens.map((t) => `${t.tokenType.name}:${t.image}`)).toEqual(expected);
  });

  it("puts soft keywords in the Name category and hard keywords outside it", () => {
    const [id, iff] = tokenize("id if").tokens;
    expect(id?.tokenType.CATEGORIES).toContain(T.Name);
    expect(iff?.tokenType.CATEGORIES ?? []).not.toContain(T.Name);
  });

  it("keeps /// doc comments in their own group, out of the token vector", () => {
    const result = tokenize("/// one\n/// two\nmapping m\n// plain");
    expect(result.docs.map((t) => t.image)).toEqual(["/// one", "/// two"]);
    expect(kinds("/// one\nmapping m")).toEqual(["Kw_mapping:mapping", "Identifier:m"]);
  });

  it("positions tokens with 1-based lines and columns", () => {
    const [, b] = tokenize("a\n  bcd").tokens;
    expect(b).toMatchObject({ startOffset: 4, startLine: 2, startColumn: 3, endColumn: 5 });
  });

  it.each([
    ["unexpected-character", "a # b", "#", 3],
    ["unterminated-string", 'a "abc\nb', '"abc', 3],
    ["unterminated-backtick", "a `abc\nb", "`abc", 3],
    ["unterminated-regex", "a matches /abc\nb", "/abc", 11],
    ["invalid-escape", '"C:\\data"', "\\d", 4],
    ["invalid-number", "timeout 10sec", "10sec", 9],
    ["invalid-number", "1.2.3", "1.2.3", 1],
  ])("reports %s for %j", (kind, text, problemText, column) => {
    const [problem] = tokenize(text).problems;
    expect(problem).toMatchObject({ kind, text: problemText, column, line: 1 });
  });

  it("lexes an unterminated string as a string so parsing can go on", () => {
    const result = tokenize('a "abc\nb');
    expect(result.tokens.map((t) => t.tokenType)).toEqual([T.Identifier, T.UnterminatedString, T.Identifier]);
    expect(T.UnterminatedString.CATEGORIES).toContain(T.StringLiteral);
  });

  it("reports a run of unexpected characters once", () => {
    expect(tokenize("a ### b").problems).toEqual([
      expect.objectContaining({ kind: "unexpected-character", text: "###" }),
    ]);
  });
});

describe("decodeString", () => {
  it.each([
    ['"plain"', "plain"],
    ['""', ""],
    ['"a\\"b"', 'a"b'],
    ['"\\\\ \\/ \\b \\f \\n \\r \\t"', "\\ / \b \f \n \r \t"],
    ['"\\u0060\\u4e2d"', "`中"],
    ['"*/ ${x}"', "*/ ${x}"],
    ['"unterminated', "unterminated"],
  ])("decodes %s", (image, value) => {
    expect(decodeString(image)).toEqual({ value, badEscapes: [] });
  });

  it.each([
    ['"\\q"', [{ index: 1, length: 2 }]],
    ['"\\u12"', [{ index: 1, length: 2 }]],
    ['"a\\x\\y"', [{ index: 2, length: 2 }, { index: 4, length: 2 }]],
  ])("reports bad escapes in %s", (image, badEscapes) => {
    expect(decodeString(image).badEscapes).toEqual(badEscapes);
  });
});
