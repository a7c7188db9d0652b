import { describe, expect, it } from "vitest";
import { SEED_FILES, seed } from "../support/seeds.js";
import { compileFlow, httpFlow, mapThrough } from "../support/map-through.js";

// Declared field types hold at run time: a value of another type is a dead letter naming the field
// and what it got; a number becomes its decimal text in a text field; nothing else converts unasked.

/** The row a record maps to, or the reason it cannot be mapped. */
async function outcome(fields: string, record: Record<string, unknown>, collections = {}): Promise<unknown> {
  const [m] = await mapThrough(httpFlow(fields), [{ id: 1, no: "SO-1", ...record }], collections);
  if (!m) throw new Error("no outcome");
  return m.ok ? m.row : m.reason;
}

const BIG = 9007199254740993n;

describe("values of the declared type pass, lossless conversions happen, the rest are dead letters", () => {
  it.each([
    ["text into text", "  v : string <- v", "abc", { v: "abc" }],
    ["a number into text becomes its decimal text", "  v : string <- v", 12.5, { v: "12.5" }],
    ["an integer beyond 2^53 into text becomes its digits", "  v : string <- v", BIG, { v: "9007199254740993" }],
    ["an object into text", "  v : string <- v", { a: 1 }, "field v: got an object, not text (value {\"a\":1})"],
    ["a list into text", "  v : string <- v", [1], "field v: got a list, not text (value [1])"],
    ["a bool into text", "  v : string <- v", true, "field v: got a bool, not text (convert it with `| string`) (value true)"],
    ["a whole number into int", "  v : int <- v", 3, { v: 3 }],
    ["an integer beyond 2^53 into int keeps every digit", "  v : int <- v", BIG, { v: BIG }],
    ["an integer beyond 2^53 into number keeps every digit", "  v : number <- v", BIG, { v: BIG }],
    ["a fraction into int", "  v : int <- v", 2.5, "field v: got a number with a fraction, not an integer (convert it with `| int` or `| round(0)`) (value 2.5)"],
    ["text into int", "  v : int <- v", "3", "field v: got text, not an integer (convert it with `| int`) (value \"3\")"],
    ["text into number", "  v : number <- v", "3", "field v: got text, not a number (convert it with `| number`) (value \"3\")"],
    ["text converted explicitly", "  v : number <- v | number", "3", { v: 3 }],
    ["NaN into number", "  v : number <- v", Number.NaN, "field v: got NaN, not a number (value NaN)"],
    ["text into bool", "  v : bool <- v", "true", "field v: got text, not a bool (value \"true\")"],
    ["a scalar into object", "  v : object <- v", "x", "field v: got text, not an object (value \"x\")"],
    ["a list into object", "  v : object <- v", [], "field v: got a list, not an object (value [])"],
    ["text into a list", "  v : array <- v", "x", "field v: got text, not a list (value \"x\")"],
    ["an object as a reference key", "  v : ref <- v | ref(FNumber)", { a: 1 }, "field v: got an object, not a reference key (text or a number) (value {\"a\":1})"],
    ["a number as a reference key", "  v : ref <- v | ref(FNumber)", 100, { v: { FNumber: 100 } }],
    ["a reference read as data", "  v : ref <- v", { FNumber: "100" }, { v: { FNumber: "100" } }],
    ["an object without its key as a reference", "  v : ref <- v", { FName: "x" }, "field v: a reference without a FNumber of text or a number (value {\"FName\":\"x\"})"],
    ["an object into an optional text field", "  v : string? <- v", { a: 1 }, "field v: got an object, not text (value {\"a\":1})"],
    ["null into an optional text field", "  v : string? <- v", null, {}],
    ["an object as a value-map key", '  v : string <- v | map { "a": "A" } else "?"', { a: 1 }, "field v: a value map needs text or a number, got an object (value {\"a\":1})"],
    ["an object joined to text", '  v : string <- v + "!"', { a: 1 }, "field v: `+` needs text or a number, got an object (value {\"a\":1})"],
    ["an object matched", '  v : bool <- v matches /a/', { a: 1 }, "field v: `matches` needs text or a number, got an object (value {\"a\":1})"],
  ])("%s", async (_name, field, value, expected) => {
    const result = await outcome(field, { v: value });
    // Messages name the .map file, line and column of the field's expression.
    const at = `m.map:6:${field.indexOf("<- ") + 4}: `;
    expect(result).toEqual(typeof expected === "string" ? at + expected : { no: "SO-1", ...expected });
  });
});

describe("everywhere a value comes from", () => {
  it("inside each, naming the entry field", async () => {
    const result = await outcome("  lines : array <- each items as d {\n    q : int <- d.q\n  }", { items: [{ q: 1 }, { q: "2" }] });
    expect(result).toBe("m.map:7:16: field lines[].q: got text, not an integer (convert it with `| int`) (value \"2\")");
  });

  it("from a lookup", async () => {
    const field = '  v : string <- lookup mongo("goods", where: { "no": { $eq: no } }, find: bc)';
    expect(await outcome(field, {}, { goods: [{ no: "SO-1", bc: { x: 1 } }] })).toBe("m.map:6:17: field v: got an object, not text (value {\"x\":1})");
    expect(await outcome(field, {}, { goods: [{ no: "SO-1", bc: 690 }] })).toEqual({ no: "SO-1", v: "690" });
  });

  it("from JSONata", async () => {
    expect(await outcome('  v : string <- jsonata "items"', { items: [1, 2] })).toBe("m.map:6:17: field v: got a list, not text (value [1,2])");
  });

  it("from a typed source record (the Guanyi seed: FName is text in the catalog)", () => {
    const { flow } = compileFlow(seed("guanyi"), SEED_FILES.guanyi);
    const ctx = { window: null, env: () => undefined, now: () => "", lookup: () => undefined, jsonata: () => undefined };
    expect(() => flow.map({ id: 1, code: "c1", name: { zh: "店" } }, ctx)).toThrow(
      `${SEED_FILES.guanyi}:23:29: field FName: got an object, not text (value {"zh":"店"})`,
    );
    expect(() => flow.map({ id: 1, code: "c1", name: "店", type_name: ["天猫"] }, ctx)).toThrow(/field FCustTypeId: got a list, not text/);
    expect(flow.map({ id: 1, code: 1001, name: "店" }, ctx)).toMatchObject({ FNumber: "1001" });
  });
});
