import { describe, expect, it } from "vitest";
import type { RecordSchema } from "../../connectors/catalog.js";
import { describeDrift, DriftTracker, hasDrift } from "../../runtime/drift.js";

const schema: RecordSchema = {
  title: "orders",
  fields: [
    { name: "id", type: "int", required: true },
    { name: "code", type: "string" },
    { name: "amount", type: "number" },
    { name: "note", type: "string" },
    { name: "details", type: "array", fields: [{ name: "qty", type: "number" }, { name: "sku", type: "string" }] },
  ],
};

const order = (i: number, extra: Record<string, unknown> = {}) => ({ id: i, code: `C${i}`, amount: "12.50", note: "x", details: [{ qty: 1, sku: "S" }], ...extra });

describe("drift", () => {
  it("finds nothing when records are what the spec says (numbers as text included)", () => {
    const drift = new DriftTracker(schema);
    for (let i = 0; i < 50; i++) drift.observe(order(i));
    const report = drift.report();
    expect(hasDrift(report)).toBe(false);
    expect(describeDrift(report)).toBe("no drift in 50 records looked at");
  });

  it("reports fields the spec lacks, nested ones included, with how often they came", () => {
    const drift = new DriftTracker(schema);
    for (let i = 0; i < 30; i++) drift.observe(order(i, { vip: i % 2 === 0 ? "gold" : undefined, details: [{ qty: 1, sku: "S", lot: "L1" }] }));
    const report = drift.report();
    expect(report.unknown).toEqual([
      { path: "details[].lot", count: 30, type: "string" },
      { path: "vip", count: 15, type: "string" },
    ]);
  });

  it("reports declared fields that never came, once enough records were seen", () => {
    const few = new DriftTracker(schema);
    for (let i = 0; i < 5; i++) few.observe({ id: i });
    expect(few.report().missing).toEqual([]);
    const many = new DriftTracker(schema);
    for (let i = 0; i < 40; i++) many.observe({ id: i, code: "c", amount: 1, details: [{ qty: 1 }] });
    expect(many.report().missing).toEqual([
      { path: "note", required: false },
      { path: "details[].sku", required: false },
    ]);
  });

  it("reports a change of kind, not text standing in for a number", () => {
    const drift = new DriftTracker(schema);
    for (let i = 0; i < 25; i++) drift.observe(order(i, { id: `A-${i}`, details: "none" }));
    const report = drift.report();
    expect(report.typeChanges).toEqual([
      { path: "id", declared: "int", got: "string", count: 25 },
      { path: "details", declared: "array", got: "string", count: 25 },
    ]);
    expect(describeDrift(report)).toContain("2 type changes (id: int → string, details: array → string)");
  });

  it("accepts keys that are data (Banniu column ids) and says nothing for schemaless systems", () => {
    const banniu = new DriftTracker({ title: "tasks", fields: [{ name: "-1", type: "int", required: true }], openKeys: { pattern: "^[0-9]+$", type: "string", description: "columns" } });
    for (let i = 0; i < 30; i++) banniu.observe({ "-1": i, "27963": "G1", oops: 1 });
    expect(banniu.report().unknown.map((u) => u.path)).toEqual(["oops"]);
    const http = new DriftTracker({ title: "any", fields: [], openKeys: { pattern: "^.+$", type: "any", description: "any" } });
    expect(http.active).toBe(false);
  });

  it("looks at a sample of long runs and keeps its report bounded", () => {
    const drift = new DriftTracker(schema);
    for (let i = 0; i < 100_000; i++) drift.observe(order(i, { [`k${i % 500}`]: 1 }));
    const report = drift.report();
    let expected = 1000;
    for (let n = 1000; n < 100_000; n++) if (n % 16 === 0) expected++;
    expect(report.sampled).toBe(expected);
    expect(report.unknown.length).toBe(50);
  });
});
