import { afterEach, describe, expect, it } from "vitest";
import type { ReadResponse, SourceConnector } from "../../../runtime/connector.js";
import { DEFAULT_MAX_PAGES, PagingError, readPages } from "../../../runtime/run/paging.js";
import { memoryBench, memoryFlow, MemoryTarget, numbered, PagedSource, pagesOf, type MemoryBench } from "../../support/memory-systems.js";

let bench: MemoryBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** A window flow in pages of 100 whose source reports a total. */
const flow = memoryFlow({ window: true, total: true, size: 100, batch: 100 });
const WINDOW = { from: "2024-09-07 08:00:00" };

describe("a total that disagrees with the pages", () => {
  it.each([
    // [reported total, records served, source calls, warning]
    [50, 310, 4, "read 310 records where the source reported a total of 50 (a stale total: the window was read on to a short or empty page)"],
    [100, 310, 4, "read 310 records where the source reported a total of 100 (a stale total: the window was read on to a short or empty page)"],
    [200, 310, 4, "read 310 records where the source reported a total of 200 (a stale total: the window was read on to a short or empty page)"],
    [310, 310, 4, null],
    [300, 300, 4, null],
    [400, 310, 4, "read 310 records where the source reported a total of 400"],
  ])("a total of %i over %i records: every record is written and the window checkpointed", async (total, served, calls, warning) => {
    const t = (bench = memoryBench());
    const source = new PagedSource(pagesOf(numbered(served), 100), () => total);
    const target = new MemoryTarget();
    const summary = await t.run(flow, source, target, WINDOW);
    expect(summary).toMatchObject({ status: "ok", read: served, written: served });
    expect(new Set(target.writes).size).toBe(served);
    expect(source.calls).toBe(calls);
    // The memory target confirms nothing: every run of it also says it is at-least-once.
    expect(summary.warnings.filter((w) => !w.startsWith("at-least-once"))).toEqual(warning === null ? [] : [warning]);
    expect(await t.store.checkpoint("f")).toBe(String(t.clock.now()));
  });

  it("ends the window when, past its total, the source answers its last page again", async () => {
    const t = (bench = memoryBench());
    const pages = pagesOf(numbered(200), 100);
    const clamping: SourceConnector = { read: async (r) => ({ records: pages[Math.min(Number(r.params.page), pages.length) - 1]!, total: 200, cursor: null }) };
    const summary = await t.run(flow, clamping, new MemoryTarget(), WINDOW);
    expect(summary).toMatchObject({ status: "ok", read: 200, written: 200 });
    expect(summary.warnings.filter((w) => !w.startsWith("at-least-once"))).toEqual([]);
  });
});

describe("the page ceiling", () => {
  const endless = memoryFlow({ window: true, total: true, size: 3, batch: 10 });

  it.each([
    ["no total", () => null, "and the source reports no total"],
    ["a total that keeps growing", (page: number) => page * 3 + 3, "(15 records read, the source reports 21)"],
  ] as const)("fails a window of full pages without end (%s), checkpointing nothing", async (_what, total, told) => {
    const t = (bench = memoryBench());
    const source = new PagedSource("endless", total);
    const summary = await t.run(endless, source, new MemoryTarget(), { ...WINDOW, maxPages: 5 });
    expect(summary.status).toBe("failed");
    expect(summary.error).toBe(
      `f: page 6 still has records: the window has more than 5 pages ${told}; stopping instead of reading without end. ` +
        "If the window is truly that large, raise the ceiling (--max-pages or FERRY_MAX_PAGES) or read smaller windows (`step`)",
    );
    expect(source.calls).toBe(6);
    expect(await t.store.checkpoint("f")).toBeNull();
  });

  it("lets a window of exactly that many full pages end on its empty page", async () => {
    const t = (bench = memoryBench());
    const source = new PagedSource(pagesOf(numbered(15), 3));
    const summary = await t.run(endless, source, new MemoryTarget(), { ...WINDOW, maxPages: 5 });
    expect(summary).toMatchObject({ status: "ok", read: 15, written: 15 });
    expect(source.calls).toBe(6);
  });

  it(`is ${DEFAULT_MAX_PAGES} pages unless raised`, async () => {
    let calls = 0;
    const call = async (params: Readonly<Record<string, unknown>>): Promise<ReadResponse> => {
      calls++;
      return { records: [{ id: Number(params.page) }], total: null, cursor: null };
    };
    const spec = endless.spec.source;
    const read = async (maxPages?: number) => {
      let pages = 0;
      for await (const _ of readPages({ ...spec, page: { ...spec.page!, size: 1 } }, {}, call, (r) => String((r as { id: number }).id), () => {}, maxPages)) pages++;
      return pages;
    };
    await expect(read()).rejects.toThrow(PagingError);
    expect(calls).toBe(DEFAULT_MAX_PAGES + 1);
  });
});
