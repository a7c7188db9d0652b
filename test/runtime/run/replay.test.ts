import { afterEach, describe, expect, it } from "vitest";
import { CallError } from "../../../runtime/faults.js";
import { memoryBench, memoryFlow, MemoryTarget, numbered, PagedSource, type MemoryBench } from "../../support/memory-systems.js";
import { ferry } from "../../support/io.js";

let bench: MemoryBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const flow = memoryFlow({ batch: 10, size: 10 });

/** Four records the target refused on their first run: four open letters. */
async function lettered(target: MemoryTarget): Promise<MemoryBench> {
  const t = (bench = memoryBench());
  target.refuseRow = () => "temporarily refused";
  const summary = await t.run(flow, new PagedSource([numbered(4)]), target);
  expect(summary).toMatchObject({ status: "dead-letters", deadLettered: 4 });
  target.refuseRow = () => null;
  return t;
}

const counts = (target: MemoryTarget) => Object.fromEntries([...new Set(target.writes)].map((c) => [c, target.writes.filter((w) => w === c).length]));

describe("a replay interrupted while writing, replayed again", () => {
  it("does not send again what the target confirms it holds: each letter is written once and resolved", async () => {
    const target = new MemoryTarget(true);
    const t = await lettered(target);
    target.crash = "after";
    await expect(t.replay(flow, target)).rejects.toThrow("killed after the write landed");
    expect(await t.store.pending("f")).toHaveLength(4);

    const again = await t.replay(flow, target);
    expect(again).toMatchObject({ recovered: 4, attempted: 0, written: 0, failed: [] });
    expect(counts(target)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1 });
    expect(await t.openLetters()).toEqual([]);
    expect(await t.store.pending("f")).toEqual([]);
    expect(t.logs).toContain("found 4 unconfirmed writes from an interrupted run: 4 confirmed by the target");
  });

  it("sends, once, what the target confirms it does not hold: the letters stayed open", async () => {
    const target = new MemoryTarget(true);
    const t = await lettered(target);
    target.crash = "before";
    await expect(t.replay(flow, target)).rejects.toThrow("killed before the write landed");

    const again = await t.replay(flow, target);
    expect(again).toMatchObject({ recovered: 0, attempted: 4, written: 4, failed: [] });
    expect(counts(target)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1 });
    expect(await t.openLetters()).toEqual([]);
    expect(t.logs).toContain(
      "found 4 unconfirmed writes from an interrupted run: 0 confirmed by the target, 4 not held by the target: they will be written when their records are read again or their dead letters replayed (an interrupted --from/--to backfill needs the same range again)",
    );
  });

  it("sends nothing when the target cannot be asked; the letters stay open for the next replay", async () => {
    const target = new MemoryTarget(true);
    const t = await lettered(target);
    target.crash = "after";
    await expect(t.replay(flow, target)).rejects.toThrow();
    const writes = target.writeCalls;
    target.lookupFails = new CallError("http /dst lookup", "rejected", "lookup is down");
    await expect(t.replay(flow, target)).rejects.toThrow(
      "http /dst lookup: lookup is down; 4 writes of an interrupted run are unconfirmed and cannot be checked now, so nothing was sent",
    );
    expect(target.writeCalls).toBe(writes);
    expect(await t.openLetters()).toHaveLength(4);

    target.lookupFails = null;
    expect(await t.replay(flow, target)).toMatchObject({ recovered: 4, written: 0 });
    expect(counts(target)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1 });
  });

  it("says so when the target cannot confirm writes, and sends them again", async () => {
    const target = new MemoryTarget(false);
    const t = await lettered(target);
    target.crash = "after";
    await expect(t.replay(flow, target)).rejects.toThrow();
    expect(await t.replay(flow, target)).toMatchObject({ recovered: 0, written: 4 });
    expect(t.logs).toContain(
      "found 4 unconfirmed writes from an interrupted run: 0 confirmed by the target, 4 cannot be confirmed (the target cannot say which rows it holds): they will be sent again when their records are read again or their dead letters replayed, so they may be written twice",
    );
  });

  it("a run after an interrupted replay settles its writes too, and resolves their letters", async () => {
    const target = new MemoryTarget(true);
    const t = await lettered(target);
    target.crash = "after";
    await expect(t.replay(flow, target)).rejects.toThrow();
    const summary = await t.run(flow, new PagedSource([numbered(4)]), target);
    expect(summary).toMatchObject({ status: "ok", recovered: 4, written: 0, unchanged: 4 });
    expect(counts(target)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1 });
    expect(await t.openLetters()).toEqual([]);
  });
});

describe("a letter that fails again", () => {
  it("keeps the latest reason and every attempt, and ferry status shows the latest", async () => {
    const target = new MemoryTarget(true);
    const t = await lettered(target);
    target.refuseRow = (row) => (row.code === "2" ? "customer 2 is locked" : null);
    const replayed = await t.replay(flow, target);
    expect(replayed).toMatchObject({ attempted: 4, written: 3, failed: [{ sourceId: "2", reason: "customer 2 is locked" }] });

    const [letter, ...others] = await t.store.deadLetters("f", { unresolvedOnly: true });
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ sourceId: "2", stage: "write", reason: "customer 2 is locked", runId: replayed.runId });
    const attempts = await t.store.deadLetterAttempts(letter!.id);
    expect(attempts.map((a) => [a.stage, a.reason, a.runId])).toEqual([
      ["write", "temporarily refused", 1],
      ["write", "customer 2 is locked", replayed.runId],
    ]);

    // A mapping that now fails the row is an attempt too, at its own stage.
    const strict = memoryFlow({ batch: 10, size: 10, rules: 'check {\n  name != "n2" "n2 is not a name"\n}\n' });
    const third = await t.replay(strict, target);
    expect(third.failed).toEqual([{ id: letter!.id, sourceId: "2", reason: "n2 is not a name" }]);
    expect((await t.store.deadLetterAttempts(letter!.id)).map((a) => [a.stage, a.reason])).toEqual([
      ["write", "temporarily refused"],
      ["write", "customer 2 is locked"],
      ["check", "n2 is not a name"],
    ]);

    const status = await ferry(["status", "f", "--dead-letters"], { env: { FERRY_STATE_DIR: t.store.location.replace(/\/state\.db$/, ""), NO_COLOR: "1" } });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`\\n {2}\\[${letter!.id}\\] check "2": n2 is not a name {2}\\(failed 3 times, last .+ in run #${third.runId}\\)\\n`));
  });
});

describe("a long replay", () => {
  it("beats the flow's lock as it goes, so it is never taken for one left behind", async () => {
    const target = new MemoryTarget(true);
    const t = (bench = memoryBench());
    target.refuseRow = () => "temporarily refused";
    await t.run(memoryFlow({ batch: 1, size: 10 }), new PagedSource([numbered(4)]), target);
    target.refuseRow = () => null;
    const beats: number[] = [];
    target.onWrite = async () => {
      const holder = await t.store.lockFlow("f", { token: "probe", pid: 1, host: "elsewhere", since: 0, beat: 0 }, () => true);
      beats.push(holder!.beat);
      await t.clock.advance(61_000);
    };
    const started = t.clock.now();
    expect(await t.replay(memoryFlow({ batch: 1, size: 10 }), target)).toMatchObject({ written: 4 });
    expect(beats).toEqual([started, started + 61_000, started + 122_000, started + 183_000]);
  });
});
