import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { banniuGoods, createBanniuSandbox } from "../../../connectors/banniu/sandbox.js";
import { startHttpTestServer, type HttpTestServer } from "../../../connectors/http/test-server.js";
import { createKingdeeSandbox } from "../../../connectors/kingdee/sandbox.js";
import { connectorFactory } from "../../../connectors/registry.js";
import { FaultDice } from "../../../connectors/sandbox/faults.js";
import { SANDBOX_CREDENTIALS, type SandboxHandler } from "../../../connectors/sandbox/handler.js";
import { systemClock } from "../../../runtime/clock.js";
import { SqliteStateStore } from "../../../runtime/state/sqlite.js";
import type { DeadLetterInput } from "../../../runtime/state/store.js";
import { ferry } from "../../support/io.js";
import { KillSwitch } from "../../support/kill-switch.js";
import { serveSandboxes } from "../../support/sandbox-server.js";
import { mutate, ROOT, seed, SEED_FILES } from "../../support/seeds.js";
import { flowOf, seeded } from "../../support/runtime.js";

const TRIALS = 20;
const RECORDS = 300;
const FLOW = `${ROOT}test/fixtures/flows/shops.map`;
const BIN = `${ROOT}bin/ferry.js`;
// One shared cache: the flow compiles once, every later start loads it (as scheduled runs do).
const CACHE_ROOT = mkdtempSync(join(tmpdir(), "ferry-crash-"));
afterAll(() => rmSync(CACHE_ROOT, { recursive: true, force: true }));

type KillPoint =
  | { readonly at: "after-write-answered"; readonly n: number }
  | { readonly at: "write-arrives"; readonly n: number }
  | { readonly at: "read-arrives"; readonly n: number };

/** Where trial `i` kills the run: seeded, so a failure reproduces. */
function killPoint(random: () => number): KillPoint {
  const r = random();
  // 300 records in pages of 100 and batches of 50: 4 reads, 6 writes per run.
  if (r < 0.45) return { at: "after-write-answered", n: 1 + Math.floor(random() * 6) };
  if (r < 0.8) return { at: "write-arrives", n: 1 + Math.floor(random() * 6) };
  return { at: "read-arrives", n: 1 + Math.floor(random() * 4) };
}

function runFerry(server: HttpTestServer, stateDir: string): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, "run", FLOW, "--from", "2024-09-07 00:00:00", "--to", "2024-09-08 00:00:00"], {
    cwd: ROOT,
    env: { ...process.env, FERRY_HTTP_URL: server.url, FERRY_STATE_DIR: stateDir, FERRY_CACHE_DIR: join(CACHE_ROOT, "cache"), NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  void exit.then((code) => {
    if (code !== null && code !== 0) process.stderr.write(stderr);
  });
  return { child, exit, stderr: () => stderr };
}

describe("crash safety", () => {
  it(`writes every record exactly once when a run is killed with SIGKILL at ${TRIALS} seeded moments and restarted`, async () => {
    if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
    const random = seeded(20241123);
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const point = killPoint(random);
      const trigger = new KillSwitch();
      const kill = trigger.kill;
      let writesAnswered = 0;
      const server = await startHttpTestServer({
        records: RECORDS,
        seed: trial + 1,
        onRequest: (path, count) => {
          if (point.at === "write-arrives" && path === "/customers" && count === point.n) kill();
          if (point.at === "read-arrives" && path === "/shops" && count === point.n) kill();
        },
        afterWrite: () => {
          writesAnswered++;
          if (point.at === "after-write-answered" && writesAnswered === point.n) kill();
        },
      });
      const stateDir = join(CACHE_ROOT, `trial-${trial}`);
      try {
        const first = runFerry(server, stateDir);
        trigger.arm(first.child);
        const firstCode = await first.exit;
        // The restart runs to the end.
        let code = firstCode;
        for (let attempt = 0; code !== 0 && attempt < 3; attempt++) {
          code = await runFerry(server, stateDir).exit;
        }
        expect(code, `trial ${trial} (${JSON.stringify(point)}) did not finish`).toBe(0);
        const keys = server.source.records().map((r) => r.code);
        const counts = keys.map((k) => server.target.writes(k));
        const twice = keys.filter((_, i) => (counts[i] ?? 0) > 1);
        const missing = keys.filter((_, i) => (counts[i] ?? 0) === 0);
        expect({ trial, point, twice, missing }).toEqual({ trial, point, twice: [], missing: [] });
        expect(server.target.totalWrites()).toBe(RECORDS);
        outcomes.push(`${point.at}#${point.n}:${trigger.killed ? "killed" : "finished"}`);
      } finally {
        await server.close();
      }
    }
    // The kill points must actually have been reached, or the test proves nothing.
    expect(outcomes.filter((o) => o.endsWith(":killed")).length).toBeGreaterThanOrEqual(TRIALS - 2);
  }, 240_000);

  it.each(["SIGINT", "SIGTERM"] as const)("stops on %s between calls, records the run as interrupted, and the next run finishes it exactly once", async (signal) => {
    let victim: ChildProcess | undefined;
    const server = await startHttpTestServer({
      records: RECORDS,
      onRequest: (path, count) => {
        if (path === "/customers" && count === 2) victim?.kill(signal);
      },
    });
    const stateDir = join(CACHE_ROOT, `signal-${signal}`);
    try {
      const first = runFerry(server, stateDir);
      victim = first.child;
      expect(await first.exit).toBe(130);
      expect(first.stderr()).toContain(`${signal}: stopping after the calls in flight`);
      expect(first.stderr()).toContain(`interrupted (${signal})`);
      expect(first.stderr()).not.toMatch(/\n\s+at .*:\d+:\d+/);
      // Interrupted between pages: not every record was written, and the run is not left "running".
      expect(server.target.totalWrites()).toBeLessThan(RECORDS);
      const store = SqliteStateStore.open(join(stateDir, "state.db"));
      const [run] = await store.runs("shops_to_customers", 1);
      await store.close();
      expect(run).toMatchObject({ status: "failed", error: `shops_to_customers: interrupted (${signal})` });

      expect(await runFerry(server, stateDir).exit).toBe(0);
      const keys = server.source.records().map((r) => r.code);
      expect(keys.filter((k) => server.target.writes(k) !== 1)).toEqual([]);
      expect(server.target.totalWrites()).toBe(RECORDS);
    } finally {
      await server.close();
    }
  }, 60_000);
});

/**
 * `ferry replay` killed with SIGKILL while it writes, then replayed again: a seed flow's open dead
 * letters end written exactly once each, whatever moment the kill came at. The letters are put in
 * the store as a run that the target refused would have left them; the killed replay is a real
 * process, writing to the seed flow's target sandbox; the restarts run the same command in process
 * (a killed one among them now and then, to kill a replay that is itself settling a killed one).
 */
describe("crash safety of ferry replay", () => {
  type ReplayKill =
    /** The process dies as write n is sent: the target never sees it. */
    | { readonly at: "write-lost"; readonly n: number }
    /** The process dies as write n arrives: the target applies it, the answer goes nowhere. */
    | { readonly at: "write-arrives"; readonly n: number }
    /** The process dies once write n was answered, before (or while) it stores the outcome. */
    | { readonly at: "after-write-answered"; readonly n: number };

  interface ReplayedFlow {
    readonly name: string;
    /** The .map file replayed. */
    readonly file: string;
    /** Write calls of a whole replay of the letters. */
    readonly writes: number;
    readonly sandbox: (seed: number) => SandboxHandler & { saves(key: string): number; totalSaves(): number; releaseHeld(): void };
    /** The open letters the trial starts from, each with the key its target saves it under. */
    readonly letters: (seed: number) => { readonly letter: DeadLetterInput; readonly key: string }[];
    readonly collections?: (seed: number) => { readonly name: string; readonly documents: readonly unknown[] };
    /** Whether a request is a write (the kill points count them) or asks the target what it holds. */
    isWrite(req: IncomingMessage): boolean;
    isLookup(req: IncomingMessage): boolean;
    readonly env: Readonly<Record<string, string>>;
  }

  const KINGDEE_LETTERS = 250;
  const BANNIU_LETTERS = 6;
  const GOODS = "a97d423e-52f5-3d6f-9f94-39a9f43f2bd5";
  const pathOf = (req: IncomingMessage) => (req.url ?? "/").split("?")[0] ?? "/";
  const banniuMethod = (req: IncomingMessage) => new URL(req.url ?? "/", "http://sandbox").searchParams.get("method");
  // The Banniu sandbox does not enforce Banniu's 2 calls a second; the trials raise the flow's own
  // rate so that twenty of them take seconds. The mapping is the seed flow's.
  const banniuFile = join(CACHE_ROOT, "banniu-task-barcodes.map");
  writeFileSync(banniuFile, mutate(seed("banniu"), 'target banniu "task.update" {\n', 'target banniu "task.update" {\n  rate    50/s\n'));

  const flows: readonly ReplayedFlow[] = [
    {
      name: "guanyi_shops_to_kingdee_customers",
      file: `${ROOT}${SEED_FILES.guanyi}`,
      writes: Math.ceil(KINGDEE_LETTERS / 100),
      sandbox: (s) => createKingdeeSandbox({ seed: s, records: 0, dice: new FaultDice([], s), now: Date.now }),
      letters: () =>
        Array.from({ length: KINGDEE_LETTERS }, (_, i) => {
          const record = { id: 55_370_000_000 + i, code: `gsh_${i}`, name: `店铺${i}`, type_name: ["天猫", "京东", "门店", "其他"][i % 4], note: i % 3 ? "旗舰店" : "" };
          return { key: record.code, letter: { sourceId: String(record.id), stage: "write", reason: "客户类别不存在", record, row: null } };
        }),
      isWrite: (req) => pathOf(req).endsWith(".BatchSave.common.kdsvc"),
      isLookup: (req) => pathOf(req).endsWith(".ExecuteBillQuery.common.kdsvc"),
      env: { ...SANDBOX_CREDENTIALS.kingdee },
    },
    {
      name: "banniu_task_barcodes",
      file: banniuFile,
      // The letters' updates travel together in one task.batchUpdate call.
      writes: 1,
      sandbox: (s) => {
        const banniu = createBanniuSandbox({ seed: s, records: 40, dice: new FaultDice([], s), now: Date.now });
        return { ...banniu, saves: (key: string) => banniu.saves(Number(key)) };
      },
      letters: (s) => {
        const known = new Set(banniuGoods(s).map((g) => g.content.goodsNo));
        const tasks = createBanniuSandbox({ seed: s, records: 40, dice: new FaultDice([], s), now: Date.now }).tasks();
        return tasks
          .filter((t) => known.has(String(t.columns["27963"])))
          .slice(0, BANNIU_LETTERS)
          .map((t) => ({ key: String(t.id), letter: { sourceId: String(t.id), stage: "map", reason: "no goods found for this goods number", record: t.columns, row: null } }));
      },
      collections: (s) => ({ name: GOODS, documents: banniuGoods(s) }),
      isWrite: (req) => ["task.update", "task.batchUpdate"].includes(banniuMethod(req) ?? ""),
      isLookup: (req) => banniuMethod(req) === "task.getTask",
      env: { ...SANDBOX_CREDENTIALS.banniu },
    },
  ];

  /** Banniu's target says which task contents it holds only once its connector has a lookup. */
  const canConfirm = (flow: ReplayedFlow) => {
    const spec = flowOf(flow.file === banniuFile ? seed("banniu") : seed("guanyi")).spec;
    const env = { ...flow.env, FERRY_KINGDEE_URL: "http://127.0.0.1:9", FERRY_BANNIU_URL: "http://127.0.0.1:9" };
    return connectorFactory(spec.target.connector)?.target?.({ env, clock: systemClock, flow: spec }).lookup !== undefined;
  };

  function replayKill(random: () => number, writes: number): ReplayKill {
    const r = random();
    const n = 1 + Math.floor(random() * writes);
    if (r < 0.3) return { at: "write-lost", n };
    if (r < 0.65) return { at: "write-arrives", n };
    return { at: "after-write-answered", n };
  }

  function spawnReplay(flow: ReplayedFlow, env: Record<string, string>): { child: ChildProcess; exit: Promise<number | null> } {
    const child = spawn(process.execPath, [BIN, "replay", flow.file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: "ignore" });
    return { child, exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  }

  // A target that cannot say what it holds cannot promise exactly once after a crash (ferry says its
  // rows "may be written twice"): its trials run once its connector can confirm writes.
  for (const flow of flows) {
    it.skipIf(!canConfirm(flow))(`writes every letter of ${flow.name} exactly once when a replay is killed with SIGKILL at ${TRIALS} seeded moments and replayed again`, async () => {
      if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
      const random = seeded(flow.name === "banniu_task_barcodes" ? 20250311 : 20250310);
      const outcomes: string[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const point = replayKill(random, flow.writes);
        const killAgain = random() < 0.3;
        const sandbox = flow.sandbox(trial + 1);
        let victim: ChildProcess | undefined;
        let killed = 0;
        let writes = 0;
        let secondVictim = false;
        const kill = () => {
          if (victim && victim.exitCode === null && victim.signalCode === null) {
            victim.kill("SIGKILL");
            killed++;
          }
          victim = undefined;
        };
        const watched: SandboxHandler & { releaseHeld(): void } = {
          system: sandbox.system,
          owns: (path) => sandbox.owns(path),
          stats: () => sandbox.stats(),
          releaseHeld: () => sandbox.releaseHeld(),
          async handle(req, body, res) {
            const write = flow.isWrite(req);
            if (write) writes++;
            if (secondVictim && victim && (write || flow.isLookup(req))) kill();
            else if (victim && write && writes === point.n && point.at !== "after-write-answered") {
              kill();
              if (point.at === "write-lost") return void res.destroy();
            }
            await sandbox.handle(req, body, res);
            if (victim && write && writes === point.n && point.at === "after-write-answered") kill();
          },
        };
        const server = await serveSandboxes([watched]);
        const stateDir = join(CACHE_ROOT, `replay-${flow.name}-${trial}`);
        const env: Record<string, string> = {
          ...flow.env,
          FERRY_KINGDEE_URL: server.url,
          FERRY_BANNIU_URL: server.url,
          FERRY_STATE_DIR: stateDir,
          FERRY_CACHE_DIR: join(CACHE_ROOT, "cache"),
          NO_COLOR: "1",
        };
        const letters = flow.letters(trial + 1);
        const store = SqliteStateStore.open(join(stateDir, "state.db"));
        try {
          const runId = await store.startRun(flow.name, Date.now(), false);
          await store.finishRun(runId, Date.now(), "dead-letters", { read: letters.length, written: 0, unchanged: 0, deadLettered: letters.length }, null);
          await store.commit(flow.name, { runId, done: [], cleared: [], deadLetters: letters.map((l) => l.letter) });
          const goods = flow.collections?.(trial + 1);
          if (goods) await store.loadCollection(goods.name, goods.documents, true);
          await store.close();

          const first = spawnReplay(flow, env);
          victim = first.child;
          await first.exit;
          if (killAgain && killed > 0) {
            // The next replay is killed too, at its first call: while it settles the killed one's writes.
            secondVictim = true;
            const second = spawnReplay(flow, env);
            victim = second.child;
            await second.exit;
          }
          let replay = await ferry(["replay", flow.file], { cwd: ROOT, env });
          for (let attempt = 0; replay.code !== 0 && attempt < 2; attempt++) replay = await ferry(["replay", flow.file], { cwd: ROOT, env });
          expect(replay.code, `trial ${trial} (${JSON.stringify(point)}): ${replay.stderr}`).toBe(0);

          const counts = letters.map((l) => sandbox.saves(l.key));
          const twice = letters.filter((_, i) => (counts[i] ?? 0) > 1).map((l) => l.key);
          const missing = letters.filter((_, i) => (counts[i] ?? 0) === 0).map((l) => l.key);
          expect({ trial, point, twice, missing }).toEqual({ trial, point, twice: [], missing: [] });
          expect(sandbox.totalSaves()).toBe(letters.length);
          const after = SqliteStateStore.open(join(stateDir, "state.db"));
          try {
            expect(await after.countDeadLetters(flow.name)).toBe(0);
            expect(await after.pending(flow.name)).toEqual([]);
          } finally {
            await after.close();
          }
          outcomes.push(`${point.at}#${point.n}:${killed}`);
        } finally {
          await server.close();
          await store.close();
        }
      }
      // The kill points must actually have been reached, or the trials prove nothing.
      expect(outcomes.filter((o) => !o.endsWith(":0")).length, outcomes.join(" ")).toBeGreaterThanOrEqual(TRIALS - 2);
    }, 120_000);
  }
});
