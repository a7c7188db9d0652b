import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ferry } from "../support/io.js";
import { mappingsCount, mutate, ROOT, seed } from "../support/seeds.js";

const scratch = mkdtempSync(join(tmpdir(), "ferry-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

describe("ferry check", () => {
  it("passes the seed flows with exit 0", async () => {
    const run = await ferry(["check", "mappings/"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^ok: ${mappingsCount().files} files checked in \\d+ ms`, "m"));
  });

  it("checks mappings/ when given no path", async () => {
    expect((await ferry(["check"])).code).toBe(0);
  });

  it("points at a misspelt field with a code frame and a suggestion, exit 1", async () => {
    const file = write("typo.map", mutate(seed("guanyi"), "<- name ", "<- nmae "));
    const run = await ferry(["check", file], { cwd: scratch });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error[MAP2001]: unknown source field `nmae`");
    expect(run.stderr).toContain("--> typo.map:23:29");
    expect(run.stderr).toContain('23 |   FName        : string  <- nmae                  "客户名称"');
    expect(run.stderr).toMatch(/\n   \| {29}\^\^\^\^ not a field of gy\.erp\.shop\.get records\n/);
    expect(run.stderr).toContain("= help: did you mean `name`?");
    expect(run.stderr).toMatch(/error: 1 error in 1 file \(1 file checked in \d+ ms\)/);
  });

  it.runIf(process.platform !== "win32")("refuses a path that is neither a file nor a folder (a FIFO), exit 2", async () => {
    execFileSync("mkfifo", [join(scratch, "pipe.map")]);
    const run = await ferry(["check", "pipe.map"], { cwd: scratch });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("ferry: pipe.map is neither a file nor a folder\n");
  });

  it("refuses two files that declare the same flow, and builds neither twice", async () => {
    const { mkdirSync } = await import("node:fs");
    mkdirSync(`${scratch}/twins`, { recursive: true });
    write("twins/a.map", seed("guanyi"));
    write("twins/b.map", mutate(seed("guanyi"), '"客户名称"', '"客户全称"'));
    const run = await ferry(["check", "twins"], { cwd: scratch });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error[MAP2027]: flow `guanyi_shops_to_kingdee_customers` is already declared by twins/a.map");
    expect(run.stderr).toContain("--> twins/b.map:");
    expect(run.stderr).toMatch(/= note: first declared here\n +--> twins\/a\.map:\d+:9/);
    const build = await ferry(["build", "twins", "--out", "twins-out"], { cwd: scratch });
    expect(build.code).toBe(1);
  });

  it("gives the same as JSON with --json", async () => {
    const file = write("typo-json.map", mutate(seed("guanyi"), "<- name ", "<- nmae "));
    const run = await ferry(["check", "--json", file], { cwd: scratch });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([
      expect.objectContaining({
        code: "MAP2001", severity: "error", message: "unknown source field `nmae`", file: "typo-json.map",
        line: 23, column: 29, endLine: 23, endColumn: 33, hint: "did you mean `name`?",
      }),
    ]);
  });

  it("shows the first 100 diagnostics of a file and counts the rest; --json carries them all", async () => {
    const lines = Array.from({ length: 150 }, () => "  FName        : string  <- name\n").join("");
    const file = write("many.map", mutate(seed("guanyi"), '  FName        : string  <- name                  "客户名称"\n', `  FName        : string  <- name\n${lines}`));
    const run = await ferry(["check", file], { cwd: scratch });
    expect(run.code).toBe(1);
    const frames = run.stderr.match(/^error\[MAP2003\]/gm) ?? [];
    expect(frames).toHaveLength(100);
    expect(run.stderr).toContain("--> many.map:24:3"); // the first duplicate, in source order
    expect(run.stderr).not.toContain("--> many.map:124:3");
    expect(run.stderr).toContain("… and 50 more errors in many.map, not shown (the first 100 are above; `--json` lists every one)");
    expect(run.stderr).toMatch(/error: 150 errors in 1 file/);
    const json = await ferry(["check", "--json", file], { cwd: scratch });
    const all = JSON.parse(json.stdout) as { code: string; line: number }[];
    expect(all).toHaveLength(150);
    expect(all.map((d) => d.line)).toEqual(Array.from({ length: 150 }, (_, i) => 24 + i));
  });

  it("colours only on a terminal, and never with NO_COLOR", async () => {
    const file = write("colour.map", mutate(seed("guanyi"), "<- name ", "<- nmae "));
    expect((await ferry(["check", file], { cwd: scratch, isTTY: true })).stderr).toContain("\x1b[");
    expect((await ferry(["check", file], { cwd: scratch, isTTY: true, env: { NO_COLOR: "1" } })).stderr).not.toContain("\x1b[");
    expect((await ferry(["check", file], { cwd: scratch, isTTY: false })).stderr).not.toContain("\x1b[");
  });

  it.each([
    [["check", "no/such/place"], /no such file or folder: no\/such\/place/],
    [["check", "--nope"], /unknown option '--nope'/],
    [["chek"], /unknown command 'chek'/],
    [["explain", "MAP9999"], /unknown code "MAP9999"/],
  ])("exits 2 on bad usage: %j", async (argv, message) => {
    const run = await ferry(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe("ferry build", () => {
  it("writes one module per flow into --out", async () => {
    const out = join(scratch, "generated");
    const run = await ferry(["build", "mappings/", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(out, "banniu-task-barcodes.ts"), "utf8")).toContain("export function map(");
    expect(existsSync(join(out, "guanyi-shops-to-kingdee-customers.ts"))).toBe(true);
  });

  it("writes nothing when a flow has errors", async () => {
    const file = write("broken.map", mutate(seed("guanyi"), "<- name ", "<- nmae "));
    const out = join(scratch, "not-written");
    const run = await ferry(["build", file, "--out", out], { cwd: scratch });
    expect(run.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});

describe("ferry test", () => {
  it("passes every example of the seed flows", async () => {
    const run = await ferry(["test", "mappings/"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${mappingsCount().examples} passed, 0 failed`, "m"));
  });

  it("shows expected and actual per field when an example fails", async () => {
    const file = write("wrong.map", mutate(seed("banniu"), '`101300`: "进行中"', '`101300`: "已完成"'));
    const run = await ferry(["test", file], { cwd: scratch });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("✘ an in-progress task gets its barcode");
    expect(run.stdout).toContain('contents.101300: expected "已完成", got "进行中"');
    expect(run.stdout).toMatch(/^2 passed, 1 failed/m);
  });

  it("reports a row that cannot be mapped with the field's location", async () => {
    const file = write("unmapped.map", mutate(seed("guanyi"), 'in  { id: 2, code: "md-001", name: "南山门店",', 'in  { id: 2, code: "md-001",'));
    const run = await ferry(["test", file], { cwd: scratch });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("error: unmapped.map:23:29: field FName: required field is null (value null)");
  });
});

describe("ferry explain", () => {
  it("explains a code with a wrong and a right example", async () => {
    const run = await ferry(["explain", "MAP2001"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("MAP2001: unknown source field");
    expect(run.stdout).toContain("Wrong:");
  });
});

describe("ports", () => {
  it.each([["sandbox"], ["serve"]])("%s refuses a port outside 1–65535, exit 2", async (command) => {
    const run = await ferry([command, "--port", "99999"], { cwd: scratch });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--port takes a port number from 1 to 65535");
  });

  it("sandbox says which port is in use, exit 2", async () => {
    const { createServer } = await import("node:net");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await ferry(["sandbox", "--port", String(port)], { cwd: scratch });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`ferry: port ${port} on 127.0.0.1 is in use; choose another with --port\n`);
    } finally {
      blocker.close();
    }
  });
});

describe("the ferry bin", () => {
  it("runs as a process, with exit codes", () => {
    const bin = `${ROOT}bin/ferry.js`;
    if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
    const ok = spawnSync(process.execPath, [bin, "check", "mappings"], { cwd: ROOT, encoding: "utf8" });
    expect(ok.status).toBe(0);
    const bad = spawnSync(process.execPath, [bin, "check", write("bin.map", "mapping x\nsource nope \"op\" {")], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("compiles a flow for `ferry run` in a child process and caches it, diagnostics and all", () => {
    const bin = `${ROOT}bin/ferry.js`;
    if (!existsSync(`${ROOT}dist/compiler/compile-child.js`)) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
    const cache = join(scratch, "child-cache");
    const env = { ...process.env, NO_COLOR: "1", FERRY_CACHE_DIR: cache, FERRY_STATE_DIR: join(scratch, "child-state"), FERRY_HTTP_URL: "" };
    const flow = write("child.map", readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8"));
    // No FERRY_HTTP_URL: the run stops at the missing variable, after the flow was compiled.
    const run = spawnSync(process.execPath, [bin, "run", flow, "--dry-run"], { cwd: scratch, encoding: "utf8", env });
    expect(run.stderr).toContain("FERRY_HTTP_URL");
    expect(run.status).toBe(2);
    const files = readdirSync(cache);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(cache, files[0] ?? ""), "utf8")).toMatch(/function map\(src, ctx\)|function map\(src, _ctx\)/);
    const broken = write("child-broken.map", mutate(readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8"), "<- name", "<- name | uppr"));
    const bad = spawnSync(process.execPath, [bin, "run", broken], { cwd: scratch, encoding: "utf8", env });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("error[MAP2004]: unknown pipe `uppr`");
    expect(bad.stderr).toMatch(/\n\d+ \|   name : string  <- name \| uppr\n/);
  });

  it("ends quietly when the reader of its output goes away (`ferry explain | head -1`)", async () => {
    const child = spawn(process.execPath, [`${ROOT}bin/ferry.js`, "explain"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // The reader is gone before ferry writes a byte, so its first write meets a closed pipe.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it.runIf(existsSync("/dev/full"))("says so in one line when its output cannot be written (a full disk), exit 1", () => {
    const full = openSync("/dev/full", "w");
    try {
      const result = spawnSync(process.execPath, [`${ROOT}bin/ferry.js`, "explain"], { cwd: ROOT, stdio: ["ignore", full, "pipe"], encoding: "utf8" });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe("ferry: cannot write the output: ENOSPC: no space left on device, write\n");
    } finally {
      closeSync(full);
    }
  });
});
