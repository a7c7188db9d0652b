import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentHash, stableJson } from "../../../runtime/run/hash.js";

/** The definition stableJson implements: sorted entries, `undefined` members dropped. */
function reference(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
}

/** The same object with its keys inserted in reverse order. */
function reversed(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(reversed);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).reverse().map(([k, v]) => [k, reversed(v)]));
}

const rows = fc.jsonValue().chain((v) => fc.constantFrom(v, { wrapped: v, dropped: undefined, "10": 1, "9": [undefined, v] }));

describe("stableJson", () => {
  it("matches the definition: sorted keys, undefined members dropped", () => {
    fc.assert(
      fc.property(rows, (row) => {
        expect(stableJson(row)).toBe(reference(row));
      }),
    );
  });

  it("is valid JSON for the same content and ignores key order", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (row) => {
        expect(JSON.parse(stableJson(row))).toEqual(JSON.parse(JSON.stringify(row)));
        expect(stableJson(reversed(row))).toBe(stableJson(row));
      }),
    );
  });
});

describe("contentHash", () => {
  it("keeps the hashes already stored in write records (32 hex digits of SHA-256)", () => {
    // Changing this value would make every row look changed after an upgrade.
    expect(contentHash({ name: "客户", code: "S1", note: null, n: 1.5, tags: ["a", { z: 1, a: undefined }] })).toBe("98ad8c05328c9a133b78998742ad36a2");
  });

  it("differs when content differs and not when key order does", () => {
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(contentHash({ a: 1, b: 2 })).not.toBe(contentHash({ a: 1, b: 3 }));
  });
});
