import { describe, expect, it } from "vitest";
import { codePointWidth, displayWidth } from "../../compiler/text-width.js";

describe("displayWidth", () => {
  it.each([
    ["empty", "", 0],
    ["ASCII", "FName <- name", 13],
    ["CJK ideographs", "客户名称", 8],
    ["mixed", "FName 客户", 10],
    ["CJK punctuation", "。，：、「」", 12],
    ["fullwidth forms", "ＡＢ！", 6],
    ["ideographic space", "\u3000", 2],
    ["hiragana and katakana", "ひらカタ", 8],
    ["Hangul syllables", "한국어", 6],
    ["emoji", "😀🚀", 4],
    ["CJK extension B", "\u{20000}", 2],
    ["combining acute accent", "e\u0301", 1],
    ["precomposed é", "é", 1],
    ["zero-width space and joiner", "a\u200bb\u200dc", 3],
    ["variation selector", "\u2764\ufe0f", 1],
    ["byte order mark", "\ufeffx", 1],
    ["control characters", "\x1b\x07\r", 0],
    ["Latin-1 and Greek", "ñ α ß", 5],
    ["box drawing and ellipsis", "│…", 2],
    ["halfwidth katakana", "ｶﾀ", 2],
  ])("%s: %j → %i", (_name, text, expected) => {
    expect(displayWidth(text)).toBe(expected);
  });
});

describe("codePointWidth", () => {
  it.each([
    [0x41, 1],
    [0x09, 0],
    [0x7f, 0],
    [0x9b, 0],
    [0x0300, 0],
    [0x1100, 2],
    [0x1160, 0],
    [0x303f, 1],
    [0x3000, 2],
    [0x4e00, 2],
    [0x9fff, 2],
    [0xac00, 2],
    [0xd7a3, 2],
    [0xd7a4, 1],
    [0xff01, 2],
    [0xff61, 1],
    [0x1f600, 2],
    [0x1f1e8, 1], // regional indicators: a flag is two of them
  ].map(([cp, width]) => [cp!.toString(16).toUpperCase(), cp!, width!] as const))("U+%s → %i", (_hex, cp, expected) => {
    expect(codePointWidth(cp)).toBe(expected);
  });
});
