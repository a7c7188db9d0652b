import { readFileSync } from "node:fs";
import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { sameValue } from "../../bench/equal.js";
import { shopToCustomer, type GuanyiShop, type KingdeeCustomer } from "../../bench/handwritten.js";
import { GUANYI_JSONATA } from "../../bench/jsonata-expression.js";
import { generateShops, TYPE_NAMES } from "../../bench/records.js";
import { checkSource, compileSource } from "../../compiler/compile.js";
import { loadModule } from "../../compiler/examples.js";
import type { FlowModule, MapContext } from "../../runtime/index.js";
import { ROOT, SEED_FILES } from "../support/seeds.js";

const ctx: MapContext = {
  window: null,
  env: () => undefined,
  now: () => "2024-01-01 00:00:00",
  lookup: () => undefined,
  jsonata: () => undefined,
};

describe("bench", () => {
  it("generates the same records every time, with notes missing about a third of the time", () => {
    const a = generateShops(600);
    expect(a).toEqual(generateShops(600));
    expect(a.filter((r) => r.note == null)).toHaveLength(200);
    expect(a.some((r) => !("note" in r))).toBe(true);
    expect(a.some((r) => r.note === null)).toBe(true);
    expect(new Set(a.map((r) => r.type_name))).toEqual(new Set(TYPE_NAMES));
  });

  it("compiled, hand-written and JSONata transforms agree", async () => {
    const file = SEED_FILES.guanyi;
    const { code, diagnostics } = compileSource(readFileSync(`${ROOT}${file}`, "utf8"), file);
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const flow = loadModule(code!) as unknown as FlowModule<GuanyiShop, KingdeeCustomer>;
    const expr = jsonata(GUANYI_JSONATA);
    for (const record of generateShops(200)) {
      const compiled = flow.map(record, ctx);
      expect(sameValue(compiled, shopToCustomer(record))).toBe(true);
      expect(sameValue(compiled, await expr.evaluate(record))).toBe(true);
    }
  });

  it("compares structurally, telling an absent key from an undefined one", () => {
    expect(sameValue({ a: { b: 1 } }, Object.assign(Object.create(null) as object, { a: { b: 1 } }))).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameValue({ a: "1" }, { a: 1 })).toBe(false);
  });
});

describe("check_scale inputs", () => {
  it("a file of duplicate lines is that size, every copy after the first a MAP2003", async () => {
    const { duplicatesFile } = await import("../../bench/check-scale.js");
    const { text, lines } = duplicatesFile(20_000);
    expect(text.length).toBeGreaterThanOrEqual(20_000);
    expect(text.length).toBeLessThan(20_100);
    const codes = checkSource(text, "dup.map").diagnostics.map((d) => d.code);
    expect(codes).toEqual(Array.from({ length: lines - 1 }, () => "MAP2003"));
  });

  it("a file of valid fields checks clean", async () => {
    const { validFieldsFile } = await import("../../bench/check-scale.js");
    const result = checkSource(validFieldsFile(500), "valid.map");
    expect(result.diagnostics).toEqual([]);
    expect(result.model?.fields).toHaveLength(501);
  });
});
