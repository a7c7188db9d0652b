import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { banniuGoods } from "../../connectors/banniu/sandbox.js";
import { connectorFactory } from "../../connectors/registry.js";
import { startSandboxes, type Sandboxes } from "../../connectors/sandbox/server.js";
import { CallMeter } from "../../runtime/call-meter.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { MemoryCollectionStore } from "../../runtime/lookups.js";
import { seededRandom } from "../../runtime/random.js";
import { RateLimits } from "../../runtime/rate-limit.js";
import { Calls } from "../../runtime/run/calls.js";
import { runFlow, type RunSummary } from "../../runtime/run/run-flow.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import type { FlowModule } from "../../runtime/types.js";
import { seed } from "../support/seeds.js";
import { flowOf } from "../support/runtime.js";

const RECORDS = 10_000;
// 5% of each fault kind. Banniu tokens have no session to lose, and a Banniu timeout costs a real
// timeout per call, so Banniu's writes (task.update rows sent in task.batchUpdate calls) get the
// other kinds, whole calls and single items. `lost`
// (the write done, its answer lost) is what only confirming before sending again survives.
const FAULTS = [
  ...["500", "timeout", "throttle", "html", "truncated", "reset"].map((f) => `guanyi:${f}@5%`),
  ...["500", "timeout", "throttle", "session-lost", "html", "truncated", "reset", "lost"].map((f) => `kingdee:${f}@5%`),
  ...["500", "timeout", "throttle", "html", "truncated", "reset"].map((f) => `banniu.task.list:${f}@5%`),
  ...["500", "throttle", "html", "truncated", "reset", "lost"].map((f) => `banniu.task.batchUpdate:${f}@5%`),
  "banniu.task.batchUpdate.item:throttle@5%",
].join(",");
const GOODS = "a97d423e-52f5-3d6f-9f94-39a9f43f2bd5";

/** The seed flows with a short timeout (held requests cost real time) and retries enough for 30% faults. */
function soakFlow(name: "guanyi" | "banniu"): FlowModule {
  let text = seed(name);
  if (name === "guanyi") {
    // Without the check block the codes Kingdee refuses reach Kingdee: its own validation is under test.
    text = text.replace(/check \{[^}]*\}/, "");
    text = text.replace("  number  code\n", "  number  code\n  timeout 400ms\n  retry   10 backoff 1s..30s\n");
    text = text.replace("  idcheck FNumber\n", "  idcheck FNumber\n  timeout 400ms\n  retry   10 backoff 1s..30s\n");
  } else {
    text = text.replace("  retry   3 backoff 2s..8s\n", "  retry   10 backoff 2s..30s\n  timeout 400ms\n");
    text = text.replace("  idcheck task_id\n", "  idcheck task_id\n  retry   10 backoff 2s..30s\n  timeout 400ms\n");
  }
  return flowOf(text, `mappings/${name}.map`);
}

let sandboxes: Sandboxes;
let clock: FakeClock;
let dir: string;
let store: SqliteStateStore;

beforeAll(async () => {
  clock = new FakeClock({ start: Date.UTC(2024, 8, 8, 4, 0, 0), auto: true });
  sandboxes = await startSandboxes({ seed: 3, shops: RECORDS, tasks: RECORDS, faults: FAULTS, now: () => clock.now() });
  dir = mkdtempSync(join(tmpdir(), "ferry-soak-"));
  store = SqliteStateStore.open(join(dir, "state.db"));
});

afterAll(async () => {
  await sandboxes.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(flow: FlowModule): Promise<RunSummary> {
  const ctx = { env: sandboxes.env, clock, flow: flow.spec };
  const goods = new MemoryCollectionStore();
  goods.add(GOODS, banniuGoods(3));
  return runFlow({
    flow,
    store,
    source: connectorFactory(flow.spec.source.connector)!.source!(ctx),
    target: connectorFactory(flow.spec.target.connector)!.target!(ctx),
    calls: new Calls(clock, new RateLimits(clock), new CallMeter(), seededRandom(11)),
    collections: goods,
    clock,
    env: sandboxes.env,
    from: "2024-09-05 00:00:00",
  });
}

function addsUp(s: RunSummary): void {
  expect(s.read).toBe(s.written + s.unchanged + s.deadLettered);
}

describe(`soak: ${RECORDS} records through each seed flow with 5% of each fault kind`, () => {
  it("Guanyi → Kingdee: every valid shop saved exactly once; dead letters are exactly the shops Kingdee refuses", async () => {
    const summary = await run(soakFlow("guanyi"));
    expect(summary.status, summary.error ?? "").toBe("dead-letters");
    addsUp(summary);
    expect(summary.read).toBe(RECORDS);

    const shops = sandboxes.guanyi.shops();
    const invalid = new Set(shops.filter((s) => !/^[A-Za-z0-9_-]+$/.test(s.code)).map((s) => String(s.id)));
    const saved = sandboxes.kingdee.customers();
    expect(saved.size).toBe(RECORDS - invalid.size);
    const twice = [...saved.keys()].filter((n) => sandboxes.kingdee.saves(n) !== 1);
    expect(twice).toEqual([]);
    const letters = await store.deadLetters(summary.flow, { unresolvedOnly: true });
    expect(new Set(letters.map((l) => l.sourceId))).toEqual(invalid);
    expect(letters.every((l) => l.stage === "write")).toBe(true);
    expect(summary.deadLettered).toBe(invalid.size);

    // The faults really happened, and were survived.
    const faults = sandboxes.dice.stats();
    expect(Object.keys(faults).filter((k) => k.startsWith("kingdee.BatchSave")).length).toBeGreaterThanOrEqual(5);
    expect(faults["kingdee.BatchSave:lost"]).toBeGreaterThan(0);
    expect(summary.calls.reduce((n, c) => n + c.retries, 0)).toBeGreaterThan(5);
  });

  it("Banniu → Banniu: every task with known goods updated exactly once; dead letters are exactly the lookup misses", async () => {
    const summary = await run(soakFlow("banniu"));
    expect(summary.status, summary.error ?? "").toBe("dead-letters");
    addsUp(summary);
    expect(summary.read).toBe(RECORDS);

    const known = new Set(banniuGoods(3).map((g) => g.content.goodsNo));
    const tasks = sandboxes.banniu.tasks();
    const missing = tasks.filter((t) => !known.has(String(t.columns["27963"])));
    const updated = tasks.filter((t) => known.has(String(t.columns["27963"])));
    expect(updated.filter((t) => sandboxes.banniu.saves(t.id) !== 1).map((t) => t.id)).toEqual([]);
    expect(missing.filter((t) => sandboxes.banniu.saves(t.id) !== 0).map((t) => t.id)).toEqual([]);
    const letters = await store.deadLetters(summary.flow, { unresolvedOnly: true });
    expect(new Set(letters.map((l) => l.sourceId))).toEqual(new Set(missing.map((t) => String(t.id))));
    expect(letters.every((l) => l.stage === "map" && l.reason.includes("contents.101297: required field is null"))).toBe(true);
    expect(summary.written).toBe(updated.length);

    const faults = sandboxes.dice.stats();
    expect(Object.keys(faults).some((k) => k.startsWith("banniu.task.batchUpdate"))).toBe(true);
    expect(faults["banniu.task.batchUpdate:lost"]).toBeGreaterThan(3);
  });
});
