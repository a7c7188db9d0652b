import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseTokens, tokenize } from "../../grammar/index.js";

const seedDir = new URL("../fixtures/seeds/", import.meta.url);
const seeds = ["guanyi_shops_to_kingdee_customers.map", "banniu_task_barcodes.map"];

function errorsOf(text: string): string[] {
  return parseTokens(tokenize(text).tokens).errors.map((e) => e.message);
}

describe("parseTokens", () => {
  it.each(seeds)("parses the seed flow %s without errors", (seed) => {
    const text = readFileSync(new URL(seed, seedDir), "utf8");
    expect(errorsOf(text)).toEqual([]);
  });

  it.each([
    ["two field lines on one line", 'fields { FName <- name "客户名称"  FNumber <- code }'],
    ["soft keywords as setting values", 'source s "op" { total total id id number code records records }'],
    ["soft keywords as field targets", "fields { source <- id  target <- from  number <- in.out }"],
    ["window as a path segment", 'source s "op" { params { start <- window.start  end <- window.end } }'],
    ["soft keywords as object keys", 'example "e" { in { id: 1, from: "a", in: true } out { } }'],
    ["window options in any order", 'source s "op" { window a .. b format "f" from "2024" step 1d }'],
    ["page with a cursor path", 'source s "op" { page cursor c from resp.next size page_size 50 }'],
    ["page without from or size", 'source s "op" { page offset o }'],
    ["negative literal via unary minus", "fields { a <- -1 }"],
    ["trailing commas", 'fields { a <- f(1, 2,) | map { "a": 1, } else [1, 2,] }'],
    ["empty blocks", 'fields { } check { } source s "op" { } example "e" { }'],
    ["options of every literal kind", 'target t "op" { option A = "s" option B = 1 option C = true option D = null option E = 2s }'],
    ["an each block", "fields { FEntity : array <- each details as d { FQty : number <- d.qty } }"],
    ["if/then/else with pipes in the then branch", "fields { a <- if c then x | trim else y }"],
    ["jsonata", 'fields { a <- jsonata "$sum(items.price)" }'],
    ["calls", 'fields { a <- env("X")  b <- now() }'],
  ])("accepts %s", (_, text) => {
    expect(errorsOf(text)).toEqual([]);
  });

  it.each([
    ["missing arrow", "fields { FName name }", "expected `<-` after the target field, found `name`"],
    ["missing value at end of file", "fields { FName <- ", "expected a value, found end of file"],
    ["missing if branch", "fields { a <- if x then y }", "expected `else` (an `if` needs both branches), found `}`"],
    ["setting that does not exist", 'source s "op" { foo 1 }', "expected a setting or `}`, found `foo`"],
    ["top-level garbage", "foo", "expected a block (`mapping`, `source`, `target`, `fields`, `check` or `example`), found `foo`"],
    ["missing rule message", "check { a == b }", "expected the rule's message (a string), found `}`"],
    ["missing regex", "check { a matches }", "expected a regular expression `/…/` after `matches`, found `}`"],
    ["doubled comma", "fields { a <- f(1,,2) }", "expected a value, found `,`"],
    ["else after a pipe without a table", "fields { a <- x | default else y }", "expected a field line or `}`, found `else`"],
  ])("rejects %s with a readable message", (_, text, message) => {
    expect(errorsOf(text)[0]).toBe(message);
  });

  it("reuses one parser instance without leaking state between inputs", () => {
    expect(errorsOf("fields { a <- }")).toHaveLength(1);
    expect(errorsOf("fields { a <- b }")).toEqual([]);
  });
});
