import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import { ferry } from "../support/io.js";
import { ROOT } from "../support/seeds.js";

const SHOPS = readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8");
const FLOW = "shops_to_customers";
/** 2024-09-08 00:30 UTC: 08:30 in Shanghai. */
const STARTED = Date.UTC(2024, 8, 8, 0, 30, 0);
const COUNTS = { read: 120, written: 118, unchanged: 0, deadLettered: 2 };

let dir: string;
let env: Record<string, string>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "ferry-status-cli-"));
  env = { FERRY_STATE_DIR: join(dir, "state"), NO_COLOR: "1" };
  // The file's name says nothing of the flow: its `mapping` line does.
  writeFileSync(join(dir, "shops.map"), SHOPS);
  mkdirSync(join(dir, "mappings"));
  writeFileSync(join(dir, "mappings", "customers-from-shops.map"), SHOPS);
  const store = SqliteStateStore.open(join(dir, "state", "state.db"));
  const run = await store.startRun(FLOW, STARTED, false);
  await store.commit(FLOW, { runId: run, done: [], cleared: [], deadLetters: [], checkpoint: String(Date.UTC(2024, 8, 7, 16, 0, 0)) });
  await store.finishRun(run, STARTED + 4_200, "dead-letters", COUNTS, null);
  await store.close();
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const status = (...argv: string[]) => ferry(["status", ...argv], { cwd: dir, env });

describe("ferry status", () => {
  it.each([[FLOW], ["shops.map"], ["./shops.map"], ["mappings/customers-from-shops.map"], ["<absolute path of shops.map>"]])(
    "`ferry status %s` shows the flow's runs, as `ferry run` of it recorded them",
    async (argument) => {
      const out = await status(argument.startsWith("<") ? join(dir, "shops.map") : argument);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(`${FLOW}  checkpoint 2024-09-08 00:00:00 +08:00  0 dead letters need attention\n`);
      expect(out.stdout).toMatch(/ {2}#1 {2}2024-09-08 08:30:00 \+08:00 {2}dead-letters +120 read · 118 written · 0 unchanged · 2 dead letters {2}\(4\.2 s\)/);
      expect(out.stdout).not.toContain("no runs");
    },
  );

  it("prints every time in Asia/Shanghai with its offset, whatever the machine's zone", async () => {
    const zone = process.env.TZ;
    process.env.TZ = "America/Los_Angeles";
    try {
      const out = await status();
      expect(out.stdout).toMatch(/#1 {2}2024-09-08 08:30:00 \+08:00 /);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("says so in one line when a .map file does not exist (exit 2), instead of showing no runs", async () => {
    const out = await status("nope.map");
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/no such file: nope\.map/);
    expect(out.stdout).toBe("");
  });

  it("still shows a flow by name whose file is gone", async () => {
    rmSync(join(dir, "mappings"), { recursive: true });
    rmSync(join(dir, "shops.map"));
    const out = await status(FLOW);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("#1  2024-09-08 08:30:00 +08:00");
  });
});
