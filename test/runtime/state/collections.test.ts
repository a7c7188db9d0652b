import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readDocuments, StoreCollections } from "../../../runtime/state/collections.js";
import { SqliteStateStore } from "../../../runtime/state/sqlite.js";

let dir: string;
let store: SqliteStateStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ferry-collections-"));
  store = SqliteStateStore.open(join(dir, "state.db"));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const goods = [
  { code: "A1", name: "螺丝", unit: { code: "PCS", name: "个" }, tags: ["metal"], active: true },
  { code: "B2", name: "Bolt", unit: { code: "KG", name: "kg" }, tags: ["metal", "heavy"], active: false },
  { code: "C3", name: "Glue", unit: { code: "L", name: "litre" }, tags: [], active: true },
];

describe("StoreCollections", () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ["$in on a top-level field", { code: { $in: ["A1", "C3", "ZZ"] } }, ["A1", "C3"]],
    ["$in on a nested path", { "unit.code": { $in: ["KG", "L"] } }, ["B2", "C3"]],
    ["a nested equality with another condition", { $and: [{ "unit.name": "个" }, { active: true }] }, ["A1"]],
    ["an array element", { tags: "heavy" }, ["B2"]],
    ["no match", { code: { $in: [] } }, []],
  ])("finds documents by %s", async (_, filter, codes) => {
    await store.loadCollection("goods", goods, true);
    const found = await new StoreCollections(store).find("goods", filter);
    expect(found.map((d) => d["code"])).toEqual(codes);
  });

  it("reads each collection once for its lifetime", async () => {
    await store.loadCollection("goods", goods, true);
    let reads = 0;
    const counting = {
      collection: (name: string) => (reads++, store.collection(name)),
      collections: () => store.collections(),
    };
    const lookups = new StoreCollections(counting);
    await Promise.all([lookups.find("goods", {}), lookups.find("goods", { code: "A1" })]);
    await store.loadCollection("goods", [{ code: "NEW" }], true);
    expect((await lookups.find("goods", {})).map((d) => d["code"])).toEqual(["A1", "B2", "C3"]);
    expect(reads).toBe(1);
    // A new object (the next run) sees the replaced collection.
    expect((await new StoreCollections(store).find("goods", {})).map((d) => d["code"])).toEqual(["NEW"]);
  });

  it("sees documents added to a collection", async () => {
    await store.loadCollection("goods", goods.slice(0, 1), true);
    await store.loadCollection("goods", goods.slice(1), false);
    expect(await new StoreCollections(store).find("goods", { active: true })).toHaveLength(2);
  });

  it("names the command that loads an unknown collection, and finds it once loaded", async () => {
    const lookups = new StoreCollections(store);
    await expect(lookups.find("units", {})).rejects.toThrow(
      'lookup collection "units" does not exist; load it with: ferry load units <file.jsonl>',
    );
    await store.loadCollection("units", [{ code: "KG" }], true);
    expect(await lookups.find("units", {})).toEqual([{ code: "KG" }]);
  });
});

describe("readDocuments", () => {
  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it.each<[string, string, string, unknown[]]>([
    ["a JSON array", "goods.json", '[{"a":1},{"b":{"c":[2]}}]', [{ a: 1 }, { b: { c: [2] } }]],
    ["a JSON object with one array", "goods.json", '{"count":2,"items":[{"a":1},{"a":2}]}', [{ a: 1 }, { a: 2 }]],
    ["an empty JSON array", "goods.json", "[]", []],
    ["JSON with a byte order mark", "goods.json", '\uFEFF[{"a":"名"}]', [{ a: "名" }]],
    ["JSON lines with blank lines and CRLF", "goods.jsonl", '{"a":1}\r\n\r\n  \n{"a":"二"}\n', [{ a: 1 }, { a: "二" }]],
    ["JSON lines without a final newline", "goods.jsonl", '{"a":1}\n{"a":2}', [{ a: 1 }, { a: 2 }]],
    ["an empty JSON lines file", "goods.jsonl", "", []],
  ])("reads %s", (_, name, text, documents) => {
    expect(readDocuments(file(name, text))).toEqual(documents);
  });

  it.each<[string, string, string, RegExp]>([
    ["a broken JSON line", "goods.jsonl", '{"a":1}\n\n{"a":\n', /goods\.jsonl:3: (Unexpected|Expected)/],
    ["a JSON line that is an array", "goods.jsonl", '{"a":1}\n[1,2]\n', /goods\.jsonl:2: a document must be a JSON object, not an array$/],
    ["a JSON line that is a number", "goods.jsonl", "7\n", /goods\.jsonl:1: a document must be a JSON object, not a number$/],
    ["a JSON line that is null", "goods.jsonl", "null\n", /goods\.jsonl:1: a document must be a JSON object, not null$/],
    ["broken JSON", "goods.json", '[\n{"a":1},\n{"a":1,}\n]', /goods\.json:3: Expected/],
    ["JSON that ends early", "goods.json", '[{"a":1}', /goods\.json(:1)?: /],
    ["a JSON array item that is a string", "goods.json", '[{"a":1},"x"]', /goods\.json: item 2 must be a JSON object, not a string$/],
    ["a JSON object with two arrays", "goods.json", '{"a":[],"b":[]}', /goods\.json: expected an array of documents, or an object with one array property, not an object with 2 array properties$/],
    ["a JSON scalar", "goods.json", "true", /goods\.json: expected an array of documents.*not a boolean$/],
    ["another kind of file", "goods.csv", "a,b\n", /goods\.csv: cannot read documents from a "\.csv" file; use \.json or \.jsonl$/],
  ])("rejects %s naming the file and line", (_, name, text, message) => {
    const path = file(name, text);
    expect(() => readDocuments(path)).toThrow(message);
    expect(() => readDocuments(path)).toThrow(path);
  });

  it("names a missing file", () => {
    expect(() => readDocuments(join(dir, "missing.jsonl"))).toThrow(`${join(dir, "missing.jsonl")}: cannot read the file (no such file)`);
  });

  it("names a folder given as the file", () => {
    mkdirSync(join(dir, "folder.jsonl"));
    expect(() => readDocuments(join(dir, "folder.jsonl"))).toThrow(`${join(dir, "folder.jsonl")}: cannot read the file (it is a folder)`);
  });
});
