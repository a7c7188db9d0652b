import { describe, expect, it } from "vitest";
import { FakeClock } from "../../runtime/fake-clock.js";
import { CallError, type FaultKind } from "../../runtime/faults.js";
import { backoffCap, MAX_RETRY_AFTER_MS, retryAfterCeiling, withRetry } from "../../runtime/retry.js";
import { seededRandom as seeded } from "../../runtime/random.js";

const CALL = "kingdee BatchSave";


/** A call that fails with `faults` in turn, then answers "ok"; counts and times its attempts. */
function flaky(clock: FakeClock, faults: readonly (CallError | Error)[]) {
  const at: number[] = [];
  const call = async (attempt: number) => {
    at.push(clock.now());
    expect(attempt).toBe(at.length);
    const fault = faults[attempt - 1];
    if (fault !== undefined) throw fault;
    return "ok";
  };
  return { call, at };
}

const fault = (kind: FaultKind, retryAfterMs?: number) =>
  new CallError(CALL, kind, `${kind} fault`, retryAfterMs === undefined ? {} : { retryAfterMs });

describe("backoffCap", () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [30, 1000],
  ])("after attempt %i the cap is %i ms (min 100, max 1000)", (attempt, cap) => {
    expect(backoffCap(attempt, { attempts: 9, minMs: 100, maxMs: 1000 })).toBe(cap);
  });
});

describe("withRetry", () => {
  it("answers at once when the first call succeeds", async () => {
    const clock = new FakeClock();
    const { call } = flaky(clock, []);
    await expect(withRetry(call, { attempts: 3, minMs: 10, maxMs: 100 }, { clock })).resolves.toEqual({
      value: "ok",
      attempts: 1,
      retries: [],
    });
    expect(clock.pending()).toBe(0);
  });

  it.each(["timeout", "network", "throttled", "server", "session", "malformed"] as const)(
    "retries a transient %s fault",
    async (kind) => {
      const clock = new FakeClock({ auto: true });
      const { call, at } = flaky(clock, [fault(kind)]);
      const outcome = await withRetry(call, { attempts: 1, minMs: 100, maxMs: 100 }, { clock, random: () => 0.5 });
      expect(outcome).toEqual({ value: "ok", attempts: 2, retries: [{ kind, waitedMs: 50 }] });
      expect(at).toEqual([0, 50]);
    },
  );

  it("backs off exponentially, bounded by maxMs", async () => {
    const clock = new FakeClock({ auto: true });
    const { call, at } = flaky(clock, Array.from({ length: 6 }, () => fault("server")));
    const told: [FaultKind, number, number][] = [];
    const outcome = await withRetry(
      call,
      { attempts: 6, minMs: 100, maxMs: 1000 },
      { clock, random: () => 1, onRetry: (e, attempt, delay) => told.push([e.kind, attempt, delay]) },
    );
    const delays = [100, 200, 400, 800, 1000, 1000];
    expect(outcome.attempts).toBe(7);
    expect(outcome.retries.map((r) => r.waitedMs)).toEqual(delays);
    expect(told).toEqual(delays.map((d, i) => ["server", i + 1, d]));
    expect(at).toEqual([0, 100, 300, 700, 1500, 2500, 3500]);
  });

  it("uses full jitter: seeded delays lie in [0, cap], spread out, and repeat with the seed", async () => {
    const policy = { attempts: 8, minMs: 1000, maxMs: 20_000 };
    const run = async (seed: number) => {
      const clock = new FakeClock({ auto: true });
      const { call } = flaky(clock, Array.from({ length: 8 }, () => fault("timeout")));
      const outcome = await withRetry(call, policy, { clock, random: seeded(seed) });
      return outcome.retries.map((r) => r.waitedMs);
    };
    const delays = await run(42);
    expect(delays).toHaveLength(8);
    for (const [i, delay] of delays.entries()) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(backoffCap(i + 1, policy));
    }
    // Full jitter, not "cap plus a little": delays fall well below their caps.
    expect(delays.some((d, i) => d < backoffCap(i + 1, policy) / 2)).toBe(true);
    expect(await run(42)).toEqual(delays);
    expect(await run(7)).not.toEqual(delays);
  });

  it.each([
    ["Retry-After above the jitter wins", 5000, 0.5, 5000],
    ["jitter above Retry-After wins", 10, 0.9, 900],
    ["a zero Retry-After is ignored", 0, 0.25, 250],
  ] as const)("honours Retry-After as a minimum: %s", async (_, retryAfterMs, r, expected) => {
    const clock = new FakeClock({ auto: true });
    const { call, at } = flaky(clock, [fault("throttled", retryAfterMs)]);
    const outcome = await withRetry(call, { attempts: 2, minMs: 1000, maxMs: 1000 }, { clock, random: () => r });
    expect(outcome.retries).toEqual([{ kind: "throttled", waitedMs: expected }]);
    expect(at).toEqual([0, expected]);
  });

  it("fails instead of waiting when Retry-After asks for more than an hour, whatever the flow agreed to", async () => {
    const clock = new FakeClock();
    const { call, at } = flaky(clock, [fault("throttled", MAX_RETRY_AFTER_MS + 1000)]);
    const failure = withRetry(call, { attempts: 3, minMs: 10, maxMs: MAX_RETRY_AFTER_MS }, { clock });
    await expect(failure).rejects.toThrow(`${CALL}: throttled fault; the system asks to wait 3601 s before the next call, longer than ferry waits for any call (3600 s); run the flow again once that time has passed`);
    await expect(failure).rejects.toMatchObject({ kind: "throttled" });
    expect(at).toEqual([0]);
    expect(clock.pending()).toBe(0);
  });

  it.each([
    // [backoff max, Retry-After, waits?]: the ceiling is the backoff maximum, at least a minute.
    [30_000, 60_000, true],
    [30_000, 61_000, false],
    [5_000, 45_000, true],
    [600_000, 600_000, true],
    [600_000, 601_000, false],
  ] as const)("with a backoff maximum of %i ms, a Retry-After of %i ms is waited: %s", async (maxMs, retryAfterMs, waits) => {
    expect(retryAfterCeiling({ attempts: 3, minMs: 1000, maxMs })).toBe(Math.max(60_000, maxMs));
    const clock = new FakeClock({ auto: true });
    const { call, at } = flaky(clock, [fault("throttled", retryAfterMs)]);
    const outcome = withRetry(call, { attempts: 3, minMs: 1000, maxMs }, { clock, random: () => 0 });
    if (waits) {
      await expect(outcome).resolves.toMatchObject({ attempts: 2 });
      expect(at).toEqual([0, retryAfterMs]);
    } else {
      await expect(outcome).rejects.toThrow(`the system asks to wait ${retryAfterMs / 1000} s before the next call, longer than this call waits (${Math.max(60_000, maxMs) / 1000} s`);
      expect(at).toEqual([0]);
    }
  });

  it("names the setting that would wait as long as the system asks", async () => {
    const clock = new FakeClock();
    const { call } = flaky(clock, [fault("throttled", 600_000)]);
    await expect(withRetry(call, { attempts: 3, minMs: 1000, maxMs: 30_000 }, { clock })).rejects.toThrow(
      `${CALL}: throttled fault; the system asks to wait 600 s before the next call, longer than this call waits (60 s: the backoff maximum of its \`retry\` setting, at least 1 min); to wait that long, raise the maximum in the flow, e.g. \`retry 3 backoff 1s..10m\``,
    );
  });

  describe("beforeRetry", () => {
    it("runs after the wait and before the next attempt, and may answer instead of it", async () => {
      const clock = new FakeClock({ auto: true });
      const { call, at } = flaky(clock, [fault("timeout"), fault("timeout")]);
      const asked: [FaultKind, number, number][] = [];
      const outcome = await withRetry(call, { attempts: 5, minMs: 100, maxMs: 100 }, {
        clock,
        random: () => 1,
        beforeRetry: async (error, attempt) => {
          asked.push([error.kind, attempt, clock.now()]);
          return attempt === 2 ? { value: "landed" } : undefined;
        },
      });
      expect(outcome).toMatchObject({ value: "landed", attempts: 2 });
      expect(at).toEqual([0, 100]);
      expect(asked).toEqual([["timeout", 1, 100], ["timeout", 2, 200]]);
    });

    it("ends the call with what it throws, never retrying it again", async () => {
      const clock = new FakeClock({ auto: true });
      const { call, at } = flaky(clock, [fault("timeout"), fault("timeout")]);
      const lookupFailed = new CallError("kingdee BatchSave lookup", "server", "MsgCode 4 (after 4 attempts)");
      let asked = 0;
      const failure = withRetry(call, { attempts: 5, minMs: 10, maxMs: 10 }, {
        clock,
        beforeRetry: async () => {
          asked++;
          throw lookupFailed;
        },
      });
      await expect(failure).rejects.toBe(lookupFailed);
      expect(at).toEqual([0]);
      expect(asked).toBe(1);
    });
  });

  it.each([
    ["rejected", fault("rejected")],
    ["credentials", fault("credentials")],
    ["a TypeError (a bug, not a fault)", new TypeError("x is undefined")],
    ["a plain Error", new Error("boom")],
  ] as const)("does not retry %s", async (_, error) => {
    const clock = new FakeClock();
    const { call, at } = flaky(clock, [error]);
    await expect(withRetry(call, { attempts: 5, minMs: 10, maxMs: 100 }, { clock })).rejects.toBe(error);
    expect(at).toEqual([0]);
    expect(clock.pending()).toBe(0);
  });

  it("gives up after attempts + 1 calls, keeping class, kind and call, saying how many attempts", async () => {
    const clock = new FakeClock({ auto: true });
    const last = new CallError(CALL, "server", "MsgCode 4: exception", { retryAfterMs: 7 });
    const { call, at } = flaky(clock, [fault("timeout"), fault("network"), last]);
    const error = await withRetry(call, { attempts: 2, minMs: 10, maxMs: 100 }, { clock, random: () => 0 }).catch((e: unknown) => e);
    expect(at).toHaveLength(3);
    expect(error).toBeInstanceOf(CallError);
    expect(error).toMatchObject({
      kind: "server",
      call: CALL,
      transient: true,
      retryAfterMs: 7,
      message: "kingdee BatchSave: MsgCode 4: exception (after 3 attempts)",
      cause: last,
    });
  });

  it("with no retries allowed, rethrows the transient fault unchanged", async () => {
    const clock = new FakeClock();
    const error = fault("timeout");
    const { call, at } = flaky(clock, [error]);
    await expect(withRetry(call, { attempts: 0, minMs: 10, maxMs: 100 }, { clock })).rejects.toBe(error);
    expect(at).toEqual([0]);
  });

  it("stops waiting the moment the signal aborts", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const { call, at } = flaky(clock, [fault("server"), fault("server")]);
    const retrying = withRetry(call, { attempts: 5, minMs: 60_000, maxMs: 60_000 }, { clock, random: () => 1, signal: controller.signal });
    await clock.advance(1000);
    expect(clock.pending()).toBe(1);
    const reason = new Error("flow cancelled");
    controller.abort(reason);
    await expect(retrying).rejects.toBe(reason);
    expect(clock.pending()).toBe(0);
    expect(at).toEqual([0]);
  });

  it("does not call at all when the signal is already aborted", async () => {
    const clock = new FakeClock();
    const { call, at } = flaky(clock, []);
    const reason = new Error("cancelled before start");
    await expect(withRetry(call, { attempts: 1, minMs: 1, maxMs: 1 }, { clock, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(at).toEqual([]);
  });

  it("retries at once, without the clock, when the jitter comes out zero", async () => {
    const clock = new FakeClock();
    const { call, at } = flaky(clock, [fault("network")]);
    await expect(withRetry(call, { attempts: 1, minMs: 100, maxMs: 100 }, { clock, random: () => 0 })).resolves.toMatchObject({
      attempts: 2,
    });
    expect(at).toEqual([0, 0]);
  });
});
