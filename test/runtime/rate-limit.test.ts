import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../runtime/fake-clock.js";
import { CallError } from "../../runtime/faults.js";
import { RateLimits, TokenBucket } from "../../runtime/rate-limit.js";
import { withRetry } from "../../runtime/retry.js";
import type { RateSpec } from "../../runtime/types.js";

/** Starts a take and records the virtual time it was granted, in the order grants happen. */
function track(bucket: TokenBucket, clock: FakeClock, grants: { id: number; at: number; waited: number }[], id: number) {
  return bucket.take().then((waited) => {
    grants.push({ id, at: clock.now(), waited });
  });
}

describe("TokenBucket settings", () => {
  it.each([
    ["zero count", { count: 0, perMs: 1000 }, {}],
    ["negative perMs", { count: 2, perMs: -1 }, {}],
    ["infinite count", { count: Number.POSITIVE_INFINITY, perMs: 1000 }, {}],
    ["zero burst", { count: 2, perMs: 1000 }, { burst: 0 }],
    ["fractional burst", { count: 2, perMs: 1000 }, { burst: 1.5 }],
  ] as const)("refuses %s", (_, rate, options) => {
    expect(() => new TokenBucket(rate, new FakeClock(), options)).toThrow(RangeError);
  });

  it("defaults to burst 1", () => {
    expect(new TokenBucket({ count: 10, perMs: 1000 }, new FakeClock()).burst).toBe(1);
  });
});

describe("TokenBucket long-run rate", () => {
  // N sequential takes: the first `burst` are free, then one every perMs / count, exactly.
  it.each([
    [{ count: 2, perMs: 1000 }, 1],
    [{ count: 3, perMs: 1000 }, 1],
    [{ count: 7, perMs: 1000 }, 7],
    [{ count: 1000, perMs: 3_600_000 }, 5],
  ] as const)("%o with burst %i takes exactly count per perMs over 1,000 takes", async (rate: RateSpec, burst) => {
    const clock = new FakeClock({ auto: true });
    const bucket = new TokenBucket(rate, clock, { burst });
    const n = 1000;
    let waited = 0;
    for (let i = 0; i < n; i++) waited += await bucket.take();
    const expected = ((n - burst) * rate.perMs) / rate.count;
    expect(clock.now()).toBeCloseTo(expected, 6);
    expect(waited).toBeCloseTo(expected, 6);
  });

  it("keeps the combined rate when concurrent workers share the registry's bucket", async () => {
    const clock = new FakeClock({ auto: true });
    const limits = new RateLimits(clock);
    const rate = { count: 2, perMs: 1000 };
    const worker = async () => {
      // Each worker looks the bucket up itself, as the runtime's workers do.
      const bucket = limits.bucket("banniu/app1/task.list", rate) as TokenBucket;
      for (let i = 0; i < 250; i++) await bucket.take();
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(limits.size).toBe(1);
    expect(clock.now()).toBe(999 * 500);
  });
});

describe("TokenBucket burst", () => {
  it.each([
    [1, [0, 500, 1000, 1500, 2000]],
    [2, [0, 0, 500, 1000, 1500]],
    [3, [0, 0, 0, 500, 1000]],
  ] as const)("burst %i: grants at %o for 2/s", async (burst, expected) => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ count: 2, perMs: 1000 }, clock, { burst });
    const grants: { id: number; at: number; waited: number }[] = [];
    for (let i = 0; i < 5; i++) void track(bucket, clock, grants, i);
    await clock.runAll();
    expect(grants.map((g) => g.at)).toEqual(expected);
    expect(grants.map((g) => g.waited)).toEqual(expected);
  });

  it("refills while idle, up to the burst and no further", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ count: 2, perMs: 1000 }, clock, { burst: 2 });
    await clock.advance(60_000);
    const grants: { id: number; at: number; waited: number }[] = [];
    for (let i = 0; i < 3; i++) void track(bucket, clock, grants, i);
    await clock.runAll();
    expect(grants.map((g) => g.at)).toEqual([60_000, 60_000, 60_500]);
  });
});

describe("TokenBucket fairness", () => {
  it("serves concurrent waiters first come, first served, including late arrivals", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ count: 4, perMs: 1000 }, clock);
    const grants: { id: number; at: number; waited: number }[] = [];
    for (let i = 0; i < 3; i++) void track(bucket, clock, grants, i);
    await clock.advance(300);
    void track(bucket, clock, grants, 3);
    await clock.runAll();
    expect(grants).toEqual([
      { id: 0, at: 0, waited: 0 },
      { id: 1, at: 250, waited: 250 },
      { id: 2, at: 500, waited: 500 },
      { id: 3, at: 750, waited: 450 },
    ]);
    expect(bucket.waiting).toBe(0);
  });

  it("rejects an aborted waiter with the reason; the others keep their slots", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ count: 1, perMs: 100 }, clock);
    await bucket.take();
    const controller = new AbortController();
    const grants: { id: number; at: number; waited: number }[] = [];
    void track(bucket, clock, grants, 1);
    const aborted = bucket.take(controller.signal);
    void track(bucket, clock, grants, 3);
    const reason = new Error("flow stopped");
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    await clock.runAll();
    expect(grants.map((g) => [g.id, g.at])).toEqual([
      [1, 100],
      [3, 200],
    ]);
  });

  it("leaves no timer behind when every waiter aborts", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ count: 1, perMs: 1000 }, clock);
    await bucket.take();
    const controller = new AbortController();
    const waits = [bucket.take(controller.signal), bucket.take(controller.signal)];
    await clock.advance(10);
    expect(clock.pending()).toBe(1);
    controller.abort(new Error("stop"));
    await Promise.allSettled(waits);
    await clock.advance(0);
    expect(clock.pending()).toBe(0);
    expect(bucket.waiting).toBe(0);
    // The aborted takes consumed nothing: the next token is where it was.
    expect(bucket.availableAt()).toBe(1000);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const bucket = new TokenBucket({ count: 1, perMs: 1000 }, new FakeClock());
    await expect(bucket.take(AbortSignal.abort(new Error("no")))).rejects.toThrow("no");
    expect(bucket.availableAt()).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe("TokenBucket pauseUntil", () => {
  it("holds every taker until the pause ends, then resumes at the steady rate without a burst", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ count: 2, perMs: 1000 }, clock, { burst: 3 });
    expect(await bucket.take()).toBe(0);
    bucket.pauseUntil(5000);
    const grants: { id: number; at: number; waited: number }[] = [];
    for (let i = 0; i < 3; i++) void track(bucket, clock, grants, i);
    await clock.runAll();
    expect(grants.map((g) => g.at)).toEqual([5000, 5500, 6000]);
  });

  it("extends a wait already in progress", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ count: 1, perMs: 1000 }, clock);
    await bucket.take();
    const grants: { id: number; at: number; waited: number }[] = [];
    void track(bucket, clock, grants, 1);
    await clock.advance(200);
    bucket.pauseUntil(3000);
    await clock.runAll();
    expect(grants).toEqual([{ id: 1, at: 3000, waited: 3000 }]);
  });

  it.each([
    ["in the past", 500],
    ["before the next token anyway", 800],
    ["not a number", Number.NaN],
  ] as const)("changes nothing for a pause %s", async (_, until) => {
    const clock = new FakeClock(600);
    const bucket = new TokenBucket({ count: 1, perMs: 1000 }, clock);
    await bucket.take();
    bucket.pauseUntil(until);
    expect(bucket.availableAt()).toBe(1600);
  });

  it("a 429 with Retry-After seen by one worker holds the other workers of the operation", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ count: 10, perMs: 1000 }, clock);
    let calls = 0;
    const a = withRetry(
      async () => {
        await bucket.take();
        if (calls++ === 0) throw new CallError("banniu task.list", "throttled", "HTTP 429", { retryAfterMs: 3000 });
        return clock.now();
      },
      { attempts: 3, minMs: 100, maxMs: 1000 },
      { clock, random: () => 0, bucket },
    );
    await clock.advance(10);
    const b = bucket.take().then((waited) => ({ at: clock.now(), waited }));
    await clock.runAll();
    // B asked first, so B gets the first slot after the pause; A's retry the next one.
    await expect(b).resolves.toEqual({ at: 3000, waited: 2990 });
    await expect(a).resolves.toMatchObject({ value: 3100, attempts: 2, retries: [{ kind: "throttled", waitedMs: 3000 }] });
  });
});

describe("RateLimits", () => {
  it("returns the same bucket for the same key, and none without a rate", () => {
    const limits = new RateLimits(new FakeClock(), { burst: 2 });
    const rate = { count: 5, perMs: 1000 };
    const a = limits.bucket("kingdee/u1/BatchSave", rate);
    expect(a).toBeInstanceOf(TokenBucket);
    expect(a?.burst).toBe(2);
    expect(limits.bucket("kingdee/u1/BatchSave", { count: 1, perMs: 1000 })).toBe(a);
    expect(limits.bucket("kingdee/u2/BatchSave", rate)).not.toBe(a);
    expect(limits.bucket("guanyi/k/gy.erp.shop.get", null)).toBeUndefined();
    expect(limits.size).toBe(2);
  });
});

describe("TokenBucket property", () => {
  const scenario = fc.record({
    count: fc.integer({ min: 1, max: 5 }),
    perMs: fc.integer({ min: 50, max: 2000 }),
    burst: fc.integer({ min: 1, max: 4 }),
    // Gaps between successive take calls, as fractions of perMs (0 = several at once).
    gaps: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 3, noNaN: true })), { minLength: 1, maxLength: 30 }),
  });

  it("never grants more than burst + count takes in any window of perMs, and grants in call order", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ count, perMs, burst, gaps }) => {
        const clock = new FakeClock();
        const bucket = new TokenBucket({ count, perMs }, clock, { burst });
        const grants: { id: number; at: number; waited: number }[] = [];
        for (const [id, gap] of gaps.entries()) {
          await clock.advance(gap * perMs);
          void track(bucket, clock, grants, id);
        }
        await clock.runAll();
        expect(grants.map((g) => g.id)).toEqual(gaps.map((_, i) => i));
        const times = grants.map((g) => g.at);
        for (const [i, start] of times.entries()) {
          const closed = times.slice(i).filter((t) => t <= start + perMs + 1e-6).length;
          expect(closed).toBeLessThanOrEqual(burst + count);
          // The sharper GCRA bound: a half-open window holds at most burst + count − 1.
          const open = times.slice(i).filter((t) => t < start + perMs - 1e-6).length;
          expect(open).toBeLessThanOrEqual(burst + count - 1);
        }
      }),
      { numRuns: 100 },
    );
  });
});
