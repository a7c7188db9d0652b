import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { afterRunAlerts, alertsCommand } from "../../cli/commands/alerts.js";
import type { Io } from "../../cli/io.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import { fakeRun, NOW } from "../support/alert-state.js";
import { startReceiver, type WebhookReceiver } from "../support/webhook.js";

let dir: string;
let receiver: WebhookReceiver;
let out: { stdout: string; stderr: string };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "ferry-alerts-cli-"));
  receiver = await startReceiver();
  out = { stdout: "", stderr: "" };
});

afterEach(async () => {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

function io(env: Record<string, string> = {}): Io {
  return {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    cwd: dir,
    env,
    isTTY: false,
  };
}

function writeConfig(config: unknown): void {
  writeFileSync(join(dir, "ferry.config.json"), typeof config === "string" ? config : JSON.stringify(config, null, 2));
}

const TOKEN = "TOKEN-0123456789";
function goodConfig(url = `env:HOOK_URL`) {
  return {
    alerts: {
      targets: [{ name: "ops", type: "dingtalk", url, secret: "env:DING_SECRET" }],
      rules: [{ name: "失败", kind: "run-failed", targets: ["ops"] }],
    },
  };
}

function hookEnv(): Record<string, string> {
  return { HOOK_URL: `${receiver.url}/robot/send?access_token=${TOKEN}`, DING_SECRET: "SEC-abcdef" };
}

async function withStore(fn: (store: SqliteStateStore) => Promise<unknown>): Promise<void> {
  const store = SqliteStateStore.open(join(dir, ".ferry", "state.db"), { now: () => NOW });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

describe("ferry alerts --check", () => {
  it.each([
    { name: "a good file", config: goodConfig(), env: { HOOK_URL: "http://127.0.0.1:9/x", DING_SECRET: "s" }, code: 0, stdout: "ferry.config.json: ok (1 target, 1 rule)\n", stderr: "" },
    { name: "no file", config: undefined, env: {}, code: 0, stdout: "no ferry.config.json here: no alerts\n", stderr: "" },
    {
      name: "a misspelt kind",
      config: { alerts: { targets: [{ name: "ops", type: "json", url: "http://h/x" }], rules: [{ name: "a", kind: "run-faild", targets: ["ops"] }] } },
      env: {},
      code: 1,
      stdout: "",
      stderr: 'ferry.config.json: alerts.rules[0].kind: unknown kind "run-faild" (did you mean "run-failed"?)\n',
    },
    {
      name: "an unset env reference",
      config: goodConfig(),
      env: { DING_SECRET: "s" },
      code: 1,
      stdout: "",
      stderr: "ferry.config.json: alerts.targets[0].url: environment variable HOOK_URL is not set\n",
    },
  ] as { name: string; config: unknown; env: Record<string, string>; code: number; stdout: string; stderr: string }[])("$name: exit $code", async ({ config, env, code, stdout, stderr }) => {
    if (config !== undefined) writeConfig(config);
    expect(await alertsCommand(io(env), { check: true })).toBe(code);
    expect(out).toEqual({ stdout, stderr });
  });

  it("reads env references from the .env file too", async () => {
    writeConfig(goodConfig());
    writeFileSync(join(dir, ".env"), `HOOK_URL=http://127.0.0.1:9/x\nDING_SECRET=s\n`);
    expect(await alertsCommand(io(), { check: true })).toBe(0);
  });
});

describe("ferry alerts", () => {
  it("evaluates now: prints the firing incident once new, notifies once, then lists it as still firing", async () => {
    writeConfig(goodConfig());
    await withStore((store) => fakeRun(store, "shops", { status: "failed", error: "shops: 金蝶 HTTP 500" }));
    const clock = new FakeClock({ start: NOW, auto: true });

    expect(await alertsCommand(io(hookEnv()), {}, { clock })).toBe(0);
    expect(out.stdout).toBe(
      "firing   失败 · shops: run #1 failed: shops: 金蝶 HTTP 500  (since 2024-09-08 08:00:00, new)\n" +
        "sent     firing notice of 失败 · shops to ops\n",
    );
    out.stdout = "";
    expect(await alertsCommand(io(hookEnv()), {}, { clock })).toBe(0);
    expect(out.stdout).toBe("firing   失败 · shops: run #1 failed: shops: 金蝶 HTTP 500  (since 2024-09-08 08:00:00)\n");
    expect(receiver.received).toHaveLength(1);
  });

  it("says so when nothing fires, and exits 1 on a bad file", async () => {
    writeConfig(goodConfig());
    expect(await alertsCommand(io(hookEnv()), {}, { clock: new FakeClock(NOW) })).toBe(0);
    expect(out.stdout).toBe("no incidents\n");
    writeConfig("{");
    expect(await alertsCommand(io(hookEnv()), {})).toBe(1);
    expect(out.stderr).toBe("ferry.config.json: not valid JSON: unexpected end of the file at line 1, column 2\n");
  });

  it("warns about a failed notice without the URL, its token or the secret", async () => {
    writeConfig(goodConfig());
    await withStore((store) => fakeRun(store, "shops", { status: "failed" }));
    receiver.failNext(4, 500, `{"echo":"${receiver.url}/robot/send?access_token=${TOKEN}"}`);
    expect(await alertsCommand(io(hookEnv()), {}, { clock: new FakeClock({ start: NOW, auto: true }), attempts: 2 })).toBe(0);
    expect(out.stderr).toBe("warning: could not send the firing notice of 失败 · shops to ops: HTTP 500 (after 2 attempts)\n");
    expect(out.stdout + out.stderr).not.toMatch(new RegExp(`${TOKEN}|SEC-abcdef|127\\.0\\.0\\.1`));
  });
});

describe("afterRunAlerts", () => {
  it("evaluates and notifies, printing only what changed", async () => {
    writeConfig(goodConfig());
    await withStore(async (store) => {
      await fakeRun(store, "shops", { status: "failed", error: "boom" });
      const clock = new FakeClock({ start: NOW, auto: true });
      await afterRunAlerts(io(), hookEnv(), dir, store, { clock });
      await afterRunAlerts(io(), hookEnv(), dir, store, { clock });
    });
    expect(out.stderr).toBe("firing   失败 · shops: run #1 failed: boom  (since 2024-09-08 08:00:00, new)\n");
    expect(receiver.received).toHaveLength(1);
  });

  it("never fails the run: a bad file is a warning", async () => {
    writeConfig({ alerts: { rules: [{ name: "a", kind: "run-failed", targets: ["nope"] }] } });
    await withStore((store) => afterRunAlerts(io(), {}, dir, store));
    expect(out.stderr).toBe(
      'warning: ferry.config.json: alerts.rules[0].targets[0]: unknown target "nope"; alerts.targets is empty (alerts skipped; check with: ferry alerts --check)\n',
    );
  });

  it("never fails the run: a store that cannot answer is a warning", async () => {
    writeConfig(goodConfig());
    const store = SqliteStateStore.open(join(dir, ".ferry", "state.db"));
    await store.close();
    await expect(afterRunAlerts(io(), hookEnv(), dir, store)).resolves.toBeUndefined();
    expect(out.stderr).toMatch(/^warning: alerts: .*database connection is not open/);
  });

  it("without a config file still stores the run's anomalies", async () => {
    await withStore(async (store) => {
      for (let i = 0; i < 3; i++) await fakeRun(store, "shops", { stats: [{ field: "FName", rows: 100, nulls: 0, empties: 0 }] });
      await fakeRun(store, "shops", { stats: [{ field: "FName", rows: 100, nulls: 50, empties: 0 }] });
      await afterRunAlerts(io(), {}, dir, store, { clock: new FakeClock(NOW) });
      expect(await store.anomalies("shops", 10)).toHaveLength(1);
    });
    expect(out.stderr).toBe("anomaly  shops run #4: FName: null rate 50.0% (usually 0.0%)\n");
  });
});
