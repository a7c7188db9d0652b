import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStateStore, stateDir } from "../../../runtime/state/open.js";
import { Histogram } from "../../../runtime/call-meter.js";
import { SCHEMA_VERSION, SqliteStateStore } from "../../../runtime/state/sqlite.js";
import type { CallStats, CommitUnit, PendingWrite } from "../../../runtime/state/store.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");

let dir: string;
let path: string;
let store: SqliteStateStore;
let clock: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ferry-state-"));
  path = join(dir, "nested", "deeper", "state.db");
  clock = 1_000;
  store = open();
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): SqliteStateStore {
  return SqliteStateStore.open(path, { now: () => clock });
}

function pendingRow(sourceId: string, hash: string, row: unknown = { FNumber: sourceId }): PendingWrite {
  return { sourceId, targetId: null, hash, key: `k-${sourceId}`, updatedAt: 500, row };
}

function unit(runId: number, parts: Partial<CommitUnit> = {}): CommitUnit {
  return { runId, done: [], cleared: [], deadLetters: [], ...parts };
}

const counts = { read: 10, written: 7, unchanged: 2, deadLettered: 1 };

describe("SqliteStateStore.open", () => {
  it("creates the folders and a WAL database at the current schema version", () => {
    expect(existsSync(path)).toBe(true);
    expect(store.location).toBe(path);
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(raw.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      raw.close();
    }
  });

  it("enforces foreign keys: a commit for a run that does not exist fails", async () => {
    await expect(store.commit("f", unit(42, { checkpoint: "x" }))).rejects.toThrow(/FOREIGN KEY/);
    expect(await store.checkpoint("f")).toBeNull();
  });

  it("refuses a database written by a newer schema", async () => {
    await store.close();
    const raw = new Database(path);
    raw.pragma("user_version = 99");
    raw.close();
    // afterEach closes `store` again, which is harmless.
    expect(() => open()).toThrow(`has schema version 99, but this ferry knows only up to ${SCHEMA_VERSION}`);
  });
});

describe("runs", () => {
  it("starts, finishes and lists runs newest first, per flow or all", async () => {
    const a1 = await store.startRun("a", 100, false);
    const b1 = await store.startRun("b", 200, true);
    const a2 = await store.startRun("a", 300, false);
    await store.finishRun(a1, 150, "ok", counts, null);
    await store.finishRun(b1, 250, "failed", { read: 0, written: 0, unchanged: 0, deadLettered: 0 }, "token expired");

    expect(await store.runs("a", 10)).toEqual([
      { id: a2, flow: "a", startedAt: 300, endedAt: null, status: "running", dryRun: false, error: null, read: 0, written: 0, unchanged: 0, deadLettered: 0 },
      { id: a1, flow: "a", startedAt: 100, endedAt: 150, status: "ok", dryRun: false, error: null, ...counts },
    ]);
    expect((await store.runs(undefined, 10)).map((r) => r.id)).toEqual([a2, b1, a1]);
    expect((await store.runs(undefined, 2)).map((r) => r.id)).toEqual([a2, b1]);
    expect(await store.runs("b", 10)).toMatchObject([{ dryRun: true, status: "failed", error: "token expired" }]);
    expect(await store.runs("none", 10)).toEqual([]);
  });

  it("rejects finishing a run that does not exist", async () => {
    await expect(store.finishRun(7, 1, "ok", counts, null)).rejects.toThrow("run 7 does not exist");
  });

  it("lists the union of flows that have any state, sorted", async () => {
    const run = await store.startRun("runs-only", 1, false);
    await store.commit("checkpoint-only", unit(run, { checkpoint: "c" }));
    await store.markPending("pending-only", run, [pendingRow("1", "h")]);
    await store.commit("done-only", unit(run, { done: [{ sourceId: "1", targetId: "t", hash: "h", key: null }] }));
    await store.commit("dead-only", unit(run, { deadLetters: [{ sourceId: "1", stage: "map", reason: "r", record: {}, row: null }] }));
    await store.recordCalls(run, "calls-only", [stats("s", "op", 1)]);
    expect(await store.flows()).toEqual(["checkpoint-only", "dead-only", "done-only", "pending-only", "runs-only"]);
  });
});

describe("write record", () => {
  it("round-trips pending writes with their rows", async () => {
    const run = await store.startRun("f", 1, false);
    const rows: PendingWrite[] = [
      pendingRow("1", "h1", { FName: "客户", nested: { list: [1, "二", null, true] } }),
      { sourceId: "2", targetId: "T-2", hash: "h2", key: null, updatedAt: 600, row: "a plain string" },
    ];
    await store.markPending("f", run, rows);
    expect(await store.pending("f")).toEqual(rows);
    expect(await store.pending("other")).toEqual([]);
    expect((await store.written("f", ["1", "2"])).size).toBe(0);
  });

  it("keeps the confirmed entry in written and the newer unconfirmed one in pending", async () => {
    const run = await store.startRun("f", 1, false);
    await store.markPending("f", run, [pendingRow("1", "old")]);
    await store.commit("f", unit(run, { done: [{ sourceId: "1", targetId: "T1", hash: "old", key: "k" }] }));
    expect(await store.pending("f")).toEqual([]);

    clock = 2_000;
    await store.markPending("f", run, [pendingRow("1", "new")]);
    expect(await store.written("f", ["1"])).toEqual(
      new Map([["1", { sourceId: "1", targetId: "T1", hash: "old", key: "k", updatedAt: 1_000 }]]),
    );
    expect(await store.pending("f")).toEqual([pendingRow("1", "new")]);

    // The target refused the new content: the pending write is settled, the old entry stays.
    await store.commit("f", unit(run, { cleared: ["1"] }));
    expect(await store.pending("f")).toEqual([]);
    expect((await store.written("f", ["1"])).get("1")?.hash).toBe("old");

    await store.markPending("f", run, [pendingRow("1", "newer")]);
    await store.commit("f", unit(run, { done: [{ sourceId: "1", targetId: "T1", hash: "newer", key: "k2" }] }));
    expect(await store.pending("f")).toEqual([]);
    expect((await store.written("f", ["1"])).get("1")).toEqual({ sourceId: "1", targetId: "T1", hash: "newer", key: "k2", updatedAt: 2_000 });
  });

  it("settles a never-confirmed pending write without leaving an entry", async () => {
    const run = await store.startRun("f", 1, false);
    await store.markPending("f", run, [pendingRow("1", "h1"), pendingRow("2", "h2")]);
    await store.commit("f", unit(run, { cleared: ["1", "not-pending"] }));
    expect(await store.pending("f")).toEqual([pendingRow("2", "h2")]);
    expect((await store.written("f", ["1", "2", "not-pending"])).size).toBe(0);
    // Settled again later, it is simply gone, and can be written afresh.
    await store.commit("f", unit(run, { cleared: ["1"], done: [{ sourceId: "1", targetId: null, hash: "h1b", key: null }] }));
    expect((await store.written("f", ["1"])).get("1")?.hash).toBe("h1b");
  });

  it("answers written for 2,000 ids at once, done entries only", async () => {
    const run = await store.startRun("f", 1, false);
    const ids = Array.from({ length: 2_000 }, (_, i) => `id-${i}`);
    const done = ids.filter((_, i) => i % 3 !== 0);
    await store.commit("f", unit(run, { done: done.map((sourceId) => ({ sourceId, targetId: `T-${sourceId}`, hash: `h-${sourceId}`, key: null })) }));
    await store.markPending("f", run, ids.filter((_, i) => i % 3 === 0).map((id) => pendingRow(id, "p")));

    const found = await store.written("f", [...ids, "unknown", ...ids.slice(0, 10)]);
    expect([...found.keys()].sort()).toEqual([...done].sort());
    expect(found.get("id-1")).toEqual({ sourceId: "id-1", targetId: "T-id-1", hash: "h-id-1", key: null, updatedAt: 1_000 });
    expect((await store.written("other-flow", ids)).size).toBe(0);
    expect((await store.written("f", [])).size).toBe(0);
  });

  it("keeps flows apart", async () => {
    const run = await store.startRun("a", 1, false);
    await store.commit("a", unit(run, { done: [{ sourceId: "1", targetId: "A", hash: "ha", key: null }] }));
    await store.commit("b", unit(run, { done: [{ sourceId: "1", targetId: "B", hash: "hb", key: null }] }));
    expect((await store.written("a", ["1"])).get("1")?.targetId).toBe("A");
    expect((await store.written("b", ["1"])).get("1")?.targetId).toBe("B");
  });
});

describe("checkpoints and dead letters", () => {
  it("advances the checkpoint only when a commit carries one", async () => {
    const run = await store.startRun("f", 1, false);
    expect(await store.checkpoint("f")).toBeNull();
    await store.commit("f", unit(run, { checkpoint: "2024-01-01T00:00:00Z" }));
    await store.commit("f", unit(run));
    expect(await store.checkpoint("f")).toBe("2024-01-01T00:00:00Z");
    await store.commit("f", unit(run, { checkpoint: '{"page":3}' }));
    expect(await store.checkpoint("f")).toBe('{"page":3}');
  });

  it("stores dead letters, filters them and resolves them at the current time", async () => {
    const run = await store.startRun("f", 1, false);
    await store.commit("f", unit(run, {
      deadLetters: [
        { sourceId: "1", stage: "map", reason: "not a number", record: { qty: "abc" }, row: undefined },
        { sourceId: "2", stage: "write", reason: "refused", record: { qty: 2 }, row: { FQty: 2 } },
        { sourceId: "1", stage: "check", reason: "again", record: [1, 2], row: null },
      ],
    }));
    await store.commit("g", unit(run, { deadLetters: [{ sourceId: "1", stage: "map", reason: "other flow", record: 1, row: null }] }));

    // A row that fails again keeps one open letter, with the latest reason.
    const all = await store.deadLetters("f", { unresolvedOnly: false });
    expect(all).toEqual([
      { id: all[0]?.id, flow: "f", runId: run, sourceId: "1", stage: "check", reason: "again", record: [1, 2], row: null, createdAt: 1_000, resolvedAt: null },
      { id: all[1]?.id, flow: "f", runId: run, sourceId: "2", stage: "write", reason: "refused", record: { qty: 2 }, row: { FQty: 2 }, createdAt: 1_000, resolvedAt: null },
    ]);
    expect((await store.deadLetters("f", { unresolvedOnly: false, sourceId: "1" })).map((d) => d.reason)).toEqual(["again"]);

    const other = (await store.deadLetters("g", { unresolvedOnly: true }))[0]?.id ?? -1;
    clock = 5_000;
    // An id of another flow is not resolved through this flow.
    await store.commit("f", unit(run, { resolved: [all[1]?.id ?? -1, other] }));
    expect((await store.deadLetters("f", { unresolvedOnly: true })).map((d) => d.sourceId)).toEqual(["1"]);
    expect((await store.deadLetters("f", { unresolvedOnly: false, sourceId: "2" }))[0]?.resolvedAt).toBe(5_000);
    expect(await store.deadLetters("g", { unresolvedOnly: true })).toHaveLength(1);

    clock = 6_000;
    await store.commit("f", unit(run, { resolved: [all[1]?.id ?? -1] }));
    expect((await store.deadLetters("f", { unresolvedOnly: false, sourceId: "2" }))[0]?.resolvedAt).toBe(5_000);

    // Writing the row at last settles its open letter.
    clock = 7_000;
    await store.commit("f", unit(run, { done: [{ sourceId: "1", targetId: "T1", hash: "h", key: null }] }));
    expect(await store.deadLetters("f", { unresolvedOnly: true })).toEqual([]);
    expect((await store.deadLetters("f", { unresolvedOnly: false, sourceId: "1" }))[0]?.resolvedAt).toBe(7_000);
  });

  it("keeps every failure of a letter's row as an attempt, oldest first; a row failing after its letter was resolved starts a new letter", async () => {
    const first = await store.startRun("f", 1, false);
    const second = await store.startRun("f", 2, false);
    await store.commit("f", unit(first, { deadLetters: [{ sourceId: "1", stage: "write", reason: "refused", record: {}, row: null }] }));
    clock = 2_000;
    await store.commit("f", unit(second, { deadLetters: [{ sourceId: "1", stage: "check", reason: "name is required", record: {}, row: null }] }));
    const [letter] = await store.deadLetters("f", { unresolvedOnly: true });
    expect(letter).toMatchObject({ runId: second, stage: "check", reason: "name is required", createdAt: 2_000 });
    expect(await store.deadLetterAttempts(letter!.id)).toEqual([
      { at: 1_000, stage: "write", reason: "refused", runId: first },
      { at: 2_000, stage: "check", reason: "name is required", runId: second },
    ]);

    await store.commit("f", unit(second, { done: [{ sourceId: "1", targetId: "T1", hash: "h", key: null }] }));
    clock = 3_000;
    await store.commit("f", unit(second, { deadLetters: [{ sourceId: "1", stage: "write", reason: "locked", record: {}, row: null }] }));
    const [next] = await store.deadLetters("f", { unresolvedOnly: true });
    expect(next!.id).not.toBe(letter!.id);
    expect(await store.deadLetterAttempts(next!.id)).toEqual([{ at: 3_000, stage: "write", reason: "locked", runId: second }]);
    expect(await store.deadLetterAttempts(letter!.id)).toHaveLength(2);
  });
});

describe("commit atomicity", () => {
  // A cycle has no JSON text (a BigInt does: integers beyond 2^53 are stored with every digit).
  const poison: Record<string, unknown> = {};
  poison.self = poison;
  it.each<[string, RegExp, (run: number) => Partial<CommitUnit>]>([
    ["a dead letter record cannot be stored", /circular/i, () => ({ deadLetters: [
      { sourceId: "d1", stage: "write", reason: "ok", record: {}, row: null },
      { sourceId: "d2", stage: "write", reason: "bad", record: poison, row: null },
    ] })],
    ["a dead letter row cannot be stored", /circular/i, () => ({ deadLetters: [{ sourceId: "d1", stage: "map", reason: "bad", record: {}, row: [poison] }] })],
    ["the checkpoint cannot be bound", /parameter/, () => ({ checkpoint: { not: "text" } as unknown as string })],
    ["the run does not exist", /FOREIGN KEY/, (run) => ({ runId: run + 100 })],
  ])("stores nothing of a commit when %s", async (_, error, failing) => {
    const run = await store.startRun("f", 1, false);
    await store.markPending("f", run, [pendingRow("1", "h1"), pendingRow("2", "h2")]);
    await store.commit("f", unit(run, { checkpoint: "before", deadLetters: [{ sourceId: "x", stage: "map", reason: "earlier", record: {}, row: null }] }));
    const earlier = (await store.deadLetters("f", { unresolvedOnly: true }))[0]?.id ?? -1;

    await expect(store.commit("f", unit(run, {
      done: [{ sourceId: "1", targetId: "T1", hash: "h1", key: null }],
      cleared: ["2"],
      resolved: [earlier],
      checkpoint: "after",
      ...failing(run),
    }))).rejects.toThrow(error);

    expect((await store.written("f", ["1", "2"])).size).toBe(0);
    expect((await store.pending("f")).map((p) => p.sourceId)).toEqual(["1", "2"]);
    expect(await store.deadLetters("f", { unresolvedOnly: false })).toMatchObject([{ id: earlier, resolvedAt: null }]);
    expect(await store.checkpoint("f")).toBe("before");
  });

  it("stores nothing of a markPending batch with a row that cannot be stored", async () => {
    const run = await store.startRun("f", 1, false);
    const rows = Array.from({ length: 100 }, (_, i) => pendingRow(`${i}`, "h", i === 50 ? poison : {}));
    await expect(store.markPending("f", run, rows)).rejects.toThrow(/circular/i);
    expect(await store.pending("f")).toEqual([]);
  });
});

/** Stats of `calls` calls whose attempts took `latencies` ms (default: one of 10 ms per call). */
function stats(system: string, operation: string, calls: number, latencies: readonly number[] = new Array<number>(calls).fill(10)): CallStats {
  const histogram = new Histogram();
  for (const ms of latencies) histogram.record(ms);
  const latency = histogram.toStored();
  return {
    system,
    operation,
    calls,
    errors: 1,
    retries: 2,
    failedAttempts: 3,
    totalMs: latency.sumMs,
    p50Ms: histogram.quantile(0.5),
    p95Ms: histogram.quantile(0.95),
    rateLimitWaitMs: 5,
    latency,
  };
}

describe("call stats", () => {
  it("sums per system and operation over runs, failed attempts apart from failed calls", async () => {
    const a1 = await store.startRun("a", 1, false);
    const a2 = await store.startRun("a", 2, false);
    const b1 = await store.startRun("b", 3, false);
    await store.recordCalls(a1, "a", [stats("kingdee", "save", 1), stats("shop", "list", 2)]);
    // A later call for the same run replaces its totals.
    await store.recordCalls(a1, "a", [stats("kingdee", "save", 10)]);
    await store.recordCalls(a2, "a", [stats("kingdee", "save", 5)]);
    await store.recordCalls(b1, "b", [stats("kingdee", "save", 100)]);

    expect(await store.callStats("a")).toEqual([
      {
        system: "kingdee",
        operation: "save",
        calls: 15,
        errors: 2,
        retries: 4,
        failedAttempts: 6,
        totalMs: 150,
        p50Ms: 10,
        p95Ms: 10,
        rateLimitWaitMs: 10,
        latency: { sumMs: 150, minMs: 10, maxMs: 10, buckets: [[10_000, 15]] },
      },
      stats("shop", "list", 2),
    ]);
    expect((await store.callStats(undefined)).map((s) => [s.system, s.calls])).toEqual([["kingdee", 115], ["shop", 2]]);
    expect(await store.callStats("none")).toEqual([]);
  });

  it("computes percentiles over every attempt of the runs summed, not the worst run's", async () => {
    // Run 1: 100 calls of 10 ms; run 2: a single call of 2 s, whose own p95 is 2 s.
    const one = await store.startRun("a", 1, false);
    const two = await store.startRun("a", 2, false);
    await store.recordCalls(one, "a", [stats("kingdee", "save", 100)]);
    await store.recordCalls(two, "a", [stats("kingdee", "save", 1, [2000])]);
    await store.finishRun(one, 5, "ok", counts, null);
    await store.finishRun(two, 6, "ok", counts, null);
    // Of 101 attempts the 96th (p95) and the 51st (p50) are 10 ms; only the slowest is 2 s.
    for (const s of [...(await store.callStats("a")), ...(await store.callsSince(0))]) {
      expect(s).toMatchObject({ calls: 101, p50Ms: 10, p95Ms: 10 });
      expect(s.latency.buckets).toEqual([[10_000, 100], [2_000_000, 1]]);
      expect(Histogram.of(s.latency).quantile(1)).toBe(2000);
    }
    // callsSince counts the runs that ended in the window only.
    expect(await store.callsSince(6)).toMatchObject([{ flow: "a", calls: 1, p95Ms: 2000 }]);
  });
});

describe("collections", () => {
  it("adds, replaces, lists and returns documents in load order", async () => {
    expect(await store.loadCollection("goods", [{ n: 1 }, { n: 2 }], false)).toBe(2);
    expect(await store.loadCollection("goods", [{ n: 3 }], false)).toBe(3);
    expect(await store.loadCollection("units", [{ u: "kg", nested: { a: [1] } }], true)).toBe(1);
    expect(await store.collection("goods")).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await store.collections()).toEqual([{ name: "goods", count: 3 }, { name: "units", count: 1 }]);

    expect(await store.loadCollection("goods", [{ n: 9 }], true)).toBe(1);
    expect(await store.collection("goods")).toEqual([{ n: 9 }]);
    expect(await store.collection("missing")).toEqual([]);
  });
});

describe("persistence", () => {
  it("keeps everything across close and reopen", async () => {
    const run = await store.startRun("f", 1, false);
    await store.finishRun(run, 2, "dead-letters", counts, null);
    await store.markPending("f", run, [pendingRow("p", "hp")]);
    await store.commit("f", unit(run, {
      done: [{ sourceId: "d", targetId: "T", hash: "hd", key: "k" }],
      deadLetters: [{ sourceId: "x", stage: "check", reason: "dup", record: { a: 1 }, row: { b: 2 } }],
      checkpoint: "cp",
    }));
    await store.recordCalls(run, "f", [stats("s", "o", 3)]);
    await store.loadCollection("c", [{ a: 1 }], true);

    const snapshot = async () => ({
      runs: await store.runs(undefined, 10),
      flows: await store.flows(),
      checkpoint: await store.checkpoint("f"),
      written: [...(await store.written("f", ["d", "p"]))],
      pending: await store.pending("f"),
      dead: await store.deadLetters("f", { unresolvedOnly: false }),
      calls: await store.callStats(undefined),
      collections: await store.collections(),
      docs: await store.collection("c"),
    });
    const before = await snapshot();
    await store.close();
    store = open();
    expect(await snapshot()).toEqual(before);
    expect(before.written).toHaveLength(1);
  });

  it("rejects calls after close", async () => {
    await store.close();
    await expect(store.checkpoint("f")).rejects.toThrow(/not open/);
    await store.close();
  });
});

describe("hostile source ids and flow names", () => {
  it.each([
    ["Chinese", "销售订单-客户名称"],
    ["quotes", `it's "quoted" \`too\``],
    ["SQL", "'; DROP TABLE write_record; --"],
    ["10 KB", "x'\"".repeat(3_414)],
    ["empty", ""],
    ["control characters", "a\nb\tc\r\u0000d"],
    ["emoji", "😀👍🏽"],
    ["a question mark placeholder", "? ?1 :name @x $y"],
  ])("round-trips %s", async (_, id) => {
    const run = await store.startRun(id, 1, false);
    await store.markPending(id, run, [pendingRow(id, "h1", { id })]);
    expect(await store.pending(id)).toEqual([pendingRow(id, "h1", { id })]);
    await store.commit(id, unit(run, {
      done: [{ sourceId: id, targetId: id, hash: "h1", key: id }],
      deadLetters: [{ sourceId: id, stage: "write", reason: id, record: { id }, row: null }],
      checkpoint: id,
    }));
    expect(await store.written(id, [id, `${id}x`])).toEqual(new Map([[id, { sourceId: id, targetId: id, hash: "h1", key: id, updatedAt: 1_000 }]]));
    expect(await store.pending(id)).toEqual([]);
    expect(await store.checkpoint(id)).toBe(id);
    expect(await store.deadLetters(id, { unresolvedOnly: true, sourceId: id })).toMatchObject([{ sourceId: id, reason: id, record: { id } }]);
    expect(await store.flows()).toEqual([id]);
    await store.loadCollection(id, [{ id }], true);
    expect(await store.collection(id)).toEqual([{ id }]);
  });
});

describe("openStateStore", () => {
  it.each([
    ["the default", {}, ".ferry"],
    ["an empty FERRY_STATE_DIR", { FERRY_STATE_DIR: "" }, ".ferry"],
    ["a relative FERRY_STATE_DIR", { FERRY_STATE_DIR: "var/state" }, "var/state"],
  ])("puts the state in %s folder", async (_, env, folder) => {
    expect(stateDir(env, dir)).toBe(join(dir, folder));
    const opened = openStateStore(env, dir);
    try {
      expect(opened.location).toBe(join(dir, folder, "state.db"));
      expect(existsSync(join(dir, folder, "state.db"))).toBe(true);
    } finally {
      await opened.close();
    }
  });

  it("takes an absolute FERRY_STATE_DIR as is", () => {
    expect(stateDir({ FERRY_STATE_DIR: "/abs/state" }, dir)).toBe("/abs/state");
  });

  it("refuses FERRY_DATABASE_URL until the PostgreSQL store exists", () => {
    expect(() => openStateStore({ FERRY_DATABASE_URL: "postgres://u:p@h/db" }, dir)).toThrow(
      "FERRY_DATABASE_URL is set, but the PostgreSQL state store is not available yet; unset it to use SQLite",
    );
    expect(existsSync(join(dir, ".ferry"))).toBe(false);
  });
});

describe("crash safety", () => {
  const ROWS = 2_000;
  const KILL_AFTER = 3;

  /**
   * Commits transactions of ROWS rows in a loop with the store's pragmas, reporting each commit and
   * the middle of each transaction. The page cache is tiny so a transaction spills uncommitted pages
   * into the WAL before its commit: the kill then leaves a torn transaction for recovery to drop.
   */
  function childScript(db: string): string {
    const require = pathToFileURL(join(ROOT, "package.json")).href;
    return `
      import { createRequire } from "node:module";
      import { writeSync } from "node:fs";
      const Database = createRequire(${JSON.stringify(require)})("better-sqlite3");
      const db = new Database(${JSON.stringify(db)});
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("cache_size = 20");
      db.exec("CREATE TABLE IF NOT EXISTS t (txn INTEGER NOT NULL, i INTEGER NOT NULL, pad TEXT NOT NULL)");
      db.exec("CREATE TABLE IF NOT EXISTS last (id INTEGER PRIMARY KEY CHECK (id = 1), txn INTEGER NOT NULL)");
      const insert = db.prepare("INSERT INTO t (txn, i, pad) VALUES (?, ?, ?)");
      const mark = db.prepare("INSERT INTO last (id, txn) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET txn = excluded.txn");
      const pad = "p".repeat(500);
      const step = db.transaction((txn) => {
        for (let i = 0; i < ${ROWS}; i++) {
          insert.run(txn, i, pad);
          if (i === ${ROWS / 2}) writeSync(1, "inside " + txn + "\\n");
        }
        mark.run(txn);
      });
      for (let txn = 1; ; txn++) {
        step(txn);
        writeSync(1, "committed " + txn + "\\n");
      }
    `;
  }

  it("keeps every committed transaction whole after SIGKILL mid-transaction", async () => {
    const db = join(dir, "crash.db");
    const script = join(dir, "child.mjs");
    writeFileSync(script, childScript(db));

    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    let committed = 0;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const [what, n] = line.split(" ");
        if (what === "committed") committed = Number(n);
        if (what === "inside" && Number(n) > KILL_AFTER) child.kill("SIGKILL");
      }
    });
    const signal = await new Promise<NodeJS.Signals | null>((done) => child.on("exit", (_, sig) => done(sig)));
    expect(stderr).toBe("");
    expect(signal).toBe("SIGKILL");
    expect(committed).toBeGreaterThanOrEqual(KILL_AFTER);

    const raw = new Database(db);
    try {
      expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
      const perTxn = raw.prepare("SELECT txn, COUNT(*) AS n FROM t GROUP BY txn ORDER BY txn").all();
      const last = raw.prepare("SELECT txn FROM last").pluck().get() as number;
      // Every transaction the child reported is there, and none is partial, the one in flight included.
      expect(last).toBeGreaterThanOrEqual(committed);
      expect(perTxn).toEqual(Array.from({ length: last }, (_, i) => ({ txn: i + 1, n: ROWS })));
    } finally {
      raw.close();
    }
  });
});
