import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ferry } from "../support/io.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project folder with `files` (paths relative to it). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "ferry-project-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A tenant's own field on a built-in form, and an operation Guanyi's built-in spec lacks. */
const TENANT = `# yaml-language-server: $schema=../node_modules/ferry/systems/system.schema.json
extends: kingdee
operations:
  batchSave:
    forms:
      BD_Customer:
        fields:
          F_abc_Level: { type: string, label: 客户等级 }
`;

const SHOP = `system: shop
title: 小店
protocol: http
defaults:
  retry: { attempts: 3, backoff: 1s..30s }
  timeout: 10s
operations:
  /orders:
    kind: read
    description: the shop's orders
    anyParams: true
    record:
      fields:
        id: { type: int, required: true, label: 订单号 }
        buyer: { type: string, label: 买家 }
        level: { type: string, label: 等级 }
    response: { records: data.orders }
`;

const FLOW = `mapping shop_orders_to_customers "订单买家同步为金蝶客户"

source shop "/orders" {
  records data.orders
  id      id
}

target kingdee "batchSave" {
  form    "BD_Customer"
  idcheck FNumber
}

fields {
  FName        : string <- buyer                 "客户名称"
  FNumber      : string <- id | string           "客户编码"
  FCreateOrgId : ref    <- "100" | ref(FNumber)  "创建组织"
  F_abc_Level  : string <- level                 "客户等级"
}
`;

describe("a project's own systems/ folder", () => {
  it("adds a system and a tenant's custom Kingdee field: the flow using both checks", async () => {
    const cwd = project({ "systems/kingdee.yaml": TENANT, "systems/shop.yaml": SHOP, "mappings/orders.map": FLOW });
    const run = await ferry(["check"], { cwd });
    expect(run.stderr).not.toContain("error[");
    expect(run.code, run.stderr).toBe(0);
  });

  it("without it, the same flow is refused where it uses what the project defines", async () => {
    const cwd = project({ "mappings/orders.map": FLOW });
    const run = await ferry(["check", "--json"], { cwd });
    expect(run.code).toBe(1);
    const codes = (JSON.parse(run.stdout) as { code: string }[]).map((d) => d.code);
    expect(codes).toContain("MAP3001");
  });

  it("reports a typo in a spec file with its code and a code frame in the spec, and a did-you-mean", async () => {
    const cwd = project({ "systems/kingdee.yaml": TENANT, "systems/shop.yaml": SHOP.replace("type: string, label: 买家", "type: strnig, label: 买家"), "mappings/orders.map": FLOW });
    const run = await ferry(["check"], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error[MAP5002]");
    expect(run.stderr).toContain("--> systems/shop.yaml:15:");
    expect(run.stderr).toContain("buyer: { type: strnig, label: 买家 }");
    expect(run.stderr).toContain("did you mean `string`?");
  });

  it("refuses to change what a built-in spec defines, pointing at both", async () => {
    const cwd = project({ "systems/kingdee.yaml": TENANT.replace("F_abc_Level: { type: string, label: 客户等级 }", "FName: { type: int }"), "mappings/orders.map": FLOW });
    const run = await ferry(["check", "--json"], { cwd });
    const spec = (JSON.parse(run.stdout) as { code: string; file: string; message: string; line: number }[]).find((d) => d.file === "systems/kingdee.yaml");
    expect(spec).toMatchObject({ code: "MAP5004", line: 8, message: expect.stringMatching(/field `FName` is already defined in .*kingdee\.yaml:\d+:\d+/) });
  });
});
