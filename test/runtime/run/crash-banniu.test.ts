import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { banniuGoods, createBanniuSandbox, type BanniuSandbox } from "../../../connectors/banniu/sandbox.js";
import { FaultDice } from "../../../connectors/sandbox/faults.js";
import { SANDBOX_CREDENTIALS, type SandboxHandler } from "../../../connectors/sandbox/handler.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../../runtime/datetime.js";
import { SqliteStateStore } from "../../../runtime/state/sqlite.js";
import { serveSandboxes } from "../../support/sandbox-server.js";
import { KillSwitch } from "../../support/kill-switch.js";
import { ROOT, mutate, seed } from "../../support/seeds.js";
import { seeded } from "../../support/runtime.js";

const TRIALS = 20;
const TASKS = 20;
const GOODS = "a97d423e-52f5-3d6f-9f94-39a9f43f2bd5";
const BIN = `${ROOT}bin/ferry.js`;
const ROOT_DIR = mkdtempSync(join(tmpdir(), "ferry-crash-banniu-"));
afterAll(() => rmSync(ROOT_DIR, { recursive: true, force: true }));

/**
 * The Banniu seed flow as it is, but for its rate: the sandbox enforces none, and at Banniu's 2 calls
 * a second 20 trials would take minutes of waiting. The mapping, the target and its idcheck are the seed's.
 */
const FLOW = join(ROOT_DIR, "banniu-task-barcodes.map");
writeFileSync(FLOW, mutate(mutate(seed("banniu"), "  rate    2/s\n", "  rate    50/s\n"), "  idcheck task_id\n", "  idcheck task_id\n  rate    50/s\n"));

type KillPoint =
  | { readonly at: "update-applied-unanswered" | "update-dropped" | "after-update-answered"; readonly n: number }
  | { readonly at: "read-arrives"; readonly n: number };

/**
 * Where a trial kills the run: seeded, so a failure reproduces. The seed flow sends its updates as
 * task.batchUpdate calls, one per window with tasks (two or more for its 20 tasks), and reads 3 pages.
 */
function killPoint(random: () => number): KillPoint {
  const r = random();
  const n = 1 + Math.floor(random() * 2);
  if (r < 0.3) return { at: "update-applied-unanswered", n };
  if (r < 0.55) return { at: "after-update-answered", n };
  if (r < 0.8) return { at: "update-dropped", n };
  return { at: "read-arrives", n: 1 + Math.floor(random() * 3) };
}

const shanghai = (ms: number) => formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);

function runFerry(url: string, stateDir: string): { child: ChildProcess; exit: Promise<number | null> } {
  const now = Date.now();
  const child = spawn(process.execPath, [BIN, "run", FLOW, "--from", shanghai(now - 3 * 86_400_000), "--to", shanghai(now)], {
    cwd: ROOT,
    env: { ...process.env, ...SANDBOX_CREDENTIALS.banniu, FERRY_BANNIU_URL: url, FERRY_STATE_DIR: stateDir, FERRY_CACHE_DIR: join(ROOT_DIR, "cache"), NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  void exit.then((code) => {
    // 3: finished, with the tasks whose goods are unknown as dead letters.
    if (code !== null && code !== 0 && code !== 3) process.stderr.write(stderr);
  });
  return { child, exit };
}

/** The sandbox behind a handler that kills the run at `point`. */
function killing(sandbox: BanniuSandbox, point: KillPoint, kill: () => void): SandboxHandler {
  const counts = new Map<string, number>();
  return {
    ...sandbox,
    handle: async (req, body, res) => {
      const method = new URL(req.url ?? "/", "http://x").searchParams.get("method") ?? "";
      const n = (counts.get(method) ?? 0) + 1;
      counts.set(method, n);
      const here = n === point.n && method === (point.at === "read-arrives" ? "task.list" : "task.batchUpdate");
      if (here && point.at === "update-dropped") {
        // The process dies while its update is on the way: Banniu never sees it.
        kill();
        res.socket?.destroy();
        return;
      }
      if (here && (point.at === "read-arrives" || point.at === "update-applied-unanswered")) kill();
      if (here && point.at === "after-update-answered") res.once("finish", kill);
      await sandbox.handle(req, body, res);
    },
  };
}

describe("crash safety of the Banniu seed flow", () => {
  it(`updates every task exactly once when a run is killed with SIGKILL at ${TRIALS} seeded moments and restarted`, async () => {
    if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
    const random = seeded(20250115);
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const point = killPoint(random);
      const trigger = new KillSwitch();
      const kill = trigger.kill;
      const sandbox = createBanniuSandbox({ seed: trial + 1, records: TASKS, dice: new FaultDice([], trial + 1), now: Date.now });
      const server = await serveSandboxes([killing(sandbox, point, kill)]);
      const stateDir = join(ROOT_DIR, `trial-${trial}`);
      const store = SqliteStateStore.open(join(stateDir, "state.db"));
      await store.loadCollection(GOODS, banniuGoods(trial + 1), true);
      await store.close();
      try {
        const first = runFerry(server.url, stateDir);
        trigger.arm(first.child);
        let code = await first.exit;
        for (let attempt = 0; code !== 0 && code !== 3 && attempt < 3; attempt++) code = await runFerry(server.url, stateDir).exit;
        expect([0, 3], `trial ${trial} (${JSON.stringify(point)}) did not finish`).toContain(code);

        const goods = new Set(banniuGoods(trial + 1).map((g) => g.content.goodsNo));
        const tasks = sandbox.tasks();
        const known = tasks.filter((t) => goods.has(String(t.columns["27963"])));
        const twice = known.filter((t) => sandbox.saves(t.id) > 1).map((t) => t.id);
        const missing = known.filter((t) => sandbox.saves(t.id) === 0).map((t) => t.id);
        expect({ trial, point, twice, missing }).toEqual({ trial, point, twice: [], missing: [] });
        expect(sandbox.totalSaves()).toBe(known.length);
        outcomes.push(`${point.at}#${point.n}:${trigger.killed ? "killed" : "finished"}`);
      } finally {
        await server.close();
      }
    }
    // The kill points must actually have been reached, or the test proves nothing.
    expect(outcomes.filter((o) => o.endsWith(":killed")).length, outcomes.join(", ")).toBeGreaterThanOrEqual(TRIALS - 2);
  }, 300_000);
});
