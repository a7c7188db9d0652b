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
