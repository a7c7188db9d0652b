import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guanyiConnector } from "../../connectors/guanyi/client.js";
import { startSandboxes, type Sandboxes } from "../../connectors/sandbox/server.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { CallError } from "../../runtime/faults.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import type { FlowSpec } from "../../runtime/types.js";

const NOW = Date.UTC(2026, 11, 8, 4, 0, 0);
const fmt = (ms: number) => formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);

let sandboxes: Sandboxes;
beforeAll(async () => {
  sandboxes = await startSandboxes({ seed: 3, now: () => NOW, shops: 300 });
});
afterAll(() => sandboxes.close());

const source = () => guanyiConnector().source!({ env: sandboxes.env, clock: new FakeClock(NOW), flow: {} as FlowSpec });

describe("the Guanyi sandbox, for the reads of Guanyi's spec beyond shops", () => {
  it("serves orders with their detail lines, in pages, within the window", async () => {
    const read = (page: number) =>
      source().read({ operation: "gy.erp.trade.get", params: { start_date: fmt(NOW - 86_400_000), end_date: fmt(NOW), page_no: page, page_size: 20 }, recordsPath: "orders", totalPath: "total", cursorPath: null, timeoutMs: 5000 });
    const first = await read(1);
    expect(first.total).toBeGreaterThan(20);
    expect(first.records).toHaveLength(20);
    const order = first.records[0] as { code: string; createtime: string; details: { item_code: string; qty: number }[] };
    expect(order.code).toMatch(/^CODE\d{6}$/);
    expect(order.createtime >= fmt(NOW - 86_400_000) && order.createtime <= fmt(NOW)).toBe(true);
    expect(order.details.length).toBeGreaterThan(0);
    expect(typeof order.details[0]!.item_code).toBe("string");
    let seen = first.records.length;
    for (let page = 2; ; page++) {
      const next = await read(page);
      seen += next.records.length;
      if (next.records.length < 20) break;
    }
    expect(seen).toBe(first.total);
  });

  it("refuses a page larger than Guanyi serves, as Guanyi does", async () => {
    const error = await source()
      .read({ operation: "gy.erp.items.get", params: { page_no: 1, page_size: 500 }, recordsPath: "items", totalPath: "total", cursorPath: null, timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallError);
    expect((error as CallError).kind).toBe("rejected");
  });

  it("still refuses methods no spec names", async () => {
    const error = await source()
      .read({ operation: "gy.erp.nothing.get", params: {}, recordsPath: "x", totalPath: null, cursorPath: null, timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect((error as CallError).message).toContain("不支持的方法");
  });
});

describe("Guanyi's writes (one document a call)", () => {
  const target = () => guanyiConnector().target!({ env: sandboxes.env, clock: new FakeClock(NOW), flow: {} as FlowSpec });
  const trade = { shop_code: "gsh_test", vip_code: "V1", platform_code: "TB0001", warehouse_code: "W1", deal_datetime: "2026-12-08 10:00:00", receiver_name: "张三", details: [{ item_code: "I1", qty: 1, price: 9.9 }] };

  it("saves an order the sandbox finds complete, and refuses one without a required field as that row's", async () => {
    const write = (row: unknown) => target().write({ operation: "gy.erp.trade.add", form: null, options: {}, rows: [{ sourceId: "1", row }], key: "platform_code", timeoutMs: 5000 });
    const saved = await write(trade);
    expect(saved, JSON.stringify(saved)).toEqual([{ ok: true, targetId: "TB0001" }]);
    expect(sandboxes.guanyi.documents("gy.erp.trade.add").get("TB0001")).toMatchObject({ saves: 1, document: { details: [{ item_code: "I1" }] } });
    const { vip_code: _gone, ...incomplete } = trade;
    expect(await write({ ...incomplete, platform_code: "TB0002" })).toEqual([{ ok: false, reason: expect.stringContaining("vip_code") }]);
    expect(sandboxes.guanyi.documents("gy.erp.trade.add").has("TB0002")).toBe(false);
  });

  it("sends one document per call", async () => {
    const two = target().write({ operation: "gy.erp.trade.add", form: null, options: {}, rows: [{ sourceId: "1", row: trade }, { sourceId: "2", row: trade }], key: null, timeoutMs: 5000 });
    await expect(two).rejects.toMatchObject({ kind: "rejected", message: expect.stringContaining("one document per call") });
  });
});
