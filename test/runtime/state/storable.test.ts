import { describe, expect, it } from "vitest";
import { isUnstorable, previewOf, storableJson, UNSTORABLE } from "../../../runtime/state/storable.js";

const nested = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

describe("storableJson", () => {
  it.each([
    ["an object", { a: 1, b: [true, null, "x"] }, '{"a":1,"b":[true,null,"x"]}'],
    ["undefined", undefined, null],
    ["a string", "管易", '"管易"'],
  ])("keeps %s as JSON", (_what, value, json) => {
    expect(storableJson(value)).toBe(json);
  });

  it("keeps a placeholder for a value nested deeper than JSON.stringify recurses, marked so it is never taken for the record", () => {
    const text = storableJson({ id: 7, deep: nested(200_000) });
    const kept = JSON.parse(text!) as unknown;
    expect(isUnstorable(kept)).toBe(true);
    expect(kept).toEqual({ [UNSTORABLE]: "the record is nested too deeply to store; only its beginning is kept", preview: `{"id":7,"deep":${"[".repeat(31)}[…]${"]".repeat(31)}}` });
  });

  it("keeps integers beyond 2^53 (BigInt) with every digit", () => {
    expect(storableJson({ n: 9007199254740993n })).toBe('{"n":9007199254740993}');
  });

  it("leaves other errors to the caller (a cycle is a bug, not a record)", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => storableJson(cycle)).toThrow(TypeError);
  });
});

describe("previewOf", () => {
  it("cuts long text and wide values at 2000 characters", () => {
    expect(previewOf("x".repeat(5000))).toBe(`"${"x".repeat(1999)}…`);
    const wide = previewOf(Array.from({ length: 10_000 }, (_, i) => i));
    expect(wide.length).toBeLessThanOrEqual(2001);
    expect(wide.endsWith("…")).toBe(true);
  });

  it("shows bigint and absent members without throwing", () => {
    expect(previewOf({ a: 1n, b: undefined, c: [undefined] })).toBe('{"a":1,"c":[null]}');
  });
});
