import { describe, expect, it } from "vitest";
import type { Span } from "../../compiler/ast.js";
import { DIAGNOSTICS, type Diagnostic, type DiagnosticCode } from "../../compiler/diagnostics.js";
import {
  jsonChunks,
  renderDiagnostic,
  renderExplanation,
  renderFileDiagnostics,
  renderSummary,
  toJson,
  type SummaryCounts,
} from "../../compiler/render.js";
import { displayWidth } from "../../compiler/text-width.js";

const PLAIN = { color: false } as const;
const COLOR = { color: true } as const;
const FILE = "mappings/guanyi-shops-to-kingdee-customers.map";

/** 1-based line and UTF-16 column of `offset`, counting \r\n, \r and \n as line breaks. */
function position(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = source[i];
    if (c === "\n" || (c === "\r" && source[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function spanAt(source: string, start: number, end: number): Span {
  const from = position(source, start);
  const to = position(source, end);
  return { start, end, line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
}

/** The span of the first `needle` in `source` (optionally of `length` characters from it). */
function spanOf(source: string, needle: string, length = needle.length): Span {
  const start = source.indexOf(needle);
  if (start < 0) throw new Error(`${needle} not in source`);
  return spanAt(source, start, start + length);
}

function diag(span: Span, extra: Partial<Diagnostic> = {}): Diagnostic {
  return {
    code: "MAP2001",
    severity: "error",
    message: "unknown source field `nmae`",
    file: FILE,
    span,
    ...extra,
  };
}

/** Display column of `needle` in the framed source line equals the column of the first caret. */
function expectCaretUnder(output: string, needle: string): void {
  const lines = output.split("\n");
  const sourceLine = lines.find((l) => /^\s*\d+ \|/.test(l) && l.includes(needle));
  expect(sourceLine, output).toBeDefined();
  const caretLine = lines[lines.indexOf(sourceLine!) + 1]!;
  const caret = caretLine.indexOf("^");
  expect(caret, output).toBeGreaterThan(0);
  expect(displayWidth(caretLine.slice(0, caret))).toBe(displayWidth(sourceLine!.slice(0, sourceLine!.indexOf(needle))));
}

// The EXAMPLES.md mapping, with the misspelt field on line 24.
const MAPPING = [
  'mapping guanyi_shops_to_kingdee_customers "冠易店铺 → 金蝶客户"',
  ...Array.from({ length: 21 }, (_, i) => `# filler ${i + 2}`),
  "fields {",
  '  FName        : string  <- nmae                  "客户名称"',
  '  FNumber      : string  <- code                  "客户编码"',
  "}",
  "",
].join("\n");

const EXAMPLE: Diagnostic = diag(spanOf(MAPPING, "nmae"), {
  label: "not a field of gy.erp.shop.get records",
  hint: "did you mean `name`?",
  notes: ["gy.erp.shop.get records have: id, nick, code, name, create_date, modify_date, note, type_name"],
});

describe("renderDiagnostic", () => {
  it("draws the EXAMPLES.md frame", () => {
    // EXAMPLES.md prints 24:33, but in its own line `nmae` starts at column 29; the frame is what
    // counts, so the header here says 29.
    expect(EXAMPLE.span).toMatchObject({ line: 24, column: 29, endLine: 24, endColumn: 33 });
    expect(renderDiagnostic(EXAMPLE, MAPPING, PLAIN)).toBe(
      [
        "error[MAP2001]: unknown source field `nmae`",
        "  --> mappings/guanyi-shops-to-kingdee-customers.map:24:29",
        "   |",
        '24 |   FName        : string  <- nmae                  "客户名称"',
        "   |                             ^^^^ not a field of gy.erp.shop.get records",
        "   |",
        "   = help: did you mean `name`?",
        "   = note: gy.erp.shop.get records have: id, nick, code, name, create_date, modify_date, note, type_name",
      ].join("\n"),
    );
  });

  it.each([
    ["Chinese before the span", "  客户名称 : string <- nmae", 23],
    ["a tab before the span", "\tFName\t<- nmae", 16],
    ["fullwidth punctuation", "# 注意：名称，编码。 nmae", 21],
    ["an emoji", "FName <- 🚀 nmae", 12],
    ["a combining accent", "e\u0301e\u0301 nmae", 3],
    ["an escaped control character", "x\x1by nmae", 9],
  ])("keeps the carets under the span with %s", (_name, line, column) => {
    const source = `fields {\n${line}\n}\n`;
    const out = renderDiagnostic(diag(spanOf(source, "nmae")), source, PLAIN);
    expect(out.split("\n")[4]).toBe(`  | ${" ".repeat(column)}^^^^`);
    expectCaretUnder(out, "nmae");
  });

  it("expands tabs to four spaces", () => {
    const source = "\tFName\t<- nmae\n";
    const out = renderDiagnostic(diag(spanOf(source, "nmae")), source, PLAIN);
    expect(out.split("\n").slice(3, 5)).toEqual(["1 |     FName    <- nmae", `  | ${" ".repeat(16)}^^^^`]);
  });

  it("underlines a wide character with two carets", () => {
    const source = "FName <- 名\n";
    const out = renderDiagnostic(diag(spanOf(source, "名")), source, PLAIN);
    expect(out.split("\n")[4]).toBe("  |          ^^");
  });

  it("shows the first line of a multi-line span and marks that it continues", () => {
    const source = "fields {\n  FName <- if a\n    then b\n    else c\n}\n";
    const start = source.indexOf("if a");
    const span = spanAt(source, start, source.indexOf("else c") + 6);
    expect(span).toMatchObject({ line: 2, endLine: 4 });
    const out = renderDiagnostic(
      diag(span, { code: "MAP2006", message: "type mismatch", label: "this is a number" }),
      source,
      PLAIN,
    );
    expect(out).toBe(
      [
        "error[MAP2006]: type mismatch",
        ` --> ${FILE}:2:12`,
        "  |",
        "2 |   FName <- if a",
        "  |            ^^^^... this is a number",
      ].join("\n"),
    );
  });

  it.each([
    ["after the final newline", "a <- b\n", 7, ["2 |", "  | ^"]],
    ["at the end of a file without a final newline", "a <- b", 6, ["1 | a <- b", "  |       ^"]],
    ["in the middle of a line", "a <- b\n", 5, ["1 | a <- b", "  |      ^"]],
  ] as const)("shows one caret for a zero-width span %s", (_name, source, offset, frame) => {
    const out = renderDiagnostic(diag(spanAt(source, offset, offset)), source, PLAIN);
    expect(out.split("\n").slice(3)).toEqual(frame);
  });

  it.each([
    ["a line past the end", { line: 99, column: 1, endLine: 99, endColumn: 2 }],
    ["a column past the end of its line", { line: 1, column: 40, endLine: 1, endColumn: 41 }],
    ["line 0", { line: 0, column: 1, endLine: 0, endColumn: 1 }],
    ["column 0", { line: 1, column: 0, endLine: 1, endColumn: 1 }],
    ["NaN", { line: Number.NaN, column: Number.NaN, endLine: Number.NaN, endColumn: Number.NaN }],
  ])("prints no frame for a span at %s", (_name, position) => {
    const span: Span = { start: 1000, end: 1001, ...position };
    const out = renderDiagnostic(diag(span, { hint: "did you mean `name`?" }), "a <- b\n", PLAIN);
    const lines = out.split("\n");
    expect(lines[0]).toBe("error[MAP2001]: unknown source field `nmae`");
    expect(lines[1]).toMatch(/^ +--> mappings\/guanyi-shops-to-kingdee-customers\.map:/);
    expect(lines.slice(2)).toEqual([expect.stringMatching(/^ += help: did you mean `name`\?$/)]);
  });

  it("prints no frame without source", () => {
    expect(renderDiagnostic(EXAMPLE, undefined, PLAIN)).toBe(
      [
        "error[MAP2001]: unknown source field `nmae`",
        "  --> mappings/guanyi-shops-to-kingdee-customers.map:24:29",
        "   = help: did you mean `name`?",
        "   = note: gy.erp.shop.get records have: id, nick, code, name, create_date, modify_date, note, type_name",
      ].join("\n"),
    );
  });

  it("sizes the gutter to the line number", () => {
    const source = "x\n".repeat(999) + "FName <- nmae\n";
    const out = renderDiagnostic(diag(spanOf(source, "nmae"), { hint: "h" }), source, PLAIN);
    expect(out.split("\n").slice(1)).toEqual([
      `    --> ${FILE}:1000:10`,
      "     |",
      "1000 | FName <- nmae",
      "     |          ^^^^",
      "     |",
      "     = help: h",
    ]);
  });

  it("handles CRLF line endings", () => {
    const source = "fields {\r\n  FName <- nmae\r\n}\r\n";
    const out = renderDiagnostic(diag(spanOf(source, "nmae")), source, PLAIN);
    expect(out).not.toContain("\r");
    expect(out.split("\n")[3]).toBe("2 |   FName <- nmae");
    expectCaretUnder(out, "nmae");
  });

  describe("very long lines", () => {
    const side = "x".repeat(2_500_000);
    const huge = `${side} nmae ${side}`; // 5 MB on one line

    it("cuts a 5 MB line around the span with … on both sides", () => {
      const started = performance.now();
      const out = renderDiagnostic(diag(spanOf(huge, "nmae")), huge, PLAIN);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(out.length).toBeLessThan(1000);
      const [sourceLine, caretLine] = out.split("\n").slice(3);
      expect(sourceLine).toMatch(/^1 \| …x+ nmae x+…$/);
      expect(displayWidth(sourceLine!)).toBeLessThanOrEqual(4 + 200 + 2);
      expect(caretLine).toMatch(/^ {2}\| +\^{4}$/);
      expectCaretUnder(out, "nmae");
    });

    it.each([
      ["at the start", "nmae " + "x".repeat(1000), /^1 \| nmae x+…$/],
      ["at the end", "x".repeat(1000) + " nmae", /^1 \| …x+ nmae$/],
      ["within Chinese text", "名x".repeat(500) + " nmae " + "名x".repeat(500), /^1 \| …[ 名x]+ nmae [名x]+…$/],
    ])("cuts only the far side when the span is %s", (_name, line, shape) => {
      const out = renderDiagnostic(diag(spanOf(line, "nmae")), line, PLAIN);
      const sourceLine = out.split("\n")[3]!;
      expect(sourceLine).toMatch(shape);
      expect(displayWidth(sourceLine)).toBeLessThanOrEqual(4 + 200 + 2);
      expectCaretUnder(out, "nmae");
    });

    it("keeps the caret line short for a span running to the end of a huge line", () => {
      const start = huge.indexOf("nmae");
      const out = renderDiagnostic(diag(spanAt(huge, start, huge.length)), huge, PLAIN);
      expect(out.length).toBeLessThan(1000);
      expectCaretUnder(out, "nmae");
    });
  });

  describe("hostile text", () => {
    const FORBIDDEN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/;
    const evil = "\x1b[2J\x1b]0;pwned\x07\r\u009b31m\u202e\ud800\n";
    const source = `fields {\n  FName <- \x1b[31mred\x07 nmae \u202eevil\ud800\n}\n`;
    const hostile = diag(spanOf(source, "nmae"), {
      message: `unknown source field \`${evil}\``,
      file: `mappings/${evil}.map`,
      label: `label ${evil}`,
      hint: `hint ${evil}`,
      notes: [`note ${evil}`],
      related: [{ message: `related ${evil}`, file: `other${evil}.map`, span: spanOf(source, "FName") }],
    });

    it("escapes control characters, bidi overrides and lone surrogates everywhere", () => {
      const out = renderDiagnostic(hostile, source, PLAIN);
      expect(out).not.toMatch(FORBIDDEN);
      expect(out).toContain("\\u{1b}[2J");
      expect(out).toContain("\\u{7}");
      expect(out).toContain("\\u{d}");
      expect(out).toContain("\\u{9b}");
      expect(out).toContain("\\u{202e}");
      expect(out).toContain("\ufffd");
      // Newlines inside texts are escaped, so the layout keeps its fixed number of lines.
      expect(out.split("\n")).toHaveLength(10);
      expectCaretUnder(out, "nmae");
    });

    it("emits only colour codes when colour is on", () => {
      const out = renderDiagnostic(hostile, source, COLOR);
      expect(out.replace(/\x1b\[\d+m/g, "")).not.toMatch(FORBIDDEN);
    });

    it("never shows a lone \\r from the source: it is a line break", () => {
      const text = "a <- b\rFName <- nmae\n";
      const out = renderDiagnostic(diag(spanOf(text, "nmae")), text, PLAIN);
      expect(out).not.toContain("\r");
      expect(out.split("\n")[3]).toBe("2 | FName <- nmae");
    });
  });

  it("finds every line of a text with \\r\\n, \\r and \\n breaks, whichever text was rendered before", () => {
    const names = ["alpha", "beta", "gamma", "delta", "eps", "zeta"];
    const text = `${names[0]}\r\n${names[1]}\r${names[2]}\n\n${names[3]}\r\n\r\n${names[4]}\r${names[5]}`;
    const other = "x\ny\nalpha beta gamma delta eps zeta\n";
    // Interleaving two texts checks that the line index follows the text it is given.
    for (const name of [...names, ...[...names].reverse()]) {
      const at = spanOf(text, name);
      const out = renderDiagnostic(diag(at), text, PLAIN).split("\n");
      expect(out[3]).toBe(`${at.line} | ${name}`);
      expect(renderDiagnostic(diag(spanOf(other, name)), other, PLAIN).split("\n")[3]).toBe("3 | alpha beta gamma delta eps zeta");
    }
    expect(renderDiagnostic(diag({ ...spanOf(text, "zeta"), line: 9 }), text, PLAIN)).not.toContain(" | ");
  });

  it("prints related locations as notes", () => {
    const source = "fields {\n  FName <- name\n  FName <- nick\n}\n";
    const first = source.indexOf("FName");
    const second = source.indexOf("FName", first + 1);
    const out = renderDiagnostic(
      diag(spanAt(source, second, second + 5), {
        code: "MAP2003",
        message: "duplicate target field `FName`",
        label: "written again here",
        related: [{ message: "first written here", file: "m.map", span: spanAt(source, first, first + 5) }],
      }),
      source,
      PLAIN,
    );
    expect(out).toBe(
      [
        "error[MAP2003]: duplicate target field `FName`",
        ` --> ${FILE}:3:3`,
        "  |",
        "3 |   FName <- nick",
        "  |   ^^^^^ written again here",
        "  |",
        "  = note: first written here",
        "    --> m.map:2:3",
      ].join("\n"),
    );
  });

  it("prints warnings as warnings", () => {
    const source = 'status | map { "0": "未开始" }\n';
    const out = renderDiagnostic(
      diag(spanOf(source, "map {", source.indexOf("}") + 1 - source.indexOf("map {")), {
        code: "MAP2015",
        severity: "warning",
        message: "value map without else",
      }),
      source,
      PLAIN,
    );
    expect(out.split("\n")).toEqual([
      "warning[MAP2015]: value map without else",
      ` --> ${FILE}:1:10`,
      "  |",
      '1 | status | map { "0": "未开始" }',
      `  |          ${"^".repeat(21)}`,
    ]);
  });

  it.each([
    ["error", EXAMPLE, "\x1b[31m"],
    ["warning", { ...EXAMPLE, code: "MAP2015" as DiagnosticCode, severity: "warning" as const }, "\x1b[33m"],
  ])("colours an %s only when asked", (_name, d, code) => {
    const plain = renderDiagnostic(d, MAPPING, PLAIN);
    const coloured = renderDiagnostic(d, MAPPING, COLOR);
    expect(plain).not.toContain("\x1b");
    expect(coloured).toContain(code);
    expect(coloured.replace(/\x1b\[\d+m/g, "")).toBe(plain);
  });
});

describe("renderSummary", () => {
  const counts = (errors: number, warnings: number, files: number, filesWithErrors: number, ms: number): SummaryCounts => ({
    errors,
    warnings,
    files,
    filesWithErrors,
    ms,
  });

  it.each([
    [counts(1, 0, 2, 1, 41), "error: 1 error in 1 file (2 files checked in 41 ms)"],
    [counts(3, 0, 5, 2, 120), "error: 3 errors in 2 files (5 files checked in 120 ms)"],
    [counts(1, 2, 2, 1, 41), "error: 1 error in 1 file, 2 warnings (2 files checked in 41 ms)"],
    [counts(2, 1, 1, 1, 7), "error: 2 errors in 1 file, 1 warning (1 file checked in 7 ms)"],
    [counts(0, 0, 2, 0, 41), "ok: 2 files checked in 41 ms"],
    [counts(0, 1, 2, 0, 41), "ok: 2 files checked in 41 ms, 1 warning"],
    [counts(0, 3, 1, 0, 41.6), "ok: 1 file checked in 42 ms, 3 warnings"],
    [counts(0, 0, 0, 0, 0), "ok: 0 files checked in 0 ms"],
    [counts(0, 0, 100, 0, 2345), "ok: 100 files checked in 2.3 s"],
  ])("%j → %s", (c, expected) => {
    expect(renderSummary(c, PLAIN)).toBe(expected);
    const coloured = renderSummary(c, COLOR);
    expect(coloured).toContain("\x1b[");
    expect(coloured.replace(/\x1b\[\d+m/g, "")).toBe(expected);
  });
});

describe("toJson", () => {
  it("has exactly the documented keys, hint null when absent", () => {
    const json = toJson(diag(EXAMPLE.span));
    expect(Object.keys(json)).toEqual([
      "code",
      "severity",
      "message",
      "file",
      "line",
      "column",
      "endLine",
      "endColumn",
      "hint",
    ]);
    expect(json.hint).toBeNull();
  });

  it("matches the EXAMPLES.md shape", () => {
    expect(JSON.parse(JSON.stringify(toJson({ ...EXAMPLE, label: undefined, notes: undefined })))).toEqual({
      code: "MAP2001",
      severity: "error",
      message: "unknown source field `nmae`",
      file: FILE,
      line: 24,
      column: 29,
      endLine: 24,
      endColumn: 33,
      hint: "did you mean `name`?",
    });
  });

  it.each([
    ["label and notes", { label: "l", notes: ["n"] }, { label: "l", notes: ["n"] }],
    ["label only", { label: "l" }, { label: "l" }],
    ["empty notes", { notes: [] }, {}],
  ])("adds %s when present", (_name, extra, expected) => {
    const json = toJson(diag(EXAMPLE.span, extra));
    expect(json).toEqual({ ...toJson(diag(EXAMPLE.span)), ...expected });
  });

  it("keeps text exact: escaping is JSON's job", () => {
    const json = toJson(diag(EXAMPLE.span, { message: "a\x1bb" }));
    expect(json.message).toBe("a\x1bb");
    expect(JSON.stringify(json)).toContain("a\\u001bb");
  });
});

describe("renderExplanation", () => {
  const codes = Object.keys(DIAGNOSTICS) as DiagnosticCode[];

  it.each(codes)("explains %s", (code) => {
    const entry = DIAGNOSTICS[code];
    const text = renderExplanation(code, PLAIN)!;
    const lines = text.split("\n");
    expect(lines[0]).toBe(`${code}: ${entry.title} (${entry.severity})`);
    expect(lines[1]).toBe("");
    expect(text.replace(/\n(?! {4})/g, " ")).toContain(entry.explanation.split(/\s+/).slice(0, 6).join(" "));
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(100);
    if ("wrong" in entry) expect(text).toContain(`Wrong:\n    ${entry.wrong.split("\n")[0]}`);
    if ("right" in entry) expect(text).toContain(`Right:\n    ${entry.right.split("\n")[0]}`);
    expect(text).not.toContain("\x1b");
  });

  it("has no duplicate titles in the catalog", () => {
    const titles = codes.map((code) => DIAGNOSTICS[code].title);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it("renders MAP2001 in full", () => {
    expect(renderExplanation("MAP2001", PLAIN)).toBe(
      [
        "MAP2001: unknown source field (error)",
        "",
        "A path in an expression does not name a field of the source record. Source records are described by",
        "the connector's catalog for the source operation; the note lists the fields they have. Fix the",
        "spelling, or quote names that are not identifiers with backticks.",
        "",
        "Wrong:",
        "    FName <- nmae",
        "",
        "Right:",
        "    FName <- name",
      ].join("\n"),
    );
  });

  it("indents every line of a multi-line example", () => {
    expect(renderExplanation("MAP2003", PLAIN)).toContain("Wrong:\n    FName <- name\n    FName <- nick");
  });

  it.each(["map2001", " MAP2001 ", "Map2001"])("looks up %j case-insensitively", (code) => {
    expect(renderExplanation(code, PLAIN)).toBe(renderExplanation("MAP2001", PLAIN));
  });

  it.each(["MAP9999", "", "nonsense", "toString", "__proto__"])("returns undefined for %j", (code) => {
    expect(renderExplanation(code, PLAIN)).toBeUndefined();
  });

  it("colours only when asked", () => {
    expect(renderExplanation("MAP2001", COLOR)).toContain("\x1b[");
    expect(renderExplanation("MAP2001", COLOR)!.replace(/\x1b\[\d+m/g, "")).toBe(renderExplanation("MAP2001", PLAIN));
  });
});

describe("many diagnostics", () => {
  const source = Array.from({ length: 300 }, (_, i) => `line${i} <- x`).join("\n");
  const at = (line: number, severity: "error" | "warning" = "error"): Diagnostic =>
    diag(spanOf(source, `line${line} `, `line${line}`.length), { severity, message: `m${line} \u2028 "q" 名\n` });

  it("shows the first hundred in source order and counts the rest by severity", () => {
    const all = [at(250, "warning"), ...Array.from({ length: 120 }, (_, i) => at(119 - i)), at(251, "warning")];
    const blocks = [...renderFileDiagnostics(all, source, PLAIN)];
    expect(blocks).toHaveLength(101);
    expect(blocks[0]).toContain(`--> ${FILE}:1:1`);
    expect(blocks[99]).toContain(`--> ${FILE}:100:1`);
    expect(blocks[100]).toBe(`… and 20 more errors and 2 more warnings in ${FILE}, not shown (the first 100 are above; \`--json\` lists every one)`);
    expect([...renderFileDiagnostics(all.slice(0, 3), source, PLAIN)]).toHaveLength(3);
  });

  it.each([0, 1, 2, 2000])("writes %i diagnostics as --json in pieces, exactly as one JSON.stringify would", (n) => {
    const all = Array.from({ length: n }, (_, i) => at(i % 300));
    const chunks = [...jsonChunks(all)];
    expect(chunks.join("")).toBe(JSON.stringify(all.map(toJson), null, 2));
    if (n === 2000) expect(chunks.length).toBeGreaterThan(1);
  });
});
