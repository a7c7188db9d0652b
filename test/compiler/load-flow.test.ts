import { createRequire } from "node:module";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codeStamp, loadFlow } from "../../compiler/load-flow.js";
import { tsMorph } from "../../compiler/ts-morph.js";
import { mutate, seed } from "../support/seeds.js";

const scratch = mkdtempSync(join(tmpdir(), "ferry-load-flow-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ctx = { window: null, env: () => undefined, now: () => "", lookup: () => undefined, jsonata: () => undefined };

describe("loadFlow's compile cache", () => {
  const project = join(scratch, "project");
  const cache = join(scratch, "cache");
  mkdirSync(join(project, "mappings"), { recursive: true });
  writeFileSync(join(project, "mappings", "shops.map"), seed("guanyi"));

  it("finds a flow compiled from another working folder, and names the file as typed this time", async () => {
    const first = await loadFlow("mappings/shops.map", project, cache);
    expect(first.result).toBeDefined(); // compiled
    expect(readdirSync(cache)).toHaveLength(1);
    const again = await loadFlow("shops.map", join(project, "mappings"), cache);
    expect(again.result).toBeUndefined(); // from the cache
    expect(readdirSync(cache)).toHaveLength(1);
    expect(again.module?.spec.file).toBe("shops.map");
    expect(() => again.module?.map({ id: 1, code: "c" }, ctx)).toThrow(/^shops\.map:23:29: field FName: required field is null/);
    const fromFirst = await loadFlow("mappings/shops.map", project, cache);
    expect(fromFirst.module?.spec.file).toBe("mappings/shops.map");
  });

  it("compiles again when the flow's text changes", async () => {
    writeFileSync(join(project, "mappings", "shops.map"), mutate(seed("guanyi"), '"客户名称"', '"客户全称"'));
    const changed = await loadFlow("mappings/shops.map", project, cache);
    expect(changed.result).toBeDefined();
    expect(changed.module?.spec.fields[0]?.label).toBe("客户全称");
  });

  it("lets go of TypeScript after compiling, and loads it again when needed", async () => {
    writeFileSync(join(project, "mappings", "shops.map"), mutate(seed("guanyi"), '"客户名称"', '"客户名"'));
    const loaded = await loadFlow("mappings/shops.map", project, cache);
    expect(loaded.result).toBeDefined();
    const cached = Object.keys(createRequire(import.meta.url).cache).filter((id) => /[\\/]node_modules[\\/](ts-morph|typescript|@ts-morph)[\\/]/.test(id));
    expect(cached).toEqual([]);
    expect(typeof tsMorph().Project).toBe("function");
  });
});

describe("the compiler stamp", () => {
  it("changes with the compiler's code and ferry's version, not with file times", () => {
    const root = join(scratch, "ferry");
    for (const dir of ["compiler/emit", "grammar", "connectors/http", "runtime"]) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "ferry", version: "1.0.0" }));
    writeFileSync(join(root, "compiler/emit/module.js"), "emit();");
    writeFileSync(join(root, "grammar/parser.js"), "parse();");
    writeFileSync(join(root, "connectors/http/catalog.js"), "catalog();");
    writeFileSync(join(root, "runtime/ops.js"), "ops();");
    const base = codeStamp(root, ".js");
    utimesSync(join(root, "grammar/parser.js"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    writeFileSync(join(root, "runtime/ops.js"), "ops(2);"); // the runtime is not part of a compiled module
    writeFileSync(join(root, "compiler/emit/module.d.ts"), "declare const x: 1;");
    expect(codeStamp(root, ".js")).toBe(base);
    writeFileSync(join(root, "connectors/http/catalog.js"), "catalog(2);");
    const catalog = codeStamp(root, ".js");
    expect(catalog).not.toBe(base);
    writeFileSync(join(root, "compiler/emit/module.js"), "emit(2);");
    expect(codeStamp(root, ".js")).not.toBe(catalog);
    const code = codeStamp(root, ".js");
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "ferry", version: "1.0.1" }));
    expect(codeStamp(root, ".js")).not.toBe(code);
  });
});
