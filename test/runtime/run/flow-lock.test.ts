import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FlowBusyError, lockFlow, STALE_LOCK_MS } from "../../../runtime/run/flow-lock.js";
import { processStart, startTicks } from "../../../runtime/run/process-start.js";
import { SqliteStateStore } from "../../../runtime/state/sqlite.js";
import type { FlowLock } from "../../../runtime/state/store.js";

const NOW = Date.UTC(2024, 8, 8);
/** Whether this OS tells process start times (Linux /proc). */
const TELLS_START = processStart(process.pid) !== null;
let dir: string | undefined;
let store: SqliteStateStore | undefined;
const children: { kill(): boolean }[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) c.kill();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  store = undefined;
  dir = undefined;
});

function openStore(): SqliteStateStore {
  dir = mkdtempSync(join(tmpdir(), "ferry-lock-"));
  return (store = SqliteStateStore.open(join(dir, "state.db")));
}

/** Puts a lock in the store as another holder would have left it. */
async function plant(s: SqliteStateStore, holder: Partial<FlowLock>): Promise<void> {
  const lock: FlowLock = { token: "planted", pid: 1, host: hostname(), since: NOW, beat: NOW, ...holder };
  expect(await s.lockFlow("f", lock, () => false)).toBeNull();
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid;
}

/** The pid of a process that is running (stopped after the test). */
function livePid(): number {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  children.push(child);
  return child.pid!;
}

describe("lockFlow", () => {
  it("lets one holder at a time write a flow, within one process too", async () => {
    const s = openStore();
    const first = await lockFlow(s, "f", NOW);
    await expect(lockFlow(s, "f", NOW)).rejects.toThrow(FlowBusyError);
    await expect(lockFlow(s, "f", NOW)).rejects.toThrow(`f: another run is writing this flow (pid ${process.pid} on ${hostname()}, since 2024-09-08T00:00:00.000Z)`);
    // Another flow is not affected.
    await (await lockFlow(s, "g", NOW)).release();
    await first.release();
    await (await lockFlow(s, "f", NOW)).release();
  });

  it("refuses while the holding process on this host is alive", async () => {
    const s = openStore();
    await plant(s, { pid: livePid() });
    await expect(lockFlow(s, "f", NOW)).rejects.toThrow(FlowBusyError);
  });

  it("takes over a lock whose process died (a crash, SIGKILL)", async () => {
    const s = openStore();
    await plant(s, { pid: deadPid() });
    await (await lockFlow(s, "f", NOW)).release();
  });

  it("takes over a lock of this process's pid that no holder here has (left by an earlier process)", async () => {
    const s = openStore();
    await plant(s, { pid: process.pid, token: "not-held-here" });
    await (await lockFlow(s, "f", NOW)).release();
  });

  it.skipIf(!TELLS_START)("takes over a lock whose pid now names another process (its start time differs)", async () => {
    const s = openStore();
    const pid = livePid();
    await plant(s, { pid, started: `${processStart(pid)!.split(":")[0]}:1` });
    await (await lockFlow(s, "f", NOW)).release();
  });

  it.skipIf(!TELLS_START)("refuses while the holder's own process runs, however old its heartbeat", async () => {
    const s = openStore();
    const pid = livePid();
    await plant(s, { pid, started: processStart(pid)!, beat: NOW - 10 * STALE_LOCK_MS });
    await expect(lockFlow(s, "f", NOW)).rejects.toThrow(`pid ${pid} on ${hostname()}`);
  });

  it("where the start time is unknown, takes over a live pid only once its heartbeat is stale", async () => {
    const s = openStore();
    const pid = livePid();
    await plant(s, { pid, beat: NOW - STALE_LOCK_MS + 1 });
    await expect(lockFlow(s, "f", NOW)).rejects.toThrow(FlowBusyError);
    await (await lockFlow(s, "f", NOW + 1)).release();
  });

  it.skipIf(!TELLS_START)("stores its own process start time with the lock", async () => {
    const s = openStore();
    const held = await lockFlow(s, "f", NOW);
    expect(await s.lockFlow("f", { token: "x", pid: 2, host: "h", since: NOW, beat: NOW }, () => true)).toMatchObject({ pid: process.pid, started: processStart(process.pid) });
    await held.release();
  });

  it("judges a holder on another host by its heartbeat", async () => {
    const s = openStore();
    await plant(s, { host: "elsewhere", pid: 1, beat: NOW - STALE_LOCK_MS + 1 });
    await expect(lockFlow(s, "f", NOW)).rejects.toThrow(/pid 1 on elsewhere/);
    const held = await lockFlow(s, "f", NOW + 1);
    // A fresh heartbeat keeps the lock from being taken over from another host.
    await held.beat(NOW + STALE_LOCK_MS);
    expect((await s.lockFlow("f", { token: "x", pid: 2, host: "elsewhere", since: NOW, beat: NOW }, () => true))?.beat).toBe(NOW + STALE_LOCK_MS);
    await held.release();
  });
});

describe("processStart", () => {
  it.each([
    ["a plain name", "4242 (node) S 1 4242 4242 0 -1 4194560 21809 1404277 0 131 8 16 6688 1000 20 0 1 0 64870 5386240 1054", "64870"],
    ["a name with spaces and parentheses", "4242 (my (odd) name) R 1 4242 4242 0 -1 4194560 21809 1404277 0 131 8 16 6688 1000 20 0 1 0 99 5386240 1054", "99"],
    ["a cut-off line", "4242 (node) S 1 4242", null],
    ["no name at all", "garbage", null],
  ])("reads field 22 of /proc/<pid>/stat with %s", (_what, stat, ticks) => {
    expect(startTicks(stat)).toBe(ticks);
  });

  it.skipIf(!TELLS_START)("tells two processes apart and knows nothing of a process that is gone", () => {
    const pid = livePid();
    expect(processStart(pid)).toMatch(/^[0-9a-f-]+:\d+$/);
    expect(processStart(pid)).not.toBe(processStart(process.pid));
    expect(processStart(deadPid())).toBeNull();
    expect(processStart(-1)).toBeNull();
  });
});
