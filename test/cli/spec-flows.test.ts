import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxes, type Sandboxes } from "../../connectors/sandbox/server.js";
import { ferry } from "../support/io.js";

let sandboxes: Sandboxes;
let state: string;
beforeAll(async () => {
  sandboxes = await startSandboxes({ seed: 5, shops: 50, tasks: 0 });
  state = mkdtempSync(join(tmpdir(), "ferry-spec-flows-"));
});
afterAll(async () => {
  await sandboxes.close();
  rmSync(state, { recursive: true, force: true });
});

const env = () => ({ ...sandboxes.env, FERRY_STATE_DIR: state, FERRY_KINGDEE_LOGIN: "appsecret" });

describe("a flow over operations and forms that only the specs describe", () => {
  const flow = "mappings/examples/guanyi-orders-to-kingdee-sales-orders.map";

  it("checks and passes its examples", async () => {
    expect((await ferry(["check", flow])).code).toBe(0);
    expect((await ferry(["test", flow])).code).toBe(0);
  });

  it("runs Guanyi orders into Kingdee sales orders with their lines, each order saved once", async () => {
    const first = await ferry(["run", flow], { env: env() });
    expect(first.code, first.stderr).toBe(0);
    const orders = sandboxes.kingdee.rows("SAL_SaleOrder");
    expect(orders.size).toBeGreaterThan(10);
    for (const [number, order] of orders) {
      expect(sandboxes.kingdee.savesOf("SAL_SaleOrder", number), number).toBe(1);
      expect((order.FSaleOrderEntry as unknown[]).length).toBeGreaterThan(0);
    }
    // Again over the same window: every order is unchanged, none saved twice.
    const again = await ferry(["run", flow, "--from", first.stderr.match(/window (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/)![1]!], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`${orders.size} read · 0 written · ${orders.size} unchanged`));
    expect([...orders.keys()].every((n) => sandboxes.kingdee.savesOf("SAL_SaleOrder", n) === 1)).toBe(true);
  });
});

describe("the two systems written only as specs", () => {
  it.each([
    ["wangdiantong", "trade_query", "trades", "trade_id", "start_time .. end_time step 1h", "page number page_no from 0 size page_size 100"],
    ["jushuitan", "/open/purchase/query", "data.datas", "po_id", "modified_begin .. modified_end step 1d", "page number page_index from 1 size page_size 50"],
  ])("%s runs end to end against its sandbox into the http target", async (system, operation, records, id, window, page) => {
    const cwd = mkdtempSync(join(tmpdir(), `ferry-${system}-`));
    try {
      const { writeFileSync, mkdirSync } = await import("node:fs");
      mkdirSync(join(cwd, "mappings"));
      writeFileSync(
        join(cwd, "mappings", `${system}.map`),
        `mapping ${system}_to_http "${system} → http"\n\nsource ${system} "${operation}" {\n  window  ${window}\n  ${page}\n  records ${records}\n  id      ${id}\n  rate    50/s\n}\n\ntarget http "/customers" {\n  idcheck code\n}\n\nfields {\n  code : string <- ${id} | string\n  name : string <- modified\n}\n`,
      );
      const { startHttpTestServer } = await import("../../connectors/http/test-server.js");
      const server = await startHttpTestServer({ records: 0 });
      try {
        const run = await ferry(["run", `mappings/${system}.map`], { cwd, env: { ...sandboxes.env, FERRY_HTTP_URL: server.url, FERRY_STATE_DIR: join(cwd, ".ferry") } });
        expect(run.code, run.stderr).toBe(0);
        const served = sandboxes.specs.get(system)!.records(operation).length;
        const read = Number(run.stderr.match(/(\d[\d,]*) read/)![1]!.replaceAll(",", ""));
        expect(read).toBeGreaterThan(0);
        expect(read).toBeLessThanOrEqual(served);
        // Every record read is one row at the target, stored once.
        expect(server.target.rows().size).toBe(read);
        expect(server.target.totalWrites()).toBe(read);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("a flow reading Kingdee with ExecuteBillQuery", () => {
  const flow = "mappings/examples/kingdee-materials-to-http.map";

  it("reads the materials changed in each window (the bounds in FilterString, FieldKeys from the flow) into the http target, each once", async () => {
    const { startHttpTestServer } = await import("../../connectors/http/test-server.js");
    const server = await startHttpTestServer({ records: 0, targetPath: "/materials" });
    const dir = mkdtempSync(join(tmpdir(), "ferry-kingdee-read-"));
    try {
      const now = Date.now();
      const from = new Date(now - 3 * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
      const run = await ferry(["run", flow, "--from", from], { env: { ...sandboxes.env, FERRY_KINGDEE_LOGIN: "appsecret", FERRY_HTTP_URL: server.url, FERRY_STATE_DIR: dir } });
      expect(run.code, run.stderr).toBe(0);
      const materials = sandboxes.kingdee.rows("BD_MATERIAL");
      expect(materials.size).toBe(300);
      expect(server.target.rows().size).toBe(300);
      expect(server.target.totalWrites()).toBe(300);
      expect(server.target.row("MAT0007")).toMatchObject({ code: "MAT0007", name: "物料7", org: expect.stringMatching(/^10[01]$/) });
      // Pages of 500 over windows of a day: one ExecuteBillQuery per window, plus none for what was not asked.
      expect(run.stderr).toMatch(/kingdee executeBillQuery\s+\d+ calls/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
