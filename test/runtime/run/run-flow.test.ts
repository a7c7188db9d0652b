import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { replayDeadLetters } from "../../../runtime/run/replay.js";
import { httpConnector } from "../../../connectors/http/client.js";
import { CallMeter } from "../../../runtime/call-meter.js";
import { MemoryCollectionStore } from "../../../runtime/lookups.js";
import { RateLimits } from "../../../runtime/rate-limit.js";
import { Calls } from "../../../runtime/run/calls.js";
import { ROOT } from "../../support/seeds.js";
import { flowOf, seeded, startBench, type Bench } from "../../support/runtime.js";

const SHOPS = readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8");
const flow = flowOf(SHOPS, "shops.map");

let bench: Bench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

function writesPerKey(b: Bench): number[] {
  return [...b.server.target.rows().keys()].map((k) => b.server.target.writes(k));
}

describe("runFlow against loopback HTTP", () => {
  it("writes every record once; a second run writes nothing; 5 changed records are written again", async () => {
    bench = await startBench({ records: 250 });
    const first = await bench.run(flow);
    expect(first).toMatchObject({ status: "ok", read: 500, written: 250, unchanged: 250, deadLettered: 0, windows: 2 });
    expect(bench.server.target.rows().size).toBe(250);
    expect(new Set(writesPerKey(bench))).toEqual(new Set([1]));

    const second = await bench.run(flow, { from: undefined });
    expect(second).toMatchObject({ status: "ok", written: 0 });
    expect(bench.server.target.totalWrites()).toBe(250);

    const ids = bench.server.source.records().slice(10, 15).map((r) => r.id);
    expect(bench.server.source.update(ids, { name: "改过的名字" })).toBe(5);
    const third = await bench.run(flow, { from: undefined });
    expect(third).toMatchObject({ status: "ok", written: 5 });
    expect(bench.server.target.totalWrites()).toBe(255);
  });

  it("checkpoints each window and starts the next run at the checkpoint", async () => {
    bench = await startBench({ records: 30 });
    await bench.run(flow);
    // 2024-09-08 08:00 in Shanghai is the run's "now": the end of its last window.
    expect(await bench.store.checkpoint("shops_to_customers")).toBe(String(Date.UTC(2024, 8, 8, 0, 0, 0)));
    const next = await bench.run(flow, { from: undefined });
    expect(next.windows).toBe(1);
  });

  it("honours 429 with Retry-After, and retries 5xx and timeouts, writing each row once", async () => {
    bench = await startBench({ records: 120 });
    bench.server.failNext("/customers", "429", 1);
    bench.server.failNext("/shops", "500", 2);
    bench.server.failNext("/customers", "timeout", 1);
    const before = bench.clock.now();
    const summary = await bench.run(flow, { from: "2024-09-08 00:00:00" });
    expect(summary.status).toBe("ok");
    expect(summary.written).toBe(120);
    expect(new Set(writesPerKey(bench))).toEqual(new Set([1]));
    // Retry-After: 1 second, waited on the injected clock rather than the wall clock.
    expect(bench.clock.now() - before).toBeGreaterThanOrEqual(1000);
    const calls = Object.fromEntries(summary.calls.map((c) => [c.operation, c]));
    expect(calls["/customers"]?.retries).toBe(2);
    expect(calls["/shops"]?.retries).toBe(2);
  });

  it("dead-letters a row the target refuses while writing the rest of its batch; replay writes it once fixed", async () => {
    bench = await startBench({ records: 40 });
    const [bad] = bench.server.source.records();
    bench.server.source.update([bad!.id], { name: "" });
    const summary = await bench.run(flow, { from: "2024-09-08 00:00:00" });
    expect(summary).toMatchObject({ status: "dead-letters", written: 39, deadLettered: 1 });
    // A refused row is not retried: one write call per batch.
    expect(bench.server.requests("/customers")).toBe(1);
    const letters = await bench.store.deadLetters("shops_to_customers", { unresolvedOnly: true });
    expect(letters).toEqual([expect.objectContaining({ sourceId: String(bad!.id), stage: "write", reason: "name is required" })]);

    // The mapping is fixed to fall back to the code, then the dead letter is replayed.
    const fixed = flowOf(SHOPS.replace("name : string  <- name", 'name : string  <- if name == "" then code else name'), "shops.map");
    const factory = httpConnector();
    const env = { FERRY_HTTP_URL: bench.server.url };
    const result = await replayDeadLetters({
      flow: fixed,
      store: bench.store,
      target: factory.target!({ env, clock: bench.clock, flow: fixed.spec }),
      calls: new Calls(bench.clock, new RateLimits(bench.clock), new CallMeter(), seeded(1)),
      collections: new MemoryCollectionStore(),
      clock: bench.clock,
      env,
    });
    expect(result).toMatchObject({ attempted: 1, written: 1, failed: [] });
    expect(bench.server.target.writes(bad!.code)).toBe(1);
    expect(await bench.store.deadLetters("shops_to_customers", { unresolvedOnly: true })).toEqual([]);
  });

  it("does not retry a call the target refuses as a whole, and fails the run", async () => {
    bench = await startBench({ records: 10 });
    bench.server.answerNext("/customers", { status: 400, body: '{"error":"unknown field"}' }, 5);
    const summary = await bench.run(flow, { from: "2024-09-08 00:00:00" });
    expect(summary.status).toBe("failed");
    expect(summary.error).toMatch(/^shops_to_customers: http \/customers: /);
    expect(bench.server.requests("/customers")).toBe(1);
    expect(await bench.store.checkpoint("shops_to_customers")).toBeNull();
  });

  it("stops a source that repeats the same page forever with a clear error", async () => {
    bench = await startBench({ records: 500, repeatPage: true });
    const summary = await bench.run(flow, { from: "2024-09-08 00:00:00" });
    expect(summary.status).toBe("failed");
    expect(summary.error).toMatch(/page 2 repeats the page before it/);
    expect(bench.server.requests("/shops")).toBe(2);
  });

  it.each([
    ["an HTML error page", { status: 200, headers: { "content-type": "text/html" }, body: "<html><body>502 Bad Gateway</body></html>" }, /http \/shops: .*not JSON/],
    ["truncated JSON", { status: 200, headers: { "content-type": "application/json" }, body: '{"data":{"items":[{"id":1,' }, /http \/shops: .*JSON/],
    ["a missing records path", { status: 200, headers: { "content-type": "application/json" }, body: '{"result":[]}' }, /http \/shops: .*data\.items/],
  ])("fails on %s naming the flow, the call and the cause, checkpointing nothing past it", async (_name, answer, message) => {
    bench = await startBench({ records: 150 });
    // The first window reads 2 pages; every answer of the second window is malformed.
    bench.server.answerNext("/shops", answer, 0);
    const b = bench;
    let seen = 0;
    const summary = await b.run(flow, {
      onProgress: (p) => {
        if (p.windowIndex === 0 && seen === 0 && p.page === 2) {
          seen = 1;
          b.server.answerNext("/shops", answer, 10);
        }
      },
    });
    expect(summary.status).toBe("failed");
    expect(summary.error).toMatch(/^shops_to_customers: /);
    expect(summary.error).toMatch(message);
    expect(summary.error).toMatch(/after 4 attempts/);
    // The first window's end, not the second's.
    expect(await b.store.checkpoint("shops_to_customers")).toBe(String(Date.UTC(2024, 8, 7, 16, 0, 0)));
  });

  it("reads and maps but writes nothing in a dry run, reporting new, changed and unchanged rows", async () => {
    bench = await startBench({ records: 20 });
    await bench.run(flow, { from: "2024-09-08 00:00:00", limit: 10 });
    const ids = bench.server.source.records().slice(0, 3).map((r) => r.id);
    bench.server.source.update(ids, { note: "新备注" });
    const writes = bench.server.target.totalWrites();
    const dry = await bench.run(flow, { from: "2024-09-08 00:00:00", dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, read: 20, new: 10, changed: 3, unchanged: 7, written: 0 });
    expect(bench.server.target.totalWrites()).toBe(writes);
  });

  it("answers lookups with one query per page, never one per record", async () => {
    bench = await startBench({ records: 250 });
    const regions = new MemoryCollectionStore();
    regions.add("regions", bench.server.source.records().map((r) => ({ code: r.code, region: "华东" })));
    const queries: unknown[] = [];
    const counting = { find: (collection: string, filter: Readonly<Record<string, unknown>>) => (queries.push(filter), regions.find(collection, filter)) };
    const withLookup = flowOf(SHOPS.replace("note : string? <- note", 'note : string? <- lookup mongo("regions", where: { code: { $eq: code } }, find: region)'), "shops.map");
    const summary = await bench.run(withLookup, { from: "2024-09-08 00:00:00", collections: counting });
    expect(summary).toMatchObject({ status: "ok", written: 250 });
    // 250 records in pages of 100: three pages, three queries.
    expect(queries).toHaveLength(3);
    expect(queries[0]).toMatchObject({ $and: [{}, { code: { $in: expect.any(Array) } }] });
    expect(bench.server.target.row(bench.server.source.records()[0]!.code)).toMatchObject({ note: "华东" });
  });

  it("evaluates JSONata fields per record before the transform", async () => {
    bench = await startBench({ records: 30 });
    const withJsonata = flowOf(SHOPS.replace("note : string? <- note", 'note : string? <- jsonata "$uppercase(code) & \'/\' & $string(id)"'), "shops.map");
    const summary = await bench.run(withJsonata, { from: "2024-09-08 00:00:00" });
    expect(summary).toMatchObject({ status: "ok", written: 30 });
    const [first] = bench.server.source.records();
    expect(bench.server.target.row(first!.code)).toMatchObject({ note: `${first!.code.toUpperCase()}/${first!.id}` });
  });
});
