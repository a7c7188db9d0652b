import { describe, expect, it } from "vitest";
import { attemptsOf, CallMeter } from "../../../runtime/call-meter.js";
import { FakeClock } from "../../../runtime/fake-clock.js";
import { CallError } from "../../../runtime/faults.js";
import { seededRandom } from "../../../runtime/random.js";
import { RateLimits } from "../../../runtime/rate-limit.js";
import { Calls, type CallTarget } from "../../../runtime/run/calls.js";

const TARGET: CallTarget = { system: "kingdee", operation: "BatchSave", credential: "c", rate: null, retry: { attempts: 3, minMs: 1000, maxMs: 8000 } };

function calls(): Calls {
  const clock = new FakeClock({ start: 0, auto: true });
  return new Calls(clock, new RateLimits(clock), new CallMeter(), seededRandom(1));
}

/** A call that fails `failures` times with `kind`, then answers. */
function flaky(failures: number, kind: "timeout" | "rejected" = "timeout") {
  let n = 0;
  return async () => {
    if (n++ < failures) throw new CallError("kingdee BatchSave", kind, "injected");
    return "ok";
  };
}

describe("Calls.run counts what the system did", () => {
  it.each([
    // [what happened, failures before an answer, kind, calls failed in the end, failed attempts, retries]
    ["answered at once", 0, "timeout", 0, 0, 0],
    ["answered after two timeouts", 2, "timeout", 0, 2, 2],
    ["timed out on every attempt", 9, "timeout", 1, 4, 3],
    ["refused (not retried)", 1, "rejected", 1, 1, 0],
  ] as const)("%s", async (_, failures, kind, errors, failedAttempts, retries) => {
    const c = calls();
    await c.run(TARGET, flaky(failures, kind)).catch(() => undefined);
    const [stats] = c.meter.stats();
    expect(stats).toMatchObject({ calls: 1, errors, failedAttempts, retries });
    // One latency per attempt, the failed ones included.
    expect(stats!.latency.buckets.reduce((n, [, count]) => n + count, 0)).toBe(attemptsOf(stats!));
  });
});
