import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxes, type Sandboxes } from "../../connectors/sandbox/server.js";
import { readBusinessInfo } from "../../connectors/kingdee/metadata.js";
import { ferry } from "../support/io.js";
import { mutate, seed } from "../support/seeds.js";

let sandboxes: Sandboxes;
const cwd = mkdtempSync(join(tmpdir(), "ferry-pull-"));
beforeAll(async () => {
  sandboxes = await startSandboxes({ seed: 2, shops: 0, tasks: 0, materials: 0 });
  mkdirSync(join(cwd, "mappings"));
});
afterAll(async () => {
  await sandboxes.close();
  rmSync(cwd, { recursive: true, force: true });
});
const env = () => ({ ...sandboxes.env, FERRY_KINGDEE_LOGIN: "appsecret" });

/** The Guanyi→Kingdee orders example, writing a tenant's own fields of SAL_SaleOrder. */
const flow = mutate(
  mutate(readFileSync(new URL("../../mappings/examples/guanyi-orders-to-kingdee-sales-orders.map", import.meta.url), "utf8"), '  FNote        : string? <- seller_memo                          "备注"\n', '  FNote        : string? <- seller_memo                          "备注"\n  F_abc_Channel : string? <- order_type_name                    "销售渠道"\n'),
  '    FEntryNote  : string? <- d.note                              "备注"\n',
  '    FEntryNote  : string? <- d.note                              "备注"\n    F_abc_Batch : string? <- d.sku_code                          "批次说明"\n',
);

describe("ferry systems pull", () => {
  it("writes a Kingdee form's tenant fields from QueryBusinessInfo, so a flow using them checks; twice changes nothing", async () => {
    writeFileSync(join(cwd, "mappings", "orders.map"), flow);
    const before = await ferry(["check", "--json"], { cwd });
    expect(before.code).toBe(1);
    expect((JSON.parse(before.stdout) as { code: string; message: string }[]).filter((d) => d.code === "MAP2002").map((d) => d.message)).toEqual(["unknown target field `F_abc_Channel`", "unknown target field `F_abc_Batch`"]);

    const pull = await ferry(["systems", "pull", "kingdee", "--form", "SAL_SaleOrder"], { cwd, env: env() });
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toContain("wrote systems/kingdee-SAL_SaleOrder.yaml: form SAL_SaleOrder, 2 fields the other specs lack (F_abc_Channel, FSaleOrderEntry.F_abc_Batch)");
    const written = readFileSync(join(cwd, "systems", "kingdee-SAL_SaleOrder.yaml"), "utf8");
    const after = await ferry(["check"], { cwd });
    expect(after.code, after.stderr).toBe(0);

    const again = await ferry(["systems", "pull", "kingdee", "--form", "SAL_SaleOrder"], { cwd, env: env() });
    expect(again.stderr).toContain("unchanged: systems/kingdee-SAL_SaleOrder.yaml");
    expect(readFileSync(join(cwd, "systems", "kingdee-SAL_SaleOrder.yaml"), "utf8")).toBe(written);
  });

  it("writes a Banniu project's columns from column.list, named and typed in task rows and updates", async () => {
    // The seed flow with its columns written by their titles: refused until the project's columns are pulled.
    const byTitle = mutate(mutate(seed("banniu"), "contents.`101297`", "contents.`商品条码`"), "{ $eq: `27963` }", "{ $eq: `货号` }");
    writeFileSync(join(cwd, "mappings", "orders.map"), byTitle);
    expect((await ferry(["check"], { cwd })).code).toBe(1);
    const pull = await ferry(["systems", "pull", "banniu", "--project", "27912"], { cwd, env: env() });
    expect(pull.code, pull.stderr).toBe(0);
    const shown = await ferry(["systems", "banniu", "task.list"], { cwd });
    expect(shown.stdout).toMatch(/"?27963"?\s+string\s+货号/);
    // Now the titles name the columns, and the module reads and writes the column ids.
    const checked = await ferry(["check"], { cwd });
    expect(checked.code, checked.stderr).toBe(0);
    const built = await ferry(["build", "mappings", "--out", "generated"], { cwd });
    expect(built.code).toBe(0);
    const module = readFileSync(join(cwd, "generated", "orders.ts"), "utf8");
    expect(module).toContain('"target": "contents.101297"');
    expect(module).toContain('src["27963"]');
    expect((await ferry(["test"], { cwd })).code).toBe(0);
    // The seed flow's ids still check, and a misspelt column id is still refused.
    writeFileSync(join(cwd, "mappings", "orders.map"), seed("banniu"));
    expect((await ferry(["check"], { cwd })).code).toBe(0);
    writeFileSync(join(cwd, "mappings", "orders.map"), mutate(seed("banniu"), "`27970` | map", "`27970x` | map"));
    expect((await ferry(["check"], { cwd })).code).toBe(1);
  });

  it("says what it needs, and refuses what it cannot pull (exit 2)", async () => {
    expect((await ferry(["systems", "pull", "kingdee"], { cwd, env: env() })).stderr).toContain("needs --form");
    expect((await ferry(["systems", "pull", "guanyi"], { cwd, env: env() })).code).toBe(2);
    expect((await ferry(["systems", "pull", "kingdee", "--form", "SAL_SaleOrder"], { cwd, env: {} })).code).toBe(2);
  });
});

describe("reading QueryBusinessInfo answers", () => {
  it("is defensive about their shape: other wrappers, plain names, missing keys", () => {
    const form = readBusinessInfo(
      { NeedReturnData: [{ Id: "X", Name: "表单", Entities: [{ Key: "FBillHead", EntityType: "head", Fields: [{ Key: "F_a", Name: "甲", ElementType: "DecimalField" }, { Name: "no key" }, "junk"] }, { Key: "FEntity", Fields: [{ FieldName: "F_b", LookUpObjectFormId: "BD_MATERIAL", MustInput: "1" }] }] }] },
      "X",
    );
    expect(form).toEqual({ id: "X", title: "表单", fields: [{ name: "F_a", type: "number", label: "甲" }], entries: [{ key: "FEntity", label: undefined, fields: [{ name: "F_b", type: "ref", refKey: "FNumber", required: true }] }] });
    expect(() => readBusinessInfo({ Result: { ResponseStatus: { IsSuccess: true } } }, "X")).toThrow(/no entities/);
  });
});

describe("ferry systems sample", () => {
  it("reads one page, proposes a record schema and compares what came with the spec", async () => {
    const run = await ferry(["systems", "sample", "guanyi", "gy.erp.shop.get", "--param", "page_size=20"], { cwd, env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("guanyi gy.erp.shop.get: 0 records read");
    const full = await startSandboxes({ seed: 4, shops: 30, tasks: 0, materials: 0 });
    try {
      const sample = await ferry(["systems", "sample", "guanyi", "gy.erp.shop.get", "--param", "page_size=20"], { cwd, env: full.env });
      expect(sample.stderr).toContain("20 records read");
      expect(sample.stdout).toMatch(/^ {4}code: \{ type: string, required: true \}$/m);
      expect(sample.stderr).toContain("against the spec: no drift in 20 records looked at");
    } finally {
      await full.close();
    }
  });
});
