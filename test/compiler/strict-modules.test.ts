import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSource } from "../../compiler/compile.js";
import { httpFlow } from "../support/map-through.js";
import { mutate, ROOT, seed } from "../support/seeds.js";
import { typecheckFolder } from "../support/tsc.js";

const OUT = `${ROOT}test/.out/strict-modules`;

// Generated modules typecheck under a user's strict settings whatever the checker could or could not
// type: untyped values (the generic http connector) into typed fields, refs, entries, lookups, JSONata.
const FLOWS: Record<string, string> = {
  "ref-of-untyped": httpFlow(
    [
      "  a : ref <- v | ref(FNumber)",
      "  b : ref? <- (v ?? w) | ref(FNumber)",
      '  c : ref <- lookup mongo("goods", where: { "no": { $eq: no } }, find: org) | ref(FNumber)',
      '  d : ref <- jsonata "org" | ref(FNumber)',
      '  e : ref <- if v == 1 then v | ref(FNumber) else "100" | ref(FNumber)',
      '  f : ref <- v | map { "a": "1" } else "2" | ref(FNumber)',
      "  g : ref <- v",
      '  h : ref <- lookup mongo("goods", where: { "no": { $eq: no } }, find: org)',
      "  i : object <- v | ref(FNumber)",
    ].join("\n"),
  ),
  "ref-of-typed": mutate(seed("guanyi"), '<- "100" | ref(FNumber)   "创建组织"', '<- id | ref(FNumber)   "创建组织"'),
  entries: httpFlow(
    [
      "  lines : array <- each items as d {",
      "    sku : string <- d.sku",
      "    note : string? <- d.note",
      "    item.qty : int <- d.qty",
      "    item.unit : string? <- d.unit",
      "    org : ref <- d.org | ref(FNumber)",
      '    bc : string <- lookup mongo("goods", where: { "no": { $eq: d.sku } }, find: bc) else "MISS"',
      '    j : string? <- jsonata "sku"',
      "    parts : array <- each d.parts as p {",
      "      pn : string <- p.n",
      "      of : string <- d.sku",
      '      k : number? <- lookup mongo("goods", where: { "no": { $eq: p.n } }, find: n)',
      "    }",
      "    tops : array <- each parts as t { n : string? <- t.n }",
      "  }",
      '  total : number <- jsonata "$sum(items.qty)"',
    ].join("\n"),
  ),
  "typed-fields-of-untyped": httpFlow(
    [
      "  s : string <- v",
      "  n : number? <- v",
      "  i : int <- v",
      "  b : bool <- v",
      "  o : object? <- v",
      "  l : array <- v",
      "  dt : datetime? <- v",
      '  m : string <- v | map { "a": "A" } else "?"',
      '  p : string <- v + "!"',
      "  q : number <- v * 2",
      "  x <- v",
    ].join("\n"),
    'check {\n  s != "" "s"\n  n > 0 "n"\n}\n',
  ),
};

describe("generated modules under tsc --strict", () => {
  it("typecheck with zero errors for every kind of value", () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const [name, text] of Object.entries(FLOWS)) {
      const result = compileSource(text, `${name}.map`);
      expect(result.diagnostics.filter((d) => d.severity === "error"), name).toEqual([]);
      writeFileSync(`${OUT}/${name}.ts`, result.code ?? "");
    }
    expect(typecheckFolder(OUT, { noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true })).toBe("");
  });
});
