import { describe, expect, it } from "vitest";
import { CallMeter, Histogram } from "../../runtime/call-meter.js";
import { seededRandom as seeded } from "../../runtime/random.js";


/** Nearest-rank quantile of the exact values: what the histogram approximates. */
function exactQuantile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1] as number;
}

describe("CallMeter", () => {
  it("sums calls, errors, retries, time and rate-limit waits per system operation", () => {
    const meter = new CallMeter();
    meter.record("kingdee", "BatchSave", { ms: 120, ok: true, retries: 0, waitedMs: 0 });
    meter.record("kingdee", "BatchSave", { ms: 80, ok: false, retries: 3, waitedMs: 500 });
    meter.record("kingdee", "BatchSave", { ms: 100, ok: true, retries: 1, waitedMs: 250 });
    expect(meter.stats()).toEqual([
      {
        system: "kingdee",
        operation: "BatchSave",
        calls: 3,
        errors: 1,
        retries: 4,
        totalMs: 300,
        // Latencies are approximate (within 0.4 %); min and max are exact.
        p50Ms: expect.closeTo(100, 0),
        p95Ms: 120,
        rateLimitWaitMs: 750,
      },
    ]);
  });

  it("sorts by system, then operation", () => {
    const meter = new CallMeter();
    const sample = { ms: 1, ok: true, retries: 0, waitedMs: 0 };
    for (const [system, operation] of [
      ["kingdee", "View"],
      ["banniu", "task.update"],
      ["kingdee", "BatchSave"],
      ["banniu", "task.list"],
      ["guanyi", "gy.erp.shop.get"],
    ]) {
      meter.record(system as string, operation as string, sample);
    }
    expect(meter.stats().map((s) => `${s.system} ${s.operation}`)).toEqual([
      "banniu task.list",
      "banniu task.update",
      "guanyi gy.erp.shop.get",
      "kingdee BatchSave",
      "kingdee View",
    ]);
  });

  it("keeps operations of different systems apart even when names could run together", () => {
    const meter = new CallMeter();
    const sample = { ms: 1, ok: true, retries: 0, waitedMs: 0 };
    meter.record("a b", "c", sample);
    meter.record("a", "b c", sample);
    expect(meter.stats()).toHaveLength(2);
  });

  it("has no stats before any call", () => {
    expect(new CallMeter().stats()).toEqual([]);
  });
});

describe("Histogram percentiles", () => {
  const n = 10_000;
  const distributions: [string, (r: () => number) => number][] = [
    ["uniform 0–1000 ms", (r) => r() * 1000],
    ["exponential, mean 200 ms", (r) => -Math.log(1 - r()) * 200],
    ["log-normal around 150 ms", (r) => Math.exp(Math.log(150) + 0.8 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))],
    ["sub-millisecond", (r) => r() * 0.3],
    ["minutes-long timeouts", (r) => 60_000 + r() * 240_000],
    ["hours-long (past 2^31 µs)", (r) => 3_600_000 + r() * 36_000_000],
    ["around 2^31 µs", (r) => 2 ** 31 / 1000 + (r() - 0.5) * 100],
    ["constant", () => 42],
    ["bimodal: fast reads, slow writes", (r) => (r() < 0.9 ? 20 + r() * 10 : 2000 + r() * 3000)],
  ];

  it.each(distributions)("%s: within bucket precision of the exact quantile", (_, draw) => {
    const random = seeded(1234);
    const histogram = new Histogram();
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = draw(random);
      values.push(v);
      histogram.record(v);
    }
    values.sort((a, b) => a - b);
    expect(histogram.count).toBe(n);
    for (const p of [0.01, 0.5, 0.9, 0.95, 0.99, 1]) {
      const exact = exactQuantile(values, p);
      // Half a bucket (1/256 of the value) plus rounding to whole microseconds.
      expect(Math.abs(histogram.quantile(p) - exact)).toBeLessThanOrEqual(exact / 256 + 0.0005);
    }
  });

  it.each([
    ["negative", -5, 0],
    ["NaN", Number.NaN, 0],
    ["zero", 0, 0],
    ["a year (beyond the range)", 365 * 86_400_000, (2 ** 43 - 1) / 1000],
  ] as const)("clamps %s to the range", (_, ms, expected) => {
    const histogram = new Histogram();
    histogram.record(ms);
    expect(histogram.quantile(0.5)).toBe(expected);
  });

  it("answers 0 when empty", () => {
    expect(new Histogram().quantile(0.95)).toBe(0);
  });

  it("keeps its size flat over a million records", () => {
    const histogram = new Histogram();
    const before = histogram.byteLength;
    const random = seeded(99);
    for (let i = 0; i < 1_000_000; i++) histogram.record(random() * 10_000);
    expect(histogram.byteLength).toBe(before);
    expect(before).toBeLessThan(64 * 1024);
    expect(histogram.count).toBe(1_000_000);
    expect(histogram.quantile(0.5)).toBeCloseTo(5000, -2);
  });
});
