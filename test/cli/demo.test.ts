import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mappingsCount, ROOT } from "../support/seeds.js";

describe("npm start (ferry demo)", () => {
  it("runs both seed flows against the sandboxes twice, saves every record once, and exits by itself", async () => {
    if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
    const child = spawn(process.execPath, [`${ROOT}bin/ferry.js`, "demo", "--out", "test/.out/demo-generated"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    // A hung demo (an open server, a held socket) never exits: the test timeout catches it.
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, output).toBe(0);
    const { files, examples } = mappingsCount();
    expect(output).toContain(`✔ checked ${files} flows, built ${files} modules into test/.out/demo-generated/, ${examples}/${examples} examples pass`);
    expect(output).toMatch(/guanyi_shops_to_kingdee_customers {2}3,000 read · \d[\d,]* written · 0 unchanged/);
    expect(output).toMatch(/banniu_task_barcodes {2}40 read · \d+ written · 0 unchanged/);
    expect(output).toMatch(/guanyi_shops_to_kingdee_customers {2}3,000 read · 0 written · [\d,]+ unchanged/);
    expect(output).toMatch(/banniu_task_barcodes {2}40 read · 0 written · \d+ unchanged/);
    expect(output).toMatch(/kingdee batchSave +30 calls/);
    expect(output).toMatch(/guanyi_orders_to_kingdee_sales_orders {2}\d+ read · \d+ written · 0 unchanged · 0 dead letters/);
    expect(output).toMatch(/kingdee_materials_to_http {2}300 read · 300 written · 0 unchanged · 0 dead letters/);
    expect(output).toMatch(/, 0 saved twice\./);
  }, 180_000);
});
