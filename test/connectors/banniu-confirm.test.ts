import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { banniuConnector } from "../../connectors/banniu/client.js";
import { banniuGoods, createBanniuSandbox, type BanniuSandbox } from "../../connectors/banniu/sandbox.js";
import { FaultDice, parseFaultSpec } from "../../connectors/sandbox/faults.js";
import { SANDBOX_CREDENTIALS, type SandboxHandler } from "../../connectors/sandbox/handler.js";
import { CallMeter } from "../../runtime/call-meter.js";
import { type ConnectorContext, type LookupRequest, type TargetConnector, type WriteRequest } from "../../runtime/connector.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { MemoryCollectionStore } from "../../runtime/lookups.js";
import { RateLimits } from "../../runtime/rate-limit.js";
import { covers } from "../../runtime/run/batch-writer.js";
import { Calls } from "../../runtime/run/calls.js";
import { runFlow, type RunSummary } from "../../runtime/run/run-flow.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import type { FlowModule, FlowSpec } from "../../runtime/types.js";
import { flowOf, seeded } from "../support/runtime.js";
import { serveSandboxes } from "../support/sandbox-server.js";
import { mutate, seed as seedFlow } from "../support/seeds.js";

const NOW = Date.UTC(2025, 0, 15, 4, 0, 0);
const DAY = 86_400_000;
const CREDS = SANDBOX_CREDENTIALS.banniu;
const GOODS = "a97d423e-52f5-3d6f-9f94-39a9f43f2bd5";
const FIRST_TASK = 8_100_001;
const shanghai = (ms: number) => formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function target(url: string): TargetConnector {
  const ctx: ConnectorContext = { env: { ...CREDS, FERRY_BANNIU_URL: url }, clock: { now: () => NOW, sleep: async () => undefined }, flow: {} as FlowSpec };
  return banniuConnector().target!(ctx);
}

function update(taskId: number, barcode: string): Record<string, unknown> {
  return { project_id: "27912", task_id: taskId, contents: { "101297": barcode, "101300": "进行中" } };
}

function writeRequest(rows: readonly unknown[], operation = "task.update"): WriteRequest {
  return { operation, form: null, options: {}, rows: rows.map((row, i) => ({ sourceId: String(i + 1), row })), key: "task_id", timeoutMs: 5000 };
}

function lookupRequest(rows: readonly Record<string, unknown>[]): LookupRequest {
  return { operation: "task.update", form: null, key: "task_id", values: rows.map((r) => String(r.task_id)), rows, fields: ["project_id", "task_id", "contents"], timeoutMs: 5000 };
}

/** The sandbox, with `wrap` in front of it (to fail chosen calls), on loopback. */
async function serve(sandbox: BanniuSandbox, wrap?: (method: string, count: number) => "500" | undefined): Promise<string> {
  const counts = new Map<string, number>();
  const handler: SandboxHandler = {
    ...sandbox,
    handle: async (req, body, res) => {
      const method = new URL(req.url ?? "/", "http://x").searchParams.get("method") ?? "";
      const count = (counts.get(method) ?? 0) + 1;
      counts.set(method, count);
      if (wrap?.(method, count) === "500") {
        res.writeHead(500, { "content-type": "text/html" });
        res.end("<html>500</html>");
        return;
      }
      await sandbox.handle(req, body, res);
    },
  };
  const server = await serveSandboxes([handler]);
  closers.push(() => server.close());
  return server.url;
}

function sandboxOf(records: number, faults = "", seed = 1, now: () => number = () => NOW): BanniuSandbox {
  return createBanniuSandbox({ seed, records, dice: new FaultDice(parseFaultSpec(faults), seed), now });
}

describe("Banniu confirms a write with task.getTask", () => {
  it("reads back what a task holds, shaped as the update: every column, the update's among them", async () => {
    const sandbox = sandboxOf(5);
    const banniu = target(await serve(sandbox));
    const written = update(FIRST_TASK + 1, "6901234567892");
    expect(await banniu.write(writeRequest([written]))).toEqual([{ ok: true, targetId: String(FIRST_TASK + 1) }]);
    const [state, ...rest] = await banniu.lookup!(lookupRequest([written, update(FIRST_TASK + 2, "6901234567809")]));
    expect(state).toMatchObject({ key: String(FIRST_TASK + 1), targetId: String(FIRST_TASK + 1) });
    const contents = (state?.row as { contents: Record<string, unknown> }).contents;
    // The task holds far more than the update sets; the update's columns are among them.
    expect(contents).toMatchObject({ "-1": FIRST_TASK + 1, "101297": "6901234567892", "101300": "进行中", "27963": expect.any(String) });
    expect(covers(state?.row, written)).toBe(true);
    // The second task was never updated: it is there, but does not hold the update.
    expect(rest).toHaveLength(1);
    expect(covers(rest[0]?.row, update(FIRST_TASK + 2, "6901234567809"))).toBe(false);
    expect(sandbox.stats().calls).toEqual({ "task.update": 1, "task.getTask": 2 });
  });

  it("takes a task Banniu does not know as not held", async () => {
    const banniu = target(await serve(sandboxOf(5)));
    expect(await banniu.lookup!(lookupRequest([update(FIRST_TASK + 99, "x")]))).toEqual([]);
  });

  it.each([
    ["two tasks", { response: { code: 0, error_msg: null, map: { result: [{ "-1": 1 }, { "-1": 2 }] } } }, "2 tasks"],
    ["a string", { response: { code: 0, error_msg: null, map: { result: "ok" } } }, "a string"],
    ["another task", { response: { code: 0, error_msg: null, map: { result: { "-1": 7 } } } }, "answered task 7"],
  ])("refuses an answer of %s as malformed", async (_, answer, said) => {
    const server = await serveSandboxes([
      {
        system: "banniu",
        owns: () => true,
        handle: async (_req, _body, res) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(answer));
        },
        stats: () => ({}),
      },
    ]);
    closers.push(() => server.close());
    const error = await target(server.url).lookup!(lookupRequest([update(1, "x")])).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "malformed", message: expect.stringContaining(said) });
  });
});

/** The Banniu seed flow against `sandbox`, with `edit` applied to its text, and a store that outlives runs. */
async function seedRig(sandbox: BanniuSandbox, clock: FakeClock, url: string, edit: (text: string) => string = (t) => t) {
  const dir = mkdtempSync(join(tmpdir(), "ferry-banniu-confirm-"));
  const store = SqliteStateStore.open(join(dir, "state.db"));
  closers.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const flow = flowOf(edit(seedFlow("banniu")), "mappings/banniu-task-barcodes.map");
  const env = { ...CREDS, FERRY_BANNIU_URL: url };
  const collections = new MemoryCollectionStore();
  collections.add(GOODS, banniuGoods(1));
  const run = (module: FlowModule = flow): Promise<RunSummary> => {
    const ctx = { env, clock, flow: module.spec };
    return runFlow({
      flow: module,
      store,
      source: banniuConnector().source!(ctx),
      target: banniuConnector().target!(ctx),
      calls: new Calls(clock, new RateLimits(clock), new CallMeter(), seeded(7)),
      collections,
      clock,
      env,
      from: shanghai(NOW - 3 * DAY),
    });
  };
  const known = () => {
    const goods = new Set(banniuGoods(1).map((g) => g.content.goodsNo));
    return sandbox.tasks().filter((t) => goods.has(String(t.columns["27963"])));
  };
  return { flow, run, store, known };
}

describe("the Banniu seed flow writes every update exactly once", () => {
  it("when updates are applied but their answers are lost: it confirms with task.getTask instead of sending again", async () => {
    const clock = new FakeClock({ start: NOW, auto: true });
    const sandbox = sandboxOf(80, "banniu.task.update:lost@25%", 3, () => clock.now());
    // One task per call, so each lost answer is one task's.
    const { run, known } = await seedRig(sandbox, clock, await serve(sandbox), (text) => mutate(text, "  idcheck task_id\n", "  idcheck task_id\n  batch   1\n"));
    const summary = await run();
    expect(summary.status, summary.error ?? "").toBe("dead-letters");
    const tasks = known();
    expect(summary.written).toBe(tasks.length);
    expect(tasks.filter((t) => sandbox.saves(t.id) !== 1).map((t) => [t.id, sandbox.saves(t.id)])).toEqual([]);
    expect(sandbox.totalSaves()).toBe(tasks.length);
    // The faults happened, and each was settled by reading the task back.
    const lost = sandbox.stats().faults as Record<string, number>;
    expect(lost["task.update:lost"]).toBeGreaterThan(5);
    expect((sandbox.stats().calls as Record<string, number>)["task.getTask"]).toBeGreaterThanOrEqual(lost["task.update:lost"] ?? 0);
    expect(summary.warnings.filter((w) => w.includes("at-least-once"))).toEqual([]);
  });

  it("as sent (task.update rows in task.batchUpdate's body), when whole batches are applied but their answers are lost", async () => {
    const clock = new FakeClock({ start: NOW, auto: true });
    const sandbox = sandboxOf(80, "banniu.task.batchUpdate:lost@40%", 7, () => clock.now());
    const { run, known } = await seedRig(sandbox, clock, await serve(sandbox), (text) => mutate(text, "  idcheck task_id\n", "  idcheck task_id\n  batch   5\n"));
    const summary = await run();
    expect(summary.status, summary.error ?? "").toBe("dead-letters");
    const tasks = known();
    expect(tasks.filter((t) => sandbox.saves(t.id) !== 1).map((t) => [t.id, sandbox.saves(t.id)])).toEqual([]);
    const stats = sandbox.stats() as { calls: Record<string, number>; faults: Record<string, number> };
    expect(stats.faults["task.batchUpdate:lost"]).toBeGreaterThan(0);
    expect(stats.calls["task.update"]).toBeUndefined();
    expect(stats.calls["task.batchUpdate"]).toBeLessThan(tasks.length);
  });

  it("with task.batchUpdate, when single items are throttled: only those items are sent again", async () => {
    const clock = new FakeClock({ start: NOW, auto: true });
    const sandbox = sandboxOf(60, "banniu.task.batchUpdate.item:throttle@15%", 5, () => clock.now());
    const { run, known } = await seedRig(sandbox, clock, await serve(sandbox), (text) =>
      mutate(mutate(text, 'target banniu "task.update"', 'target banniu "task.batchUpdate"'), "  idcheck task_id\n", "  idcheck task_id\n  batch   20\n  retry   10 backoff 2s..8s\n"),
    );
    const summary = await run();
    expect(summary.status, summary.error ?? "").toBe("dead-letters");
    const tasks = known();
    expect(tasks.filter((t) => sandbox.saves(t.id) !== 1).map((t) => [t.id, sandbox.saves(t.id)])).toEqual([]);
    expect((sandbox.stats().faults as Record<string, number>)["task.batchUpdate.item:throttle"]).toBeGreaterThan(3);
  });

  it("says at-least-once in the run summary when it cannot confirm (no idcheck), and sends lost updates again", async () => {
    const clock = new FakeClock({ start: NOW, auto: true });
    const sandbox = sandboxOf(40, "banniu.task.update:lost@25%", 3, () => clock.now());
    const { run } = await seedRig(sandbox, clock, await serve(sandbox), (text) => mutate(text, "  idcheck task_id\n", "  batch   1\n"));
    const summary = await run();
    expect(summary.warnings).toEqual([expect.stringMatching(/^at-least-once: the flow has no `idcheck`/)]);
    // Which is exactly what it says: the lost updates were sent again.
    expect(sandbox.totalSaves()).toBeGreaterThan(summary.written);
  });
});

describe("Banniu's metadata reads", () => {
  it.each([
    ["project.list", {}, (rows: unknown[]) => expect(rows).toEqual([{ project_id: 27912, name: "售后工单" }])],
    ["column.list", { project_id: "27912" }, (rows: unknown[]) => expect(rows).toContainEqual(expect.objectContaining({ column_id: 27963, name: "货号", behaviorType: 1 }))],
  ] as const)("%s is answered by the sandbox as the spec reads it", async (operation, params, check) => {
    const sandbox = sandboxOf(3);
    const url = await serve(sandbox);
    const source = banniuConnector().source!({ env: { ...SANDBOX_CREDENTIALS.banniu, FERRY_BANNIU_URL: url }, clock: new FakeClock({ start: NOW }), flow: {} as never });
    const answer = await source.read({ operation, params, recordsPath: "response.map.result", totalPath: null, cursorPath: null, timeoutMs: 5000 });
    check(answer.records as unknown[]);
  });
});
