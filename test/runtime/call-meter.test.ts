import { describe, expect, it } from "vitest";
import { attemptsOf, CallMeter, Histogram, isBucketBound, type CallSample } from "../../runtime/call-meter.js";
import { seededRandom as seeded } from "../../runtime/random.js";


/** Nearest-rank quantile of the exact values: what the histogram approximates. */
function exactQuantile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1] as number;
}

/** A call whose attempts took `attemptsMs`; every attempt but the last failed, and the last too unless `ok`. */
function call(attemptsMs: readonly number[], ok = true, waitedMs = 0): CallSample {
  return { ok, attemptsMs, failedAttempts: attemptsMs.length - (ok ? 1 : 0), retries: attemptsMs.length - 1, waitedMs };
}

describe("CallMeter", () => {
  it("sums calls, failed attempts, failed calls, retries, attempt time and rate-limit waits per system operation", () => {
    const meter = new CallMeter();
    meter.record("kingdee", "BatchSave", call([120]));
    meter.record("kingdee", "BatchSave", call([20, 20, 20, 20], false, 500));
    meter.record("kingdee", "BatchSave", call([60, 100], true, 250));
    expect(meter.stats()).toEqual([
      {
        system: "kingdee",
        operation: "BatchSave",
        calls: 3,
        errors: 1,
        retries: 4,
        // 4 attempts of the failed call and the first of the retried one: none of them hidden by a retry.
        failedAttempts: 5,
        totalMs: 360,
        // Latencies are per attempt and approximate (within 0.5 %); min and max are exact.
        p50Ms: 20,
        p95Ms: 120,
        rateLimitWaitMs: 750,
        latency: { sumMs: 360, minMs: 20, maxMs: 120, buckets: [[20_000, 4], [60_000, 1], [100_000, 1], [120_000, 1]] },
      },
    ]);
    expect(attemptsOf(meter.stats()[0]!)).toBe(7);
  });

  it("counts a call that succeeded after failed attempts as no failed call, and its failed attempts all the same", () => {
    const meter = new CallMeter();
    for (let i = 0; i < 10; i++) meter.record("banniu", "task.update", call(i < 3 ? [5, 5] : [5]));
    expect(meter.stats()[0]).toMatchObject({ calls: 10, errors: 0, retries: 3, failedAttempts: 3 });
  });

  it("sorts by system, then operation", () => {
    const meter = new CallMeter();
    const sample = call([1]);
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
    const sample = call([1]);
    meter.record("a b", "c", sample);
    meter.record("a", "b c", sample);
    expect(meter.stats()).toHaveLength(2);
  });

  it("has no stats before any call", () => {
    expect(new CallMeter().stats()).toEqual([]);
  });
});

const distributions: [string, (r: () => number) => number][] = [
  ["uniform 0–1000 ms", (r) => r() * 1000],
  ["exponential, mean 200 ms", (r) => -Math.log(1 - r()) * 200],
  ["log-normal around 150 ms", (r) => Math.exp(Math.log(150) + 0.8 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))],
  ["sub-millisecond", (r) => r() * 0.3],
  ["minutes-long timeouts", (r) => 60_000 + r() * 240_000],
  ["hours-long (past 2^31 µs)", (r) => 2_400_000 + r() * 7_000_000],
  ["around 2^31 µs", (r) => 2 ** 31 / 1000 + (r() - 0.5) * 100],
  ["constant", () => 42],
  ["bimodal: fast reads, slow writes", (r) => (r() < 0.9 ? 20 + r() * 10 : 2000 + r() * 3000)],
];

describe("Histogram percentiles", () => {
  const n = 10_000;

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
      // Half a bucket (1/200 of the value) plus rounding to whole microseconds.
      expect(Math.abs(histogram.quantile(p) - exact)).toBeLessThanOrEqual(exact / 200 + 0.0005);
    }
  });

  it.each([
    ["negative", -5, 0],
    ["NaN", Number.NaN, 0],
    ["zero", 0, 0],
    ["a year (beyond the range)", 365 * 86_400_000, 10_000_000],
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

describe("Histogram merging and bounds", () => {
  it.each(distributions)("%s: runs merged from their stored buckets answer as one histogram of every value", (_, draw) => {
    const random = seeded(77);
    const all = new Histogram();
    const runs = [new Histogram(), new Histogram(), new Histogram()];
    for (let i = 0; i < 3000; i++) {
      const v = draw(random) * (i % 3 === 2 ? 3 : 1);
      all.record(v);
      runs[i % 3]!.record(v);
    }
    const merged = Histogram.of(...runs.map((h) => h.toStored()));
    expect(merged.toStored()).toEqual(all.toStored());
    expect(merged.count).toBe(3000);
    for (const p of [0.01, 0.5, 0.95, 1]) expect(merged.quantile(p)).toBe(all.quantile(p));
  });

  it("takes the percentile of all calls, not of the worst run", () => {
    // Run 1: 99 fast calls and 1 slow; run 2: 1 slow call. The worst run's p95 is the slow one.
    const one = new Histogram();
    for (let i = 0; i < 99; i++) one.record(10);
    one.record(900);
    const two = new Histogram();
    two.record(900);
    expect(Math.max(one.quantile(0.95), two.quantile(0.95))).toBe(900);
    expect(Histogram.of(one.toStored(), two.toStored()).quantile(0.95)).toBe(10);
  });

  it.each([0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 0.999, 999, 1230])(
    "%s ms is a bucket bound, so counts up to it are exact",
    (bound) => {
      expect(isBucketBound(bound)).toBe(true);
      const h = new Histogram();
      h.record(bound);
      h.record(bound + 0.001);
      h.record(bound * 1.004);
      expect(h.countAtMost(bound)).toBe(1);
      expect(h.count).toBe(3);
    },
  );

  it.each([0.0005, 1.2345, 12_345, 99_999.9])("%s ms is no bucket bound", (ms) => {
    expect(isBucketBound(ms)).toBe(false);
  });
});
