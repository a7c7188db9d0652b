import { describe, expect, it } from "vitest";
import { MapError, PipeError, renderValue } from "../../runtime/errors.js";

const at = { file: "mappings/x.map", line: 24, column: 33, field: "FName" };

describe("MapError", () => {
  it("names file, line, column, field, reason and value", () => {
    const e = new MapError({ ...at, value: "abc", reason: "not a number" });
    expect(e.message).toBe('mappings/x.map:24:33: field FName: not a number (value "abc")');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("MapError");
    expect(e).toMatchObject({ ...at, value: "abc", reason: "not a number" });
  });

  it("keeps the cause", () => {
    const cause = new PipeError("not a number", "abc");
    const e = new MapError({ ...at, value: "abc", reason: cause.message }, { cause });
    expect(e.cause).toBe(cause);
  });

  it.each([
    ["客户名称", '"客户名称"'],
    [null, "null"],
    [undefined, "undefined"],
    [12.5, "12.5"],
    [Number.NaN, "NaN"],
    [-Infinity, "-Infinity"],
    [10n, "10n"],
    [true, "true"],
    [{ FNumber: "100" }, '{"FNumber":"100"}'],
    [["a", 1], '["a",1]'],
    ['say "hi"\n', '"say \\"hi\\"\\n"'],
  ])("renders %s as %s", (value, rendered) => {
    expect(renderValue(value)).toBe(rendered);
  });

  it.each([
    ["x".repeat(200), 80],
    ["测".repeat(200), 80],
    ["😀".repeat(200), 80],
    [{ big: "y".repeat(500) }, 80],
  ])("cuts long values to 80 characters (%#)", (value, max) => {
    const rendered = renderValue(value);
    const chars = Array.from(rendered);
    expect(chars).toHaveLength(max);
    expect(rendered.endsWith("…")).toBe(true);
    expect(rendered).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no half surrogate pair
    const e = new MapError({ ...at, value, reason: "too long" });
    expect(e.message).toContain(rendered);
  });

  it("leaves an 80-character rendering whole", () => {
    const value = "z".repeat(78); // 78 + two quotes
    expect(renderValue(value)).toBe(JSON.stringify(value));
  });

  it("survives values JSON cannot render", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(renderValue(cyclic)).toBe("[object Object]");
    expect(renderValue(Symbol("s"))).toBe("Symbol(s)");
    expect(new MapError({ ...at, value: cyclic, reason: "bad" }).message).toContain("(value [object Object])");
  });
});
