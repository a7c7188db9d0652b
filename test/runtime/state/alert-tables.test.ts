import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION, SqliteStateStore } from "../../../runtime/state/sqlite.js";
import { calls, fakeRun, MINUTE, NOW } from "../../support/alert-state.js";

let dir: string;
let path: string;
let store: SqliteStateStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ferry-state-"));
  path = join(dir, "state.db");
  store = SqliteStateStore.open(path, { now: () => NOW });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What step 4 added to call_stats, removed again to make a database of an earlier version. */
const DROP_CALL_COLUMNS = ["latency", "latency_sum_ms", "latency_min_ms", "latency_max_ms", "failed_attempts"]
  .map((c) => `ALTER TABLE call_stats DROP COLUMN ${c};`)
  .join(" ")
  .concat(" DROP TABLE call_latency;");

describe("schema upgrades", () => {
  it("upgrades a version 1 database in place, keeping its runs", async () => {
    const run = await fakeRun(store, "f");
    await store.close();
    const raw = new Database(path);
    raw.exec("DROP TABLE run_drift; DROP TABLE dead_letter_attempts; DROP TABLE flow_locks; DROP TABLE notifications; DROP TABLE incidents; DROP TABLE anomalies; DROP TABLE field_stats;");
    raw.exec(DROP_CALL_COLUMNS);
    raw.pragma("user_version = 1");
    raw.close();
    store = SqliteStateStore.open(path, { now: () => NOW });
    expect(SCHEMA_VERSION).toBe(6);
    expect((await store.runs("f", 5)).map((r) => r.id)).toEqual([run]);
    await store.recordFieldStats(run, "f", [{ field: "a", rows: 1, nulls: 0, empties: 0 }]);
    expect(await store.fieldHistory("f", "a", 5)).toHaveLength(1);
    const tables = store.database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(["field_stats", "incidents", "anomalies", "notifications", "flow_locks"]));
  });

  it("upgrades a version 2 database with the flow lock table", async () => {
    const run = await fakeRun(store, "f");
    await store.close();
    const raw = new Database(path);
    raw.exec("DROP TABLE run_drift; DROP TABLE dead_letter_attempts; DROP TABLE flow_locks;");
    raw.exec(DROP_CALL_COLUMNS);
    raw.pragma("user_version = 2");
    raw.close();
    store = SqliteStateStore.open(path, { now: () => NOW });
    expect((await store.runs("f", 5)).map((r) => r.id)).toEqual([run]);
    const lock = { token: "t", pid: 1, host: "h", since: NOW, beat: NOW };
    expect(await store.lockFlow("f", lock, () => true)).toBeNull();
    expect(await store.lockFlow("f", { ...lock, token: "u" }, () => true)).toEqual(lock);
  });

  it("upgrades a version 3 database: each dead letter gets its failure as first attempt, locks keep their holder's start", async () => {
    const run = await fakeRun(store, "f");
    await store.commit("f", { runId: run, done: [], cleared: [], deadLetters: [{ sourceId: "1", stage: "write", reason: "refused", record: { id: 1 }, row: { a: 1 } }] });
    await store.close();
    const raw = new Database(path);
    raw.exec("DROP TABLE run_drift; DROP TABLE dead_letter_attempts; ALTER TABLE flow_locks DROP COLUMN started;");
    raw.exec(DROP_CALL_COLUMNS);
    raw.pragma("user_version = 3");
    raw.close();
    store = SqliteStateStore.open(path, { now: () => NOW + MINUTE });
    const [letter] = await store.deadLetters("f", { unresolvedOnly: true });
    expect(await store.deadLetterAttempts(letter!.id)).toEqual([{ at: NOW, stage: "write", reason: "refused", runId: run }]);
    const lock = { token: "t", pid: 1, host: "h", since: NOW, beat: NOW, started: "boot:42" };
    expect(await store.lockFlow("f", lock, () => true)).toBeNull();
    expect(await store.lockFlow("f", { ...lock, token: "u" }, () => true)).toEqual(lock);
  });
});

describe("schema upgrade to version 4", () => {
  it("counts the failed attempts of earlier runs (every retry and every failed call) and gives them no latency", async () => {
    const run = await fakeRun(store, "f", { calls: [calls("kingdee", "batchSave", 10, 2, 3)] });
    await store.close();
    const raw = new Database(path);
    raw.exec(DROP_CALL_COLUMNS);
    raw.exec("DROP TABLE run_drift; DROP TABLE dead_letter_attempts; ALTER TABLE flow_locks DROP COLUMN started;");
    raw.pragma("user_version = 3");
    raw.close();
    store = SqliteStateStore.open(path, { now: () => NOW });
    expect((await store.runs("f", 5)).map((r) => r.id)).toEqual([run]);
    expect(await store.callStats("f")).toMatchObject([{ calls: 10, errors: 2, retries: 3, failedAttempts: 5, p95Ms: 0, latency: { buckets: [] } }]);
    // A run recorded now adds its histogram; the earlier one adds nothing to the latencies.
    await fakeRun(store, "f", { calls: [calls("kingdee", "batchSave", 4, 0)] });
    expect(await store.callStats("f")).toMatchObject([{ calls: 14, failedAttempts: 5, p95Ms: 10, latency: { buckets: [[10_000, 4]] } }]);
  });
});

describe("runs filters", () => {
  it("lists successful runs (ok or dead-letters, not dry) and flow runs (with field stats, not replays)", async () => {
    const ok = await fakeRun(store, "f", { stats: true });
    const letters = await fakeRun(store, "f", { status: "dead-letters", stats: true });
    await fakeRun(store, "f", { status: "failed", stats: true });
    await fakeRun(store, "f", { dryRun: true, stats: true });
    const replay = await fakeRun(store, "f");
    const running = await store.startRun("f", NOW, false);
    expect((await store.runs("f", 10, { succeeded: true })).map((r) => r.id)).toEqual([replay, letters, ok]);
    expect((await store.runs("f", 10, { succeeded: true, mapped: true })).map((r) => r.id)).toEqual([letters, ok]);
    expect((await store.runs(undefined, 1, { succeeded: true })).map((r) => r.id)).toEqual([replay]);
    expect((await store.runs("f", 10, { mapped: true })).map((r) => r.id)).not.toContain(running);
    expect(await store.runs("f", 10)).toHaveLength(6);
  });
});

describe("dead letter counts and recent calls", () => {
  it("counts unresolved dead letters, by stage and run", async () => {
    const first = await fakeRun(store, "f", { deadLetters: [{ sourceId: "1", stage: "check" }, { sourceId: "2", stage: "write" }] });
    const second = await fakeRun(store, "f", { deadLetters: [{ sourceId: "3", stage: "check" }] });
    await fakeRun(store, "g", { deadLetters: [{ sourceId: "1", stage: "check" }] });
    expect(await store.countDeadLetters("f")).toBe(3);
    expect(await store.countDeadLetters("f", { stage: "check" })).toBe(2);
    expect(await store.countDeadLetters("f", { stage: "check", runId: first })).toBe(1);
    expect(await store.countDeadLetters("f", { runId: second })).toBe(1);
    const [letter] = await store.deadLetters("f", { unresolvedOnly: true, sourceId: "3" });
    await store.commit("f", { runId: second, done: [], cleared: [], deadLetters: [], resolved: [letter!.id] });
    expect(await store.countDeadLetters("f", { runId: second })).toBe(0);
  });

  it("sums calls per flow, system and operation over runs that ended since a time", async () => {
    await fakeRun(store, "f", { at: NOW - 120 * MINUTE, calls: [calls("kingdee", "batchSave", 100, 50)] });
    await fakeRun(store, "f", { at: NOW - 20 * MINUTE, calls: [calls("kingdee", "batchSave", 10, 1), calls("guanyi", "shop.get", 5, 0)] });
    await fakeRun(store, "f", { at: NOW - 10 * MINUTE, calls: [calls("kingdee", "batchSave", 10, 2)] });
    await fakeRun(store, "g", { at: NOW - 10 * MINUTE, calls: [calls("kingdee", "batchSave", 1, 1)] });
    const recent = await store.callsSince(NOW - 60 * MINUTE);
    expect(recent.map((s) => [s.flow, s.system, s.operation, s.calls, s.errors])).toEqual([
      ["f", "guanyi", "shop.get", 5, 0],
      ["f", "kingdee", "batchSave", 20, 3],
      ["g", "kingdee", "batchSave", 1, 1],
    ]);
  });
});

describe("field stats", () => {
  it("keeps a history per field of finished, not failed runs, newest first; recording again replaces", async () => {
    const stat = (field: string, nulls: number) => ({ field, rows: 10, nulls, empties: 1 });
    const r1 = await fakeRun(store, "f", { at: 1000, stats: [stat("FName", 1), stat("FNumber", 0)] });
    await fakeRun(store, "f", { at: 2000, status: "failed", stats: [stat("FName", 9)] });
    const r3 = await fakeRun(store, "f", { at: 3000, status: "dead-letters", stats: [stat("FName", 3), stat("FNumber", 0)] });
    await fakeRun(store, "g", { stats: [stat("FName", 7)] });
    const live = await store.startRun("f", 4000, false);
    await store.recordFieldStats(live, "f", [stat("FName", 5)]);

    expect(await store.fieldHistory("f", "FName", 10)).toEqual([
      { runId: r3, startedAt: 3000, field: "FName", rows: 10, nulls: 3, empties: 1 },
      { runId: r1, startedAt: 1000, field: "FName", rows: 10, nulls: 1, empties: 1 },
    ]);
    expect((await store.fieldHistory("f", undefined, 1)).map((e) => [e.runId, e.field])).toEqual([[r3, "FName"], [r3, "FNumber"]]);
    expect(await store.fieldHistory("f", "missing", 10)).toEqual([]);

    await store.recordFieldStats(r3, "f", [stat("FName", 4)]);
    expect((await store.fieldHistory("f", undefined, 1)).map((e) => [e.field, e.nulls])).toEqual([["FName", 4]]);
  });
});

describe("anomalies", () => {
  it("stores one anomaly per run, kind and field, and lists them newest first", async () => {
    const run = await fakeRun(store, "f");
    const found = [
      { field: "FName", kind: "null-rate" as const, value: 45, baseline: 2 },
      { field: null, kind: "row-count" as const, value: 10, baseline: 100 },
    ];
    expect(await store.recordAnomalies(run, "f", found, NOW)).toBe(2);
    expect(await store.recordAnomalies(run, "f", found, NOW + 1)).toBe(0);
    const other = await fakeRun(store, "g");
    expect(await store.recordAnomalies(other, "g", [found[0]!], NOW + 2)).toBe(1);
    expect(await store.anomalies("f", 10)).toEqual([
      expect.objectContaining({ runId: run, flow: "f", field: null, kind: "row-count", value: 10, baseline: 100, createdAt: NOW }),
      expect.objectContaining({ runId: run, flow: "f", field: "FName", kind: "null-rate", value: 45, baseline: 2, createdAt: NOW }),
    ]);
    expect((await store.anomalies(undefined, 10)).map((a) => a.flow)).toEqual(["g", "f", "f"]);
    expect(await store.anomalies(undefined, 1)).toHaveLength(1);
  });
});

describe("incidents and notifications", () => {
  const input = { key: '["r","f"]', rule: "r", flow: "f", detail: { kind: "dead-letters", value: 3, message: "3 封死信" } };

  it("keeps one open incident per key, refreshing its detail, and opens a new one after it resolves", async () => {
    const first = await store.openIncident(input, 100);
    expect(first).toMatchObject({ opened: true, incident: { key: input.key, rule: "r", flow: "f", openedAt: 100, resolvedAt: null, notifiedAt: null, detail: input.detail } });
    const again = await store.openIncident({ ...input, detail: { value: 4 } }, 200);
    expect(again).toMatchObject({ opened: false, incident: { id: first.incident.id, openedAt: 100, detail: { value: 4 } } });
    expect((await store.openIncidents()).map((i) => [i.id, i.detail])).toEqual([[first.incident.id, { value: 4 }]]);

    await store.resolveIncident(first.incident.id, 300);
    await store.resolveIncident(first.incident.id, 400);
    expect(await store.openIncidents()).toEqual([]);
    const reopened = await store.openIncident(input, 500);
    expect(reopened.opened).toBe(true);
    expect(reopened.incident.id).not.toBe(first.incident.id);
    expect((await store.incidents(10)).map((i) => [i.id, i.resolvedAt])).toEqual([
      [reopened.incident.id, null],
      [first.incident.id, 300],
    ]);
  });

  it("records deliveries and stamps the incident with the first successful one of each event", async () => {
    const { incident } = await store.openIncident(input, 100);
    const failed = await store.recordNotification({ incidentId: incident.id, target: "ops", event: "firing", attempts: 4, ok: false, error: "HTTP 500 (after 4 attempts)", at: 110 });
    expect(failed).toMatchObject({ id: expect.any(Number), ok: false, attempts: 4 });
    expect((await store.openIncidents())[0]?.notifiedAt).toBeNull();
    await store.recordNotification({ incidentId: incident.id, target: "ops", event: "firing", attempts: 1, ok: true, error: null, at: 120 });
    await store.recordNotification({ incidentId: incident.id, target: "chat", event: "firing", attempts: 1, ok: true, error: null, at: 130 });
    await store.resolveIncident(incident.id, 200);
    await store.recordNotification({ incidentId: incident.id, target: "ops", event: "resolved", attempts: 2, ok: true, error: null, at: 210 });
    const [stored] = await store.incidents(1);
    expect(stored).toMatchObject({ notifiedAt: 120, resolvedAt: 200, resolveNotifiedAt: 210 });
    expect((await store.notifications(10, incident.id)).map((n) => [n.target, n.event, n.ok])).toEqual([
      ["ops", "resolved", true],
      ["chat", "firing", true],
      ["ops", "firing", true],
      ["ops", "firing", false],
    ]);
    expect(await store.notifications(2)).toHaveLength(2);
    expect(await store.notifications(10, incident.id + 1)).toEqual([]);
  });

  it("refuses a notification of an incident that does not exist", async () => {
    await expect(store.recordNotification({ incidentId: 99, target: "ops", event: "firing", attempts: 1, ok: true, error: null, at: 1 })).rejects.toThrow(/FOREIGN KEY/);
  });
});
