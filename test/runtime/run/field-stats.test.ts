import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../../support/seeds.js";
import { flowOf, startBench, type Bench } from "../../support/runtime.js";

const flow = flowOf(readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8"), "shops.map");

let bench: Bench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe("runFlow records field stats", () => {
  it("counts every mapped row per target field, with nulls and empties, for each run", async () => {
    bench = await startBench({ records: 40 });
    const records = bench.server.source.records();
    const withNote = records.filter((r) => r.note !== undefined).length;
    expect(withNote).toBeGreaterThan(0);
    expect(withNote).toBeLessThan(40);
    const [first] = records;
    bench.server.source.update([first!.id], { name: "" });
    const summary = await bench.run(flow, { from: "2024-09-08 00:00:00" });
    expect(summary).toMatchObject({ status: "dead-letters", read: 40 });

    const history = await bench.store.fieldHistory("shops_to_customers", undefined, 5);
    expect(history).toEqual([
      { runId: summary.runId, startedAt: expect.any(Number), field: "code", rows: 40, nulls: 0, empties: 0 },
      { runId: summary.runId, startedAt: expect.any(Number), field: "name", rows: 40, nulls: 0, empties: 1 },
      { runId: summary.runId, startedAt: expect.any(Number), field: "note", rows: 40, nulls: 40 - withNote, empties: 0 },
    ]);

    // A dry run maps every row too; its stats are its own.
    const dry = await bench.run(flow, { from: "2024-09-08 00:00:00", dryRun: true, limit: 10 });
    expect((await bench.store.fieldHistory("shops_to_customers", "code", 5)).map((e) => [e.runId, e.rows])).toEqual([
      [dry.runId, 10],
      [summary.runId, 40],
    ]);
  });

  it("records the stats of a failed run too (the history leaves failed runs out)", async () => {
    bench = await startBench({ records: 250 });
    bench.server.failNext("/shops", "500", 10);
    const summary = await bench.run(flow, { from: "2024-09-08 00:00:00" });
    expect(summary.status).toBe("failed");
    const raw = bench.store.database.prepare("SELECT COUNT(*) FROM field_stats WHERE run_id = ?").pluck().get(summary.runId);
    expect(raw).toBe(3);
    expect(await bench.store.fieldHistory("shops_to_customers", undefined, 5)).toEqual([]);
  });
});
