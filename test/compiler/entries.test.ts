import { describe, expect, it } from "vitest";
import type * as A from "../../compiler/ast.js";
import { checkSource } from "../../compiler/compile.js";
import { runExamples } from "../../compiler/examples.js";
import { Reporter } from "../../compiler/check/context.js";
import { ExprChecker } from "../../compiler/check/expr.js";
import { FieldsChecker } from "../../compiler/check/fields.js";
import { parseMapFile } from "../../compiler/parse.js";
import type { RecordSchema } from "../../connectors/catalog.js";
import { httpFlow, rowsOf } from "../support/map-through.js";

// Entry tables (`each`): everything a field line can do at the top level works inside `each`, at any
// depth, through the generated module and the runtime's mapper, as `ferry run` maps records.

const ORDER = {
  id: 1,
  no: "SO-1",
  parts: [{ n: "TOP" }],
  items: [
    { sku: "A", note: "first", qty: 2, parts: [{ n: "a1" }, { n: "a2" }] },
    { sku: "B", qty: 3, parts: [] },
  ],
};

describe("optional fields inside each", () => {
  it("are set when they have a value and left out when null", async () => {
    const [row] = await rowsOf(
      httpFlow(`  lines : array <- each items as d {\n    sku : string <- d.sku\n    note : string? <- d.note\n  }`),
      [ORDER],
    );
    expect(row).toEqual({ no: "SO-1", lines: [{ sku: "A", note: "first" }, { sku: "B" }] });
  });

  it("nest under their entry's paths, optional ones too", async () => {
    const [row] = await rowsOf(
      httpFlow(`  lines : array <- each items as d {\n    item.sku : string <- d.sku\n    item.note : string? <- d.note\n  }`),
      [ORDER],
    );
    expect(row).toEqual({ no: "SO-1", lines: [{ item: { sku: "A", note: "first" } }, { item: { sku: "B" } }] });
  });
});

describe("lookups inside each", () => {
  const GOODS = { goods: [{ no: "A", bc: "690-A" }, { no: "B", bc: "690-B" }] };

  it("find each entry's document, one query for the page", async () => {
    const [row] = await rowsOf(
      httpFlow(
        `  lines : array <- each items as d {\n    bc : string <- lookup mongo("goods", where: { "no": { $eq: d.sku } }, find: bc) else "MISS"\n  }`,
      ),
      [ORDER],
      GOODS,
    );
    expect(row).toEqual({ no: "SO-1", lines: [{ bc: "690-A" }, { bc: "690-B" }] });
  });

  it("fall back to else only for entries that find nothing", async () => {
    const [row] = await rowsOf(
      httpFlow(`  lines : array <- each items as d {\n    bc : string <- lookup mongo("goods", where: { "no": { $eq: d.sku } }, find: bc) else "MISS"\n  }`),
      [ORDER],
      { goods: [{ no: "B", bc: "690-B" }] },
    );
    expect(row).toEqual({ no: "SO-1", lines: [{ bc: "MISS" }, { bc: "690-B" }] });
  });

  it("work in nested each, alongside a lookup of the record", async () => {
    const [row] = await rowsOf(
      httpFlow(
        [
          `  shop : string? <- lookup mongo("goods", where: { "no": { $eq: no } }, find: bc)`,
          `  lines : array <- each items as d {`,
          `    parts : array <- each d.parts as p {`,
          `      bc : string <- lookup mongo("goods", where: { "no": { $eq: p.n } }, find: bc) else d.sku`,
          `    }`,
          `  }`,
        ].join("\n"),
      ),
      [ORDER],
      { goods: [{ no: "a2", bc: "690-a2" }, { no: "SO-1", bc: "shop-1" }] },
    );
    expect(row).toEqual({ no: "SO-1", shop: "shop-1", lines: [{ parts: [{ bc: "A" }, { bc: "690-a2" }] }, { parts: [] }] });
  });

  it("may key by the run's context (now(), env(), the window), at the top level and in entries", async () => {
    const [row] = await rowsOf(
      httpFlow(
        `  today : string? <- lookup mongo("goods", where: { "no": { $eq: now() } }, find: bc)\n  lines : array <- each items as d {\n    t : string? <- lookup mongo("goods", where: { "no": { $eq: d.sku + now() } }, find: bc)\n  }`,
      ),
      [ORDER],
      { goods: [{ no: "2024-01-01 00:00:00", bc: "today" }, { no: "B2024-01-01 00:00:00", bc: "B today" }] },
    );
    expect(row).toEqual({ no: "SO-1", today: "today", lines: [{}, { t: "B today" }] });
  });

  it("keep the keys of other lookups when one entry's key cannot be computed", async () => {
    const [row] = await rowsOf(
      httpFlow(
        [
          `  shop : string? <- lookup mongo("goods", where: { "no": { $eq: no } }, find: bc)`,
          `  lines : array <- each items as d {`,
          `    q : string <- if d.qty == 3 then "three" else (lookup mongo("goods", where: { "no": { $eq: d.sku | number } }, find: bc) ?? "none")`,
          `  }`,
        ].join("\n"),
      ),
      [{ id: 1, no: "SO-1", items: [{ sku: "x", qty: 3 }] }],
      { goods: [{ no: "SO-1", bc: "shop-1" }] },
    );
    expect(row).toEqual({ no: "SO-1", shop: "shop-1", lines: [{ q: "three" }] });
  });
});

describe("jsonata inside each", () => {
  it("evaluates against the entry, not the record", async () => {
    const [row] = await rowsOf(
      httpFlow(`  total : number <- jsonata "$sum(items.qty)"\n  lines : array <- each items as d {\n    j : string <- jsonata "sku & '-' & $string(qty)"\n  }`),
      [ORDER],
    );
    expect(row).toEqual({ no: "SO-1", total: 5, lines: [{ j: "A-2" }, { j: "B-3" }] });
  });

  it("evaluates against the innermost entry in nested each", async () => {
    const [row] = await rowsOf(
      httpFlow(`  lines : array <- each items as d {\n    parts : array <- each d.parts as p {\n      j : string <- jsonata "$uppercase(n)"\n    }\n  }`),
      [ORDER],
    );
    expect(row).toEqual({ no: "SO-1", lines: [{ parts: [{ j: "A1" }, { j: "A2" }] }, { parts: [] }] });
  });
});

describe("nested each", () => {
  it("walks the entry's list, not the record's list of the same name", async () => {
    const [row] = await rowsOf(
      httpFlow(`  lines : array <- each items as d {\n    sku : string <- d.sku\n    parts : array <- each d.parts as p {\n      pn : string <- p.n\n      of : string <- d.sku\n    }\n  }`),
      [ORDER],
    );
    expect(row).toEqual({
      no: "SO-1",
      lines: [
        { sku: "A", parts: [{ pn: "a1", of: "A" }, { pn: "a2", of: "A" }] },
        { sku: "B", parts: [] },
      ],
    });
  });

  it("can walk a list of the record from inside an entry", async () => {
    const [row] = await rowsOf(
      httpFlow(`  lines : array <- each items as d {\n    tops : array <- each parts as p {\n      pn : string <- p.n\n      sku : string <- d.sku\n    }\n  }`),
      [ORDER],
    );
    expect(row).toEqual({ no: "SO-1", lines: [{ tops: [{ pn: "TOP", sku: "A" }] }, { tops: [{ pn: "TOP", sku: "B" }] }] });
  });
});

describe("paths through a list", () => {
  it.each([
    ["a path through the list an each walks", `  lines : array <- each items as d {\n    sku : string <- items.sku\n  }`, 7, 27],
    ["a [] segment in a source path", `  sku : string <- items[].sku`, 6, 19],
    ["a [] segment in a target path", `  lines[].sku : string <- no`, 6, 3],
  ])("are refused with MAP2028: %s", (_name, fields, line, column) => {
    const found = checkSource(httpFlow(fields), "m.map").diagnostics.filter((d) => d.code === "MAP2028");
    expect(found.map((d) => [d.span.line, d.span.column])).toEqual([[line, column]]);
  });

  it.each([
    ["a lookup key", `  lines : array <- each items as d {\n    bc : string? <- lookup mongo("goods", where: { "no": { $eq: items.sku } }, find: bc)\n  }`],
    ["a nested each's path through its outer element's list", `  lines : array <- each items as d {\n    parts : array <- each d.parts as p {\n      n : string <- d.parts.n\n    }\n  }`],
    ["an each over a path through a list", `  lines : array <- each items as d {\n    parts : array <- each items.parts as p {\n      n : string <- p.n\n    }\n  }`],
    ["a field beside the each that walks the list", `  lines : array <- each details as d {\n    code : string <- d.item_code\n  }\n  first : string <- details.item_code`],
    ["a field of an entry beside the nested each", `  lines : array <- each items as d {\n    n : string? <- d.parts.n\n    parts : array <- each d.parts as p { pn : string <- p.n }\n  }`],
    ["a field before the each that walks the list", `  first : string <- details.item_code\n  lines : array <- each details as d {\n    code : string <- d.item_code\n  }`],
  ])("are refused in %s too", (_name, fields) => {
    expect(checkSource(httpFlow(fields), "m.map").diagnostics.map((d) => d.code)).toEqual(["MAP2028"]);
  });

  it("read through a list the catalog describes are refused, while each reads its elements typed", () => {
    const schema: RecordSchema = {
      title: "orders",
      fields: [{ name: "details", type: "array", fields: [{ name: "item_code", type: "string", required: true }] }],
    };
    const text = `mapping m "M"\nsource http "/o" { id id }\ntarget http "/s" { idcheck no }\nfields {\n  a <- details.item_code\n  b <- each details as d { c <- d.item_code }\n}\n`;
    const file = parseMapFile(text, "m.map").value;
    const fields = file.items.find((i): i is A.FieldsBlock => i.kind === "fields")?.fields ?? [];
    const reporter = new Reporter("m.map");
    const checker = new FieldsChecker(reporter, new ExprChecker(reporter), schema, false);
    const checked = checker.checkBlock({ kind: "fields", fields, span: file.span }, undefined);
    expect(reporter.diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([["MAP2028", 5, 8]]);
    const each = checked[1]?.value;
    expect(each?.k === "each" && each.fields[0]?.type.base).toBe("string");
  });
});

describe("examples of entry tables", () => {
  it("run through the same lookups and JSONata as a run (ferry test)", async () => {
    const text = httpFlow(
      `  lines : array <- each items as d {\n    bc : string <- lookup mongo("goods", where: { "no": { $eq: d.sku } }, find: bc) else "MISS"\n    j : string <- jsonata "$uppercase(sku)"\n    note : string? <- d.note\n  }`,
      [
        'example "two lines" {',
        '  given mongo("goods") [ { no: "a", bc: "690-a" } ]',
        '  in  { no: "SO-1", items: [ { sku: "a", note: "n" }, { sku: "b" } ] }',
        '  out { no: "SO-1", lines: [ { bc: "690-a", j: "A", note: "n" }, { bc: "MISS", j: "B" } ] }',
        "}",
      ].join("\n"),
    );
    const model = checkSource(text, "m.map").model;
    expect(model).toBeDefined();
    const [result] = await runExamples(model!);
    expect(result).toMatchObject({ passed: true, differences: [] });
  });
});
