import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ferry } from "../support/io.js";

const cwd = mkdtempSync(join(tmpdir(), "ferry-systems-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
mkdirSync(join(cwd, "systems"));
writeFileSync(join(cwd, "systems", "kingdee.yaml"), "extends: kingdee\noperations:\n  batchSave:\n    forms:\n      BD_Customer:\n        fields:\n          F_abc_Level: { type: string, label: 客户等级 }\n");

describe("ferry systems", () => {
  it("lists every system with where it is defined, the project's extension included", async () => {
    const run = await ferry(["systems"], { cwd });
    expect(run.code).toBe(0);
    for (const name of ["guanyi", "kingdee", "banniu", "http", "wangdiantong", "jushuitan"]) expect(run.stdout).toMatch(new RegExp(`^${name} `, "m"));
    expect(run.stdout).toMatch(/^kingdee .*ferry\/systems\/kingdee\.yaml \+ systems\/kingdee\.yaml$/m);
  });

  it("shows a system's operations, and a form's fields with labels, the tenant's own among them", async () => {
    const system = await ferry(["systems", "banniu"], { cwd });
    expect(system.stdout).toMatch(/task\.update\s+更新工单\s+.*sent as task\.batchUpdate · confirmed by task\.getTask/);
    const form = await ferry(["systems", "kingdee", "BD_Customer"], { cwd });
    expect(form.stdout).toMatch(/FCreateOrgId\s+ref\(FNumber\) \(required\)\s+创建组织/);
    expect(form.stdout).toMatch(/F_abc_Level\s+string\s+客户等级/);
  });

  it("refuses an unknown system with a did-you-mean (exit 2)", async () => {
    const run = await ferry(["systems", "guanyl"], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("did you mean `guanyi`?");
  });
});
