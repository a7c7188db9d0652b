/**
 * The console's Replay button end to end: the Banniu seed flow (its lookup reads the state store's
 * collections) against the sandboxes, replayed through the real HTTP console.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectorFactory } from "../../connectors/registry.js";
import { startSandboxes, type Sandboxes } from "../../connectors/sandbox/server.js";
import { CallMeter } from "../../runtime/call-meter.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { seededRandom } from "../../runtime/random.js";
import { RateLimits } from "../../runtime/rate-limit.js";
import { Calls } from "../../runtime/run/calls.js";
import { runFlow, type RunSummary } from "../../runtime/run/run-flow.js";
import { StoreCollections } from "../../runtime/state/collections.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import { startServer, type ConsoleServer } from "../../serve/index.js";
import { flowOf } from "../support/runtime.js";
import { ROOT, SEED_FILES, seed } from "../support/seeds.js";

const FLOW = "banniu_task_barcodes";
const GOODS = "a97d423e-52f5-3d6f-9f94-39a9f43f2bd5";
/** Few tasks: the console replays on the system clock, and Banniu allows 2 calls a second. */
const TASKS = 4;

let sandboxes: Sandboxes;
let dir: string;
let store: SqliteStateStore;
let server: ConsoleServer;
let first: RunSummary;

beforeAll(async () => {
  // The console's replay signs with the system clock, so the sandboxes keep real time too; the
  // first run gets a fake clock that starts now and lets its rate-limit waits pass at once.
  sandboxes = await startSandboxes({ seed: 5, tasks: TASKS });
  dir = mkdtempSync(join(tmpdir(), "ferry-serve-replay-"));
  mkdirSync(join(dir, "mappings"));
  cpSync(`${ROOT}${SEED_FILES.banniu}`, join(dir, "mappings", "banniu-task-barcodes.map"));
  store = SqliteStateStore.open(join(dir, "state", "state.db"));
  // The goods are not loaded yet: every task's lookup misses and the task becomes a dead letter.
  await store.loadCollection(GOODS, [{ content: { goodsNo: "none", skuBarcode: "0" } }], true);
  const clock = new FakeClock({ start: Date.now(), auto: true });
  const flow = flowOf(seed("banniu"), "mappings/banniu-task-barcodes.map");
  const ctx = { env: sandboxes.env, clock, flow: flow.spec };
  const factory = connectorFactory("banniu")!;
  first = await runFlow({
    flow,
    store,
    source: factory.source!(ctx),
    target: factory.target!(ctx),
    calls: new Calls(clock, new RateLimits(clock), new CallMeter(), seededRandom(3)),
    collections: new StoreCollections(store),
    clock,
    env: sandboxes.env,
    from: formatDateTime(clock.now() - 3 * 86_400_000, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES),
  });
  const env = { ...sandboxes.env, FERRY_STATE_DIR: join(dir, "state") };
  server = await startServer({ host: "127.0.0.1", port: 0, store, cwd: dir, env });
});

afterAll(async () => {
  await server?.close();
  await sandboxes?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function page(path: string): Promise<string> {
  return (await fetch(new URL(path, server.url))).text();
}

describe("the Replay button on a flow with a lookup", () => {
  it("writes the letters once the lookup data is loaded, through the store the console holds", async () => {
    expect(first).toMatchObject({ status: "dead-letters", read: TASKS, written: 0, deadLettered: TASKS });
    expect(sandboxes.banniu.totalSaves()).toBe(0);
    // The fix the user makes: the goods, every task's goods number included, are loaded now.
    const goods = sandboxes.banniu.tasks().map((t, i) => ({ content: { goodsNo: String(t.columns["27963"]), skuBarcode: `690000000000${i}` } }));
    await store.loadCollection(GOODS, goods, true);

    const letters = await page(`/flows/${FLOW}/dead-letters`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(letters)?.[1] ?? "";
    expect(letters).toContain(`Replay ${TASKS} dead letters`);
    const res = await fetch(new URL(`/flows/${FLOW}/replay`, server.url), {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf }).toString(),
    });
    expect(res.status).toBe(303);
    const body = await page(res.headers.get("location") ?? "");
    const notice = /<div class="notice (ok|bad)" role="status" id="outcome">([^<]*)/.exec(body);
    expect(notice?.slice(1)).toEqual(["ok", expect.stringMatching(new RegExp(`^${FLOW}: replayed ${TASKS}, ${TASKS} written, 0 still failing \\(run #\\d+\\)$`))]);

    // Every task written exactly once, with the barcode the lookup found.
    for (const [i, t] of sandboxes.banniu.tasks().entries()) {
      expect(sandboxes.banniu.saves(t.id), `task ${t.id}`).toBe(1);
      expect(sandboxes.banniu.contents(t.id)?.["101297"]).toBe(`690000000000${i}`);
    }
    expect(await store.countDeadLetters(FLOW)).toBe(0);
    // The console's own connection is still open and answering.
    expect(await page("/healthz")).toBe("ok\n");
  });
});
