import { describe, expect, it } from "vitest";
import { FieldStats } from "../../runtime/quality.js";

describe("FieldStats", () => {
  it.each([
    { name: "a present value", row: { a: "x" }, nulls: 0, empties: 0 },
    { name: "an absent field", row: {}, nulls: 1, empties: 0 },
    { name: "null", row: { a: null }, nulls: 1, empties: 0 },
    { name: "undefined", row: { a: undefined }, nulls: 1, empties: 0 },
    { name: "an empty string", row: { a: "" }, nulls: 0, empties: 1 },
    { name: "a blank but non-empty string", row: { a: " " }, nulls: 0, empties: 0 },
    { name: "an empty array", row: { a: [] }, nulls: 0, empties: 1 },
    { name: "an empty object", row: { a: {} }, nulls: 0, empties: 1 },
    { name: "an object without prototype and keys", row: { a: Object.create(null) as object }, nulls: 0, empties: 1 },
    { name: "a Date (no keys, but data)", row: { a: new Date(0) }, nulls: 0, empties: 0 },
    { name: "zero", row: { a: 0 }, nulls: 0, empties: 0 },
    { name: "false", row: { a: false }, nulls: 0, empties: 0 },
    { name: "a non-empty array", row: { a: [null] }, nulls: 0, empties: 0 },
    { name: "a row that is not an object", row: "text", nulls: 1, empties: 0 },
    { name: "a null row", row: null, nulls: 1, empties: 0 },
    { name: "an inherited name is not a value", row: Object.create({ a: 1 }) as object, nulls: 1, empties: 0 },
  ])("counts $name", ({ row, nulls, empties }) => {
    const stats = new FieldStats(["a"]);
    stats.observe(row);
    expect(stats.snapshot()).toEqual([{ field: "a", rows: 1, nulls, empties }]);
  });

  it.each([
    { path: "contents.101297", row: { contents: { "101297": "码" } }, nulls: 0, empties: 0 },
    { path: "contents.101297", row: { contents: { "101297": "" } }, nulls: 0, empties: 1 },
    { path: "contents.101297", row: { contents: {} }, nulls: 1, empties: 0 },
    { path: "contents.101297", row: { contents: null }, nulls: 1, empties: 0 },
    { path: "contents.101297", row: { contents: "flat" }, nulls: 1, empties: 0 },
    { path: "constructor", row: {}, nulls: 1, empties: 0 },
  ])("follows the dotted target path $path in $row", ({ path, row, nulls, empties }) => {
    const stats = new FieldStats([{ target: path }]);
    stats.observe(row);
    expect(stats.snapshot()).toEqual([{ field: path, rows: 1, nulls, empties }]);
  });

  it("counts rows and each field apart, in the order of spec.fields", () => {
    const stats = new FieldStats([{ target: "FName" }, { target: "FNumber" }, { target: "FDescription" }, { target: "FName" }]);
    const rows = [
      { FName: "客户", FNumber: "C1", FDescription: null },
      { FName: "", FNumber: "C2" },
      { FName: "客户三", FNumber: "C3", FDescription: "备注" },
      { FNumber: "" },
    ];
    for (const r of rows) stats.observe(r);
    expect(stats.rows).toBe(4);
    expect(stats.snapshot()).toEqual([
      { field: "FName", rows: 4, nulls: 1, empties: 1 },
      { field: "FNumber", rows: 4, nulls: 0, empties: 1 },
      { field: "FDescription", rows: 4, nulls: 3, empties: 0 },
    ]);
  });

  it("gives zero counts before any row, and a snapshot is a copy", () => {
    const stats = new FieldStats(["a"]);
    const before = stats.snapshot();
    expect(before).toEqual([{ field: "a", rows: 0, nulls: 0, empties: 0 }]);
    stats.observe({});
    expect(before[0]?.rows).toBe(0);
  });

  it("keeps up with a million rows", () => {
    const stats = new FieldStats(["a", "b.c", "d"]);
    const row = { a: "x", b: { c: "" }, d: null };
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) stats.observe(row);
    // Generous bound for slow CI machines; it takes ~20 ms on a laptop.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(stats.snapshot()).toEqual([
      { field: "a", rows: 1e6, nulls: 0, empties: 0 },
      { field: "b.c", rows: 1e6, nulls: 0, empties: 1e6 },
      { field: "d", rows: 1e6, nulls: 1e6, empties: 0 },
    ]);
  });
});
