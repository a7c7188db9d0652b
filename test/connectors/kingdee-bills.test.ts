import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kingdeeConnector } from "../../connectors/kingdee/client.js";
import { startSandboxes, type Sandboxes } from "../../connectors/sandbox/server.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import type { FlowSpec } from "../../runtime/types.js";

let sandboxes: Sandboxes;
beforeAll(async () => {
  sandboxes = await startSandboxes({ seed: 1, shops: 0, tasks: 0, materials: 5 });
});
afterAll(() => sandboxes.close());

const target = () => kingdeeConnector().target!({ env: { ...sandboxes.env, FERRY_KINGDEE_LOGIN: "appsecret" }, clock: new FakeClock(Date.now()), flow: {} as FlowSpec });

const order = (no: string, lines: Record<string, unknown>[]) => ({
  FBillNo: no,
  FDate: "2026-12-08",
  FSaleOrgId: { FNumber: "100" },
  FCustId: { FNumber: "CUST0001" },
  FSalerId: { FNumber: "SALER01" },
  FSaleOrderEntry: lines,
});

describe("the Kingdee sandbox, for a bill with entry lines (SAL_SaleOrder)", () => {
  it("saves a valid order with its lines, and refuses one line by its entry and field, as Kingdee does", async () => {
    const good = order("SO0001", [{ FMaterialId: { FNumber: "M1" }, FUnitID: { FNumber: "Pcs" }, FQty: 2, FTaxPrice: 9.9 }]);
    const bad = order("SO0002", [
      { FMaterialId: { FNumber: "M1" }, FUnitID: { FNumber: "Pcs" }, FQty: 1 },
      { FMaterialId: { FNumber: "M2" }, FUnitID: { FNumber: "Pcs" } },
    ]);
    const empty = order("SO0003", []);
    const results = await target().write({ operation: "batchSave", form: "SAL_SaleOrder", options: {}, rows: [good, bad, empty].map((row, i) => ({ sourceId: String(i), row })), key: "FBillNo", timeoutMs: 5000 });
    expect(results[0]).toMatchObject({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, reason: expect.stringContaining("FSaleOrderEntry[1].FQty: 销售数量 字段是必填项") });
    expect(results[2]).toMatchObject({ ok: false, reason: expect.stringContaining("FSaleOrderEntry: 订单明细 字段是必填项") });
    const saved = sandboxes.kingdee.rows("SAL_SaleOrder").get("SO0001");
    expect(saved?.FSaleOrderEntry).toEqual(good.FSaleOrderEntry);
    expect(sandboxes.kingdee.savesOf("SAL_SaleOrder", "SO0001")).toBe(1);
  });
});

describe("Kingdee Save and BillQuery", () => {
  it("save writes one row per call and answers it as BatchSave would", async () => {
    const results = await target().write({ operation: "save", form: "SAL_SaleOrder", options: {}, rows: [{ sourceId: "1", row: order("SO0101", [{ FMaterialId: { FNumber: "M1" }, FUnitID: { FNumber: "Pcs" }, FQty: 1 }]) }], key: "FBillNo", timeoutMs: 5000 });
    expect(results).toEqual([{ ok: true, targetId: expect.any(String) }]);
    expect(sandboxes.kingdee.savesOf("SAL_SaleOrder", "SO0101")).toBe(1);
    const two = target().write({ operation: "save", form: "SAL_SaleOrder", options: {}, rows: [{ sourceId: "1", row: {} }, { sourceId: "2", row: {} }], key: null, timeoutMs: 5000 });
    await expect(two).rejects.toMatchObject({ kind: "rejected", message: expect.stringContaining("one row per call") });
  });

  it.each(["billQuery", "executeBillQuery"])("%s reads rows by the field keys asked for, references nested", async (operation) => {
    const source = kingdeeConnector().source!({ env: { ...sandboxes.env, FERRY_KINGDEE_LOGIN: "appsecret" }, clock: new FakeClock(Date.now()), flow: {} as FlowSpec });
    const answer = await source.read({ operation, params: { FormId: "BD_MATERIAL", FieldKeys: "FNumber,FUseOrgId.FNumber", FilterString: "FNumber in ('MAT0002','MAT0003')", StartRow: 0, Limit: 10 }, recordsPath: "rows", totalPath: null, cursorPath: null, timeoutMs: 5000 });
    expect(answer.records).toEqual([
      { FNumber: "MAT0002", FUseOrgId: { FNumber: expect.stringMatching(/^10[01]$/) } },
      { FNumber: "MAT0003", FUseOrgId: { FNumber: expect.stringMatching(/^10[01]$/) } },
    ]);
  });
});
