import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startHttpTestServer, type HttpTestServer } from "../../../connectors/http/test-server.js";
import { SqliteStateStore } from "../../../runtime/state/sqlite.js";
import { ROOT } from "../../support/seeds.js";
import { seeded } from "../../support/runtime.js";

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
      let victim: ChildProcess | undefined;
      let killed = false;
      const kill = () => {
        if (!killed && victim) {
          killed = true;
          victim.kill("SIGKILL");
        }
      };
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
        victim = first.child;
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
        outcomes.push(`${point.at}#${point.n}:${killed ? "killed" : "finished"}`);
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
