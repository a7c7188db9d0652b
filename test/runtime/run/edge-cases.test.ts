import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { renderSummary } from "../../../cli/progress.js";
import type { SourceConnector } from "../../../runtime/connector.js";
import { describeFailure } from "../../../runtime/run/run-flow.js";
import { isUnstorable, UNSTORABLE } from "../../../runtime/state/storable.js";
import { memoryBench, MemoryTarget as Target, memoryFlow as flow, PagedSource, type MemoryBench } from "../../support/memory-systems.js";

let bench: MemoryBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

function setup(): MemoryBench {
  return (bench = memoryBench());
}

describe("a record read more than once in a run", () => {
  it("is written once when a batch is sent between its two readings", async () => {
    const t = setup();
    const target = new Target();
    const summary = await t.run(flow({ batch: 2 }), new PagedSource([[{ id: 1, name: "a" }, { id: 2, name: "b" }, { id: 1, name: "a" }]]), target);
    expect(summary).toMatchObject({ status: "ok", read: 3, written: 2, unchanged: 0, repeated: 1 });
    expect(target.writes).toEqual(["1", "2"]);
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, cwd: ".", env: { NO_COLOR: "1" }, isTTY: false };
    expect(renderSummary(io, summary)).toContain("\n  1 records were read again under an id already read in this run (the source's pages shifted); each id was written once, in the version read last\n");
  });

  it("is written once across pages, in its latest version", async () => {
    const t = setup();
    const target = new Target();
    const pages = [
      [{ id: 1, name: "a" }, { id: 2, name: "b" }, { id: 3, name: "c" }],
      [{ id: 4, name: "d" }, { id: 1, name: "a" }, { id: 5, name: "e" }],
      [{ id: 5, name: "e2" }],
    ];
    const summary = await t.run(flow({ batch: 4 }), new PagedSource(pages), target);
    expect(summary).toMatchObject({ read: 7, written: 5, repeated: 2 });
    expect(target.writes.filter((c) => c === "1")).toHaveLength(1);
    expect(target.writes.filter((c) => c === "5")).toHaveLength(1);
    expect(target.held.get("5")).toEqual({ code: "5", name: "e2" });
  });

  it("keeps no dead letter for a version that a later, valid version replaced", async () => {
    const t = setup();
    const target = new Target();
    const f = flow({ batch: 10, rules: 'check {\n  name != "" "name is required"\n}\n' });
    const summary = await t.run(f, new PagedSource([[{ id: 1, name: "" }, { id: 2, name: "b" }, { id: 3, name: "c" }], [{ id: 1, name: "NEW" }]]), target);
    expect(summary).toMatchObject({ status: "ok", written: 3, deadLettered: 0 });
    expect(target.held.get("1")).toEqual({ code: "1", name: "NEW" });
    expect(await t.openLetters()).toEqual([]);
  });

  it("keeps the dead letter when the invalid version is the later one", async () => {
    const t = setup();
    const target = new Target();
    const f = flow({ batch: 10, rules: 'check {\n  name != "" "name is required"\n}\n' });
    await t.run(f, new PagedSource([[{ id: 1, name: "OLD" }, { id: 2, name: "b" }, { id: 1, name: "" }]]), target);
    expect(await t.openLetters()).toEqual([{ sourceId: "1", stage: "check", record: { id: 1, name: "" } }]);
  });
});

// A regression here would read forever: these tests fail on a short timeout instead of hanging.
describe("any run over records read more than once", () => {
  it("accounts for every record once and ends with the last version of each id", async () => {
    const rule = 'check {\n  name != "" "name is required"\n}\n';
    await fc.assert(
      fc.asyncProperty(
        // Records over a few ids, some with an empty name (they fail the check), in pages of 3.
        fc.array(fc.record({ id: fc.integer({ min: 1, max: 6 }), name: fc.constantFrom("", "a", "b", "c") }), { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 1, max: 5 }),
        async (records, batch) => {
          const pages = Array.from({ length: Math.ceil(records.length / 3) }, (_, i) => records.slice(i * 3, i * 3 + 3));
          // Two pages with the same ids would (rightly) stop the run as a source that ignores paging.
          const idSets = pages.map((p) => p.map((r) => r.id).sort().join(","));
          fc.pre(new Set(idSets).size === idSets.length);
          const t = memoryBench();
          try {
            const target = new Target();
            const summary = await t.run(flow({ batch, rules: rule }), new PagedSource(pages), target);
            expect(summary.read).toBe(records.length);
            expect(summary.written + summary.unchanged + summary.deadLettered + summary.repeated).toBe(records.length);
            const last = new Map(records.map((r) => [String(r.id), r.name]));
            const letters = new Set((await t.openLetters()).map((l) => l.sourceId));
            for (const [id, name] of last) {
              if (name === "") expect(letters.has(id), `id ${id}`).toBe(true);
              else {
                expect(target.held.get(id), `id ${id}`).toEqual({ code: id, name });
                expect(letters.has(id), `id ${id}`).toBe(false);
              }
            }
          } finally {
            await t.close();
          }
        },
      ),
      { numRuns: 40, seed: 4 },
    );
  });
});

describe("stopping early stops the reader", { timeout: 10_000 }, () => {
  it("--limit reads no further than the pages it needs", async () => {
    const t = setup();
    const source = new PagedSource(Array.from({ length: 50 }, (_, p) => [0, 1, 2].map((i) => ({ id: p * 3 + i, name: "n" }))));
    const summary = await t.run(flow({ batch: 10 }), source, new Target(), { limit: 2 });
    expect(summary).toMatchObject({ status: "ok", read: 2, written: 2 });
    // The page used, plus at most the pages read ahead meanwhile.
    expect(source.calls).toBeLessThanOrEqual(3);
  });

  it("--limit ends a run over a source that never ends", async () => {
    const t = setup();
    const source = new PagedSource("endless");
    const summary = await t.run(flow({ batch: 10 }), source, new Target(), { limit: 5 });
    expect(summary).toMatchObject({ status: "ok", read: 5, written: 5 });
    expect(source.calls).toBeLessThanOrEqual(4);
  });

  it("a write refused as a whole fails the run over a source that never ends", async () => {
    const t = setup();
    const source = new PagedSource("endless");
    const target = new Target();
    target.refuseBatch = "400 unknown field";
    const summary = await t.run(flow({ batch: 2 }), source, target);
    expect(summary.status).toBe("failed");
    expect(summary.error).toContain("400 unknown field");
    expect(source.calls).toBeLessThanOrEqual(4);
  });
});

describe("records that cannot be written", () => {
  it("keeps one dead letter per record without an id", async () => {
    const t = setup();
    const pages = [[{ name: "x1" }, { id: 1, name: "a" }, { name: "x2" }], [{ id: 2, name: "b" }, { name: "x3" }]];
    const summary = await t.run(flow({ batch: 1 }), new PagedSource(pages), new Target());
    expect(summary).toMatchObject({ status: "dead-letters", written: 2, deadLettered: 3 });
    const letters = await t.openLetters();
    expect(letters.map((l) => l.record)).toEqual([{ name: "x1" }, { name: "x2" }, { name: "x3" }]);
    expect(new Set(letters.map((l) => l.sourceId)).size).toBe(3);
    expect(letters.every((l) => l.sourceId.startsWith("(no id) ") && l.stage === "map")).toBe(true);
  });

  it("does not write a record without an id on replay either", async () => {
    const t = setup();
    const target = new Target();
    await t.run(flow(), new PagedSource([[{ name: "x1" }]]), target);
    const replayed = await t.replay(flow(), target);
    expect(replayed).toMatchObject({ attempted: 1, written: 0 });
    expect(replayed.failed[0]?.reason).toBe("the record has no id at `id`");
    expect(target.writes).toEqual([]);
  });

  it("dead-letters a record whose JSONata field fails, with JSONata's message, and writes the rest", async () => {
    const t = setup();
    const target = new Target();
    const f = flow({ batch: 10, fields: '  qty : number <- jsonata "$number(qty)"\n' });
    const summary = await t.run(f, new PagedSource([[{ id: 1, name: "a", qty: "1" }, { id: 2, name: "b", qty: "abc" }, { id: 3, name: "c", qty: "3" }]]), target);
    expect(summary).toMatchObject({ status: "dead-letters", written: 2, deadLettered: 1 });
    expect(target.writes).toEqual(["1", "3"]);
    const [letter] = await t.store.deadLetters("f", { unresolvedOnly: true });
    expect(letter).toMatchObject({ sourceId: "2", stage: "map" });
    expect(letter?.reason).toMatch(/^JSONata D3030: .*"abc"/);
  });

  it("evaluates JSONata fields when replaying", async () => {
    const t = setup();
    const target = new Target();
    target.refuseRow = (row) => (row.code === "2" ? "temporarily refused" : null);
    const f = flow({ batch: 10, fields: '  upper : string <- jsonata "$uppercase(name)"\n' });
    await t.run(f, new PagedSource([[{ id: 1, name: "a" }, { id: 2, name: "b" }]]), target);
    target.refuseRow = () => null;
    expect(await t.replay(f, target)).toMatchObject({ written: 1, failed: [] });
    expect(target.held.get("2")).toEqual({ code: "2", name: "b", upper: "B" });
  });
});

describe("paging guards", () => {
  /** A source that ignores the page parameter and serves `pageFor(call)` on each call, forever. */
  const ignoring = (pageFor: (call: number) => readonly unknown[]): SourceConnector & { calls: number } => ({
    calls: 0,
    async read() {
      return { records: pageFor(this.calls++), total: null, cursor: null };
    },
  });
  const records = (ids: readonly number[]) => ids.map((id) => ({ id, name: `n${id}` }));

  it("stops a source that repeats its page in a different order", async () => {
    const t = setup();
    const summary = await t.run(flow(), ignoring((call) => records(call % 2 ? [3, 1, 2] : [1, 2, 3])), new Target());
    expect(summary.status).toBe("failed");
    expect(summary.error).toMatch(/page 2 repeats the page before it \(3 records with the same ids\): the source ignores `page`/);
  });

  it("stops a source that cycles through pages", async () => {
    const t = setup();
    const summary = await t.run(flow(), ignoring((call) => records(call % 2 ? [4, 5, 6] : [1, 2, 3])), new Target());
    expect(summary.status).toBe("failed");
    expect(summary.error).toMatch(/page 3 repeats page 1 /);
  });

  it("reads on through pages of different records that have no id", async () => {
    const t = setup();
    const pages = [[{ name: "a" }, { name: "b" }, { name: "c" }], [{ name: "d" }, { name: "e" }, { name: "f" }], [{ id: 1, name: "g" }]];
    const summary = await t.run(flow(), new PagedSource(pages), new Target());
    expect(summary).toMatchObject({ status: "dead-letters", read: 7, written: 1, deadLettered: 6 });
  });
});

describe("a record nested too deeply to serialise", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = [deep];
  const withArray = flow({ batch: 10, fields: "  deep : array? <- deep\n" });

  const tooDeep = "the record is nested too deeply to map or store (Maximum call stack size exceeded)";
  it.each([
    ["in a field the flow maps", { id: 2, name: "b", deep }, "2", tooDeep],
    ["without an id", { name: "b", deep }, /^\(no id\) [0-9a-f]{12}$/, "the record has no id at `id`"],
    // An array identifies nothing, however deep: it is refused as an id before anything recurses into it.
    ["as its id", { id: deep, name: "b" }, /^\(no id\) [0-9a-f]{12}$/, "the record's id at `id` is an array, not a string or a number"],
  ])("%s is one dead letter, the rest of its page is written, and replay refuses what was not kept", async (_what, record, sourceId, reason) => {
    const t = setup();
    const target = new Target();
    const pages = [[{ id: 1, name: "a" }, record, { id: 3, name: "c" }], [{ id: 4, name: "d" }]];
    for (let run = 0; run < 2; run++) {
      const summary = await t.run(withArray, new PagedSource(pages), target);
      expect(summary).toMatchObject({ status: "dead-letters", read: 4, deadLettered: 1, error: null });
    }
    expect(target.writes).toEqual(["1", "3", "4"]);
    const [letter, ...more] = await t.store.deadLetters("f", { unresolvedOnly: true });
    expect(more).toEqual([]);
    expect(letter).toMatchObject({ sourceId: expect.stringMatching(sourceId), stage: "map", reason });
    expect(isUnstorable(letter!.record)).toBe(true);
    expect(letter!.record).toMatchObject({ [UNSTORABLE]: "the record is nested too deeply to store; only its beginning is kept", preview: expect.stringMatching(/^\{"(id|name)":/) });

    const replayed = await t.replay(withArray, target);
    expect(replayed).toMatchObject({ attempted: 1, written: 0 });
    expect(replayed.failed[0]?.reason).toBe("the record is nested too deeply to store; only its beginning is kept, so it cannot be replayed: fix it at the source and run the flow again");
    expect(target.writes).toEqual(["1", "3", "4"]);
  });

  it("is kept as a placeholder when the target refuses it", async () => {
    const t = setup();
    const target = new Target();
    target.refuseRow = (row) => (row.code === "2" ? "name is taken" : null);
    const summary = await t.run(flow({ batch: 10 }), new PagedSource([[{ id: 1, name: "a" }, { id: 2, name: "b", deep }]]), target);
    expect(summary).toMatchObject({ status: "dead-letters", written: 1, deadLettered: 1 });
    const [letter] = await t.store.deadLetters("f", { unresolvedOnly: true });
    expect(letter).toMatchObject({ sourceId: "2", stage: "write", reason: "name is taken", row: { code: "2", name: "b" } });
    expect(isUnstorable(letter!.record)).toBe(true);
  });
});

describe("describeFailure", () => {
  it("names a value nested too deeply instead of quoting the engine", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    let error: unknown;
    try {
      JSON.stringify(deep);
    } catch (e) {
      error = e;
    }
    expect(describeFailure("f", error)).toBe("f: a value is nested too deeply to handle (Maximum call stack size exceeded); nothing was checkpointed past it");
  });
});

describe("windows", () => {
  it("reads up to now when --to is later, so the checkpoint never passes now", async () => {
    const t = setup();
    const now = t.clock.now();
    const summary = await t.run(flow({ window: true }), new PagedSource([[{ id: 1, name: "a" }]]), new Target(), { from: "2024-09-07 00:00:00", to: "2024-09-10 00:00:00" });
    expect(summary.status).toBe("ok");
    expect(summary.warnings).toContain("--to 2024-09-10 00:00:00 is later than now; reading up to now, so the checkpoint does not pass it");
    expect(Number(await t.store.checkpoint("f"))).toBe(now);
  });
});
