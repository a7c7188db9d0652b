import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/compile.js";
import { mutate, seed, SEED_FILES } from "../support/seeds.js";

const G: string = SEED_FILES.guanyi;

function codes(text: string, file = G) {
  return checkSource(text, file).diagnostics.map((d) => ({ code: d.code, line: d.span.line, column: d.span.column, message: d.message, hint: d.hint }));
}

describe("the seed flows", () => {
  it.each(["guanyi", "banniu"] as const)("%s checks without any diagnostic", (name) => {
    const result = checkSource(seed(name), SEED_FILES[name]);
    expect(result.diagnostics).toEqual([]);
    expect(result.model).toBeDefined();
  });

  it("resolves settings and defaults from the catalogs", () => {
    const model = checkSource(seed("banniu"), SEED_FILES.banniu).model!;
    expect(model.source).toMatchObject({
      connector: "banniu",
      operation: "task.list",
      window: { startParam: "star_created", endParam: "end_created", stepMs: 86_400_000, format: "yyyy-MM-dd HH:mm:ss" },
      page: { mode: "number", param: "page_num", from: 1, sizeParam: "page_size", size: 100 },
      records: "response.map.result",
      id: "-1",
      rate: { count: 2, perMs: 1000 },
      retry: { attempts: 3, minMs: 2000, maxMs: 8000 },
    });
    expect(model.lookups[0]).toMatchObject({ collection: "a97d423e-52f5-3d6f-9f94-39a9f43f2bd5", keyPath: "content.goodsNo", find: "content.skuBarcode" });
    const guanyi = checkSource(seed("guanyi"), G).model!;
    expect(guanyi.target).toMatchObject({ form: "BD_Customer", batch: 100, idcheck: "FNumber", options: { IsVerifyBaseDataField: true, IsAutoSubmitAndAudit: true } });
  });
});

const guanyi = seed("guanyi");
const banniu = seed("banniu");

// Each row: a one-place mistake in a seed flow, and the diagnostic it must give.
const mistakes: [string, string, string, string, string, { line: number; column: number; hint?: RegExp }][] = [
  ["misspelt source field", guanyi, "<- name ", "<- nmae ", "MAP2001", { line: 23, column: 29, hint: /did you mean `name`\?/ }],
  ["misspelt target field", guanyi, "FNumber      : string", "FNmuber      : string", "MAP2002", { line: 24, column: 3, hint: /`FNumber`/ }],
  ["duplicate target field", guanyi, "FNumber      : string  <- code", "FName        : string  <- code", "MAP2003", { line: 24, column: 3 }],
  ["unknown pipe", guanyi, "<- code ", "<- code | uppr ", "MAP2004", { line: 24, column: 36, hint: /`upper`/ }],
  ["wrong arity", guanyi, "<- code ", "<- code | substr() ", "MAP2005", { line: 24, column: 36 }],
  ["number into a string field", guanyi, "<- code ", "<- id ", "MAP2006", { line: 24, column: 29, hint: /\| string/ }],
  ["ref fed a bare string", guanyi, 'FUseOrgId    : ref     <- "100" | ref(FNumber)', 'FUseOrgId    : ref     <- "100"', "MAP2007", { line: 26, column: 29, hint: /ref\(FNumber\)/ }],
  ["unknown connector", guanyi, 'source guanyi "', 'source guanyl "', "MAP3001", { line: 5, column: 8, hint: /`guanyi`/ }],
  ["unknown operation", guanyi, '"gy.erp.shop.get"', '"gy.erp.shops.get"', "MAP3002", { line: 5, column: 15 }],
  ["unknown option", guanyi, "option IsAutoSubmitAndAudit ", "option IsAutoSubmitAudit ", "MAP3003", { line: 18, column: 10, hint: /IsAutoSubmitAndAudit/ }],
  ["option of the wrong type", guanyi, "IsVerifyBaseDataField = true", 'IsVerifyBaseDataField = "yes"', "MAP3004", { line: 17, column: 34 }],
  ["unknown form", guanyi, '"BD_Customer"', '"BD_Customr"', "MAP3005", { line: 15, column: 10, hint: /BD_Customer/ }],
  ["required field missing", guanyi, '  FCreateOrgId : ref     <- "100" | ref(FNumber)   "创建组织"\n', "", "MAP2008", { line: 22, column: 1 }],
  ["idcheck names an unmapped field", guanyi, "idcheck FNumber", "idcheck FNumbr", "MAP2009", { line: 19, column: 11 }],
  ["example key not a source field", guanyi, 'in  { id: 2, code: "md-001", name:', 'in  { id: 2, code: "md-001", nmae:', "MAP2010", { line: 48, column: 32, hint: /`name`/ }],
  ["example key not a target field", guanyi, 'FName: "南山门店"', 'FNmae: "南山门店"', "MAP2010", { line: 50, column: 5, hint: /`FName`/ }],
  ["unknown type", guanyi, "FName        : string ", "FName        : strin  ", "MAP2011", { line: 23, column: 18, hint: /`string`/ }],
  ["declared type differs from the catalog", guanyi, "FName        : string ", "FName        : int    ", "MAP2006", { line: 23, column: 18 }],
  ["window too long for Banniu", banniu, " step 1d format", " step 2d format", "MAP3010", { line: 8, column: 44 }],
  ["unknown request parameter", banniu, "window  star_created", "window  star_create", "MAP3007", { line: 8, column: 11, hint: /star_created/ }],
  ["unknown response path", guanyi, "records shops", "records shop", "MAP3008", { line: 8, column: 11, hint: /`shops`/ }],
  ["unknown function", guanyi, "<- code ", "<- upper(code) ", "MAP2012", { line: 24, column: 29, hint: /pipe/ }],
  ["window part that does not exist", banniu, 'project_id <- "27912" }', 'project_id <- window.strat }', "MAP2017", { line: 7, column: 27, hint: /`start`/ }],
  ["lookup that ignores the record", banniu, "{ $eq: `27963` }", '{ $eq: "x" }', "MAP2018", { line: 25, column: 42 }],
  ["map without else", banniu, ' else "未知状态"', "", "MAP2015", { line: 27, column: 47 }],
  ["check rule on an unwritten field", guanyi, 'FName != ""', 'FNmae != ""', "MAP2025", { line: 35, column: 3 }],
  ["window step under a second", banniu, " step 1d format", " step 1ms format", "MAP2020", { line: 8, column: 44 }],
  ["backoff of days", banniu, "backoff 2s..8s", "backoff 2s..8d", "MAP2020", { line: 14, column: 25 }],
  ["timeout of days", banniu, "retry   3 backoff 2s..8s", "retry   3 backoff 2s..8s\n  timeout 30d", "MAP2020", { line: 15, column: 11 }],
  ["bad regular expression", guanyi, "/^[A-Za-z0-9_-]+$/", "/^[A-Za-z0-9_-+$/", "MAP1007", { line: 34, column: 19 }],
];

describe("checker diagnostics", () => {
  it.each(mistakes)("%s", (_name, base, from, to, code, where) => {
    const found = codes(mutate(base, from, to), base === banniu ? SEED_FILES.banniu : G);
    const hit = found.find((d) => d.code === code);
    expect(hit, JSON.stringify(found, null, 2)).toBeDefined();
    expect({ line: hit!.line, column: hit!.column }).toEqual({ line: where.line, column: where.column });
    if (where.hint) expect(hit!.hint).toMatch(where.hint);
  });

  it("reports three independent mistakes, all three, in source order", () => {
    let text = mutate(guanyi, "<- name ", "<- nmae ");
    text = mutate(text, "<- code ", "<- code | uppr ");
    text = mutate(text, "idcheck FNumber", "idcheck FNumbr");
    const found = codes(text);
    expect(found.map((d) => d.code)).toEqual(["MAP2009", "MAP2001", "MAP2004"]);
    expect(found.map((d) => d.line)).toEqual([19, 23, 24]);
  });

  it("warns, without failing, when an optional source field feeds a required target field", () => {
    const result = checkSource(mutate(guanyi, "<- name ", "<- nick "), G);
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([["MAP2026", "warning"]]);
    expect(result.model).toBeDefined();
  });

  it("reports a file without blocks once per missing block", () => {
    expect(codes("").map((d) => d.code)).toEqual(["MAP2013", "MAP2013", "MAP2013", "MAP2013"]);
  });
});

describe("overlapping target paths (MAP2021)", () => {
  const flow = (lines: string) => `mapping m "M"\nsource http "/a" { id id }\ntarget http "/b" { idcheck k }\nfields {\n  k : string <- k\n${lines}}\n`;
  const overlaps = (lines: string) =>
    checkSource(flow(lines), "m.map").diagnostics.filter((d) => d.code === "MAP2021").map((d) => [d.span.line, d.message]);

  it.each([
    ["a nested path after its parent", "  a : string <- x\n  a.b : string <- y\n", [[7, "`a.b` and `a` overlap"]]],
    ["a parent after its nested path", "  a.b.c : string <- y\n  a : string <- x\n", [[7, "`a` and `a.b.c` overlap"]]],
    ["a middle path", "  a.b.c : string <- y\n  a.b.d : string <- y\n  a.b : string <- x\n", [[8, "`a.b` and `a.b.c` overlap"]]],
    ["siblings and look-alike names do not", "  a.b : string <- x\n  a.c : string <- x\n  ab : string <- x\n  a.bc : string <- x\n", []],
  ])("%s", (_name, lines, expected) => {
    expect(overlaps(lines)).toEqual(expected);
  });
});

describe("values that cannot be computed where they are written", () => {
  const flow = (params: string, fields: string, rules: string) =>
    `mapping m "M"\nsource http "/a" { params { ${params} }\n  window from .. to\n  id id }\ntarget http "/b" { idcheck k }\nfields {\n  k : string <- k\n  ${fields}\n}\n${rules ? `check {\n  ${rules}\n}\n` : ""}`;
  const found = (params: string, fields: string, rules = "") =>
    checkSource(flow(params, fields, rules), "m.map").diagnostics.map((d) => [d.code, d.message]);
  const LOOKUP = 'lookup mongo("g", where: { "a": { $eq: "x" | trim } }, find: b)';

  it.each([
    ["a lookup in request parameters", `p <- ${LOOKUP}`, "", "", ["MAP2029", "a lookup cannot be used here: request parameters are computed before any record is read"]],
    ["JSONata in request parameters", 'p <- jsonata "1"', "", "", ["MAP2029", "`jsonata` cannot be used here: request parameters are computed before any record is read"]],
    ["a lookup in a check rule", 'p <- "1"', "", `${LOOKUP} != null "m"`, ["MAP2029", "a lookup cannot be used here: check rules read only the mapped row"]],
    ["JSONata in a check rule", 'p <- "1"', "", 'jsonata "1" != null "m"', ["MAP2029", "`jsonata` cannot be used here: check rules read only the mapped row"]],
    ["now() in a check rule", 'p <- "1"', "", 'now() != "" "m"', ["MAP2029", "`now()` cannot be used here: check rules read only the mapped row"]],
    ["env() in a check rule", 'p <- "1"', "", 'env("X") != "" "m"', ["MAP2029", "`env()` cannot be used here: check rules read only the mapped row"]],
    ["JSONata in a lookup key", 'p <- "1"', 'x : string? <- lookup mongo("g", where: { "a": { $eq: jsonata "k" } }, find: b)', "", ["MAP2018", "a lookup's key cannot use JSONata"]],
    ["a lookup in a lookup key", 'p <- "1"', `x : string? <- lookup mongo("g", where: { "a": { $eq: ${LOOKUP} } }, find: b)`, "", ["MAP2018", "a lookup's key cannot use another lookup"]],
  ])("%s is refused", (_name, params, fields, rules, expected) => {
    expect(found(params, fields, rules)).toEqual([expected]);
  });

  it.each([
    ["the window, env() and now() in request parameters", 'p <- window.start  q <- env("X")  r <- now()', "", ""],
    ["the window, env() and now() in a lookup key", 'p <- "1"', 'x : string? <- lookup mongo("g", where: { "a": { $eq: window.start + env("X") + now() } }, find: b)', ""],
  ])("%s are fine", (_name, params, fields, rules) => {
    expect(found(params, fields, rules)).toEqual([]);
  });
});
