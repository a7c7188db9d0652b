import { describe, expect, it } from "vitest";
import { proposeFields, schemaYaml } from "../../runtime/propose-schema.js";

describe("a record schema proposed from records", () => {
  it("takes every key, the widest type seen, whether it always came, and nested rows", () => {
    const fields = proposeFields([
      { id: 1, code: "A", amount: 2, created: "2024-09-01 10:00:00", lines: [{ sku: "S1", qty: 1 }] },
      { id: 2, code: "B", amount: 2.5, note: "x", lines: [{ sku: "S2", qty: 2, gift: true }] },
    ]);
    expect(fields).toEqual([
      { name: "id", type: "int", always: true },
      { name: "code", type: "string", always: true },
      { name: "amount", type: "number", always: true },
      { name: "created", type: "datetime", always: false },
      { name: "lines", type: "array", always: true, fields: [{ name: "sku", type: "string", always: true }, { name: "qty", type: "int", always: true }, { name: "gift", type: "bool", always: false }] },
      { name: "note", type: "string", always: false },
    ]);
    expect(schemaYaml(fields, "")).toContain('lines:\n  type: array\n  required: true\n  fields:\n    sku: { type: string, required: true }\n');
  });

  it("keeps keys that are data quoted, and reads text of mixed kinds as text", () => {
    const fields = proposeFields([{ "27963": "G1" }, { "27963": 5 }]);
    expect(fields).toEqual([{ name: "27963", type: "string", always: true }]);
    expect(schemaYaml(fields, "  ")).toBe('  "27963": { type: string, required: true }\n');
  });
});
