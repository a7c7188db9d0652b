import { afterEach, describe, expect, it } from "vitest";
import { CallError } from "../../../runtime/faults.js";
import { memoryBench, memoryFlow, MemoryTarget, numbered, PagedSource, type MemoryBench } from "../../support/memory-systems.js";

let bench: MemoryBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** Retries as the seed flows have them: 3 retries, so 4 attempts per call. */
const flow = memoryFlow({ batch: 10, size: 10, retry: "3 backoff 1s..30s" });
const timeout = () => new CallError("http /dst", "timeout", "no answer within 1 s");

describe("a write whose answer was lost", () => {
  it("asks the target what landed before sending again, and sends nothing it holds", async () => {
    const t = (bench = memoryBench());
    const target = new MemoryTarget(true);
    target.loseAnswers = 1;
    const summary = await t.run(flow, new PagedSource([numbered(4)]), target);
    expect(summary).toMatchObject({ status: "ok", written: 4 });
    expect([target.writeCalls, target.lookupCalls, target.writes.length]).toEqual([1, 1, 4]);
  });

  it("when the lookup fails too, retries the lookup in its own loop only and ends the write there", async () => {
    const t = (bench = memoryBench());
    const target = new MemoryTarget(true);
    target.failures.push(timeout());
    target.lookupFails = new CallError("http /dst lookup", "server", "answered HTTP 503");
    const summary = await t.run(flow, new PagedSource([numbered(4)]), target);
    expect(summary.status).toBe("failed");
    // One write attempt, then one lookup call of 4 attempts: never a retry loop inside a retry loop.
    expect([target.writeCalls, target.lookupCalls]).toEqual([1, 4]);
    expect(summary.error).toBe(
      "f: http /dst: no answer within 1 s; asking the target which rows landed failed too (http /dst lookup: answered HTTP 503 (after 4 attempts)), so nothing was sent again",
    );
    expect(summary.error?.match(/after \d+ attempts/g)).toHaveLength(1);
    // The rows stay pending: the next run asks again before sending.
    expect(await t.store.pending("f")).toHaveLength(4);
    target.lookupFails = null;
    expect(await t.run(flow, new PagedSource([numbered(4)]), target)).toMatchObject({ status: "ok", written: 4 });
    expect(target.writes).toEqual(["1", "2", "3", "4"]);
  });
});

describe("a wait the system asks for", () => {
  it("is waited and told when it is within what the flow agreed to", async () => {
    const t = (bench = memoryBench());
    const target = new MemoryTarget(true);
    target.failures.push(new CallError("http /dst", "throttled", "answered HTTP 429", { retryAfterMs: 45_000 }));
    const before = t.clock.now();
    const summary = await t.run(flow, new PagedSource([numbered(4)]), target);
    expect(summary).toMatchObject({ status: "ok", written: 4 });
    expect(t.clock.now() - before).toBeGreaterThanOrEqual(45_000);
    expect(t.logs).toContain("http /dst: the system asks to wait 45 s (answered HTTP 429); waiting 45 s before attempt 2");
  });

  it("fails the call at once, naming the wait and the setting, when it is longer", async () => {
    const t = (bench = memoryBench());
    const target = new MemoryTarget(true);
    target.failures.push(new CallError("http /dst", "throttled", "answered HTTP 429", { retryAfterMs: 86_400_000 }));
    const before = t.clock.now();
    const summary = await t.run(flow, new PagedSource([numbered(4)]), target);
    expect(summary.status).toBe("failed");
    expect(summary.error).toBe("f: http /dst: answered HTTP 429; the system asks to wait 86400 s before the next call, longer than ferry waits for any call (3600 s); run the flow again once that time has passed");
    expect(target.writeCalls).toBe(1);
    expect(t.clock.now() - before).toBeLessThan(1000);
  });
});
