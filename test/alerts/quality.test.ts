import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_ANOMALY_SETTINGS } from "../../alerts/config.js";
import { describeAnomaly, detectAnomalies, findAnomalies, median } from "../../alerts/quality.js";
import type { FieldStat } from "../../runtime/state/store.js";
import { fakeRun, NOW, tempStore, type TempStore } from "../support/alert-state.js";

/** A run's stats: rows, and per field its null (and optionally empty) count. */
function run(rows: number, fields: Record<string, number | [number, number]>): FieldStat[] {
  return Object.entries(fields).map(([field, n]) => ({ field, rows, nulls: Array.isArray(n) ? n[0] : n, empties: Array.isArray(n) ? n[1] : 0 }));
}

const steady = (n: number, rows = 100, nulls = 2) => Array.from({ length: n }, () => run(rows, { FName: nulls }));

describe("median", () => {
  it.each([
    [[], Number.NaN],
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
  ])("of %j is %d", (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

describe("findAnomalies", () => {
  it.each([
    { name: "no history", current: run(100, { FName: 90 }), earlier: [], found: [] },
    { name: "too little history (2 runs < 3)", current: run(100, { FName: 90 }), earlier: steady(2), found: [] },
    {
      name: "a sharp null-rate jump",
      current: run(100, { FName: 45 }),
      earlier: steady(3),
      found: [{ field: "FName", kind: "null-rate", value: 45, baseline: 2 }],
    },
    { name: "a small drift (+15 points)", current: run(100, { FName: 17 }), earlier: steady(5), found: [] },
    { name: "exactly 20 points is not more than 20", current: run(100, { FName: 22 }), earlier: steady(5), found: [] },
    { name: "fewer nulls is good news", current: run(100, { FName: 0 }), earlier: steady(5, 100, 60), found: [] },
    {
      name: "a sharp empty-rate jump",
      current: run(100, { FName: [0, 50] }),
      earlier: steady(4),
      found: [{ field: "FName", kind: "empty-rate", value: 50, baseline: 0 }],
    },
    {
      name: "a row-count drop",
      current: run(10, { FName: 0 }),
      earlier: steady(3, 100, 0),
      found: [{ field: null, kind: "row-count", value: 10, baseline: 100 }],
    },
    {
      name: "a row-count spike",
      current: run(300, { FName: 0 }),
      earlier: steady(3, 100, 0),
      found: [{ field: null, kind: "row-count", value: 300, baseline: 100 }],
    },
    { name: "a row-count change within 50%", current: run(60, { FName: 1 }), earlier: steady(3, 100, 1), found: [] },
    {
      name: "a run with no rows is a drop, but has no null rate",
      current: run(0, { FName: 0 }),
      earlier: steady(3),
      found: [{ field: null, kind: "row-count", value: 0, baseline: 100 }],
    },
    { name: "after only empty runs nothing is sharp", current: run(50, { FName: 0 }), earlier: steady(3, 0, 0), found: [] },
    {
      name: "the median resists one odd run",
      current: run(100, { FName: 30 }),
      earlier: [run(100, { FName: 90 }), ...steady(3)],
      found: [{ field: "FName", kind: "null-rate", value: 30, baseline: 2 }],
    },
    {
      name: "a new field has no history of its own",
      current: run(100, { FName: 2, FNew: 100 }),
      earlier: steady(3),
      found: [],
    },
    {
      name: "only the last `history` runs count",
      current: run(100, { FName: 30 }),
      earlier: [...steady(10), ...Array.from({ length: 20 }, () => run(100, { FName: 90 }))],
      found: [{ field: "FName", kind: "null-rate", value: 30, baseline: 2 }],
    },
  ])("$name", ({ current, earlier, found }) => {
    expect(findAnomalies(current, earlier, DEFAULT_ANOMALY_SETTINGS)).toEqual(found);
  });

  it("takes its thresholds from the settings", () => {
    const settings = { ...DEFAULT_ANOMALY_SETTINGS, nullRatePoints: 10, minHistory: 2 };
    expect(findAnomalies(run(100, { FName: 17 }), steady(2), settings)).toEqual([{ field: "FName", kind: "null-rate", value: 17, baseline: 2 }]);
  });

  it.each([
    [{ field: "FName", kind: "null-rate" as const, value: 45, baseline: 2 }, "FName: null rate 45.0% (usually 2.0%)"],
    [{ field: "备注", kind: "empty-rate" as const, value: 50, baseline: 0 }, "备注: empty rate 50.0% (usually 0.0%)"],
    [{ field: null, kind: "row-count" as const, value: 10, baseline: 100 }, "rows mapped 10 (usually 100)"],
  ])("describes %j", (anomaly, text) => {
    expect(describeAnomaly(anomaly)).toBe(text);
  });
});

describe("detectAnomalies", () => {
  let t: TempStore | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("stores the anomalies of each flow's latest run once, however often it runs; failed runs are no baseline", async () => {
    t = tempStore();
    const { store } = t;
    for (let i = 0; i < 3; i++) await fakeRun(store, "shops", { stats: run(100, { FName: 2 }) });
    await fakeRun(store, "shops", { status: "failed", stats: run(5, { FName: 5 }) });
    const latest = await fakeRun(store, "shops", { stats: run(100, { FName: 60 }) });
    await fakeRun(store, "quiet", { stats: run(100, { FName: 60 }) });

    const first = await detectAnomalies(store, NOW);
    expect(first).toEqual([
      { flow: "quiet", runId: expect.any(Number), anomalies: [], added: 0 },
      { flow: "shops", runId: latest, anomalies: [{ field: "FName", kind: "null-rate", value: 60, baseline: 2 }], added: 1 },
    ]);
    const again = await detectAnomalies(store, NOW + 1000);
    expect(again[1]?.added).toBe(0);
    expect(await store.anomalies("shops", 10)).toEqual([
      expect.objectContaining({ runId: latest, field: "FName", kind: "null-rate", value: 60, baseline: 2, createdAt: NOW }),
    ]);
  });
});
