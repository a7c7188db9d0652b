import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHttpTestServer, type HttpTestServer } from "../../connectors/http/test-server.js";
import { processStart } from "../../runtime/run/process-start.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import { ferry } from "../support/io.js";
import { ROOT } from "../support/seeds.js";

const SHOPS = readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8");
const WINDOW = ["--from", "2024-09-07 00:00:00", "--to", "2024-09-08 00:00:00"];

let dir: string;
let server: HttpTestServer;
let env: Record<string, string>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "ferry-run-cli-"));
  server = await startHttpTestServer({ records: 120 });
  env = { FERRY_HTTP_URL: server.url, FERRY_STATE_DIR: join(dir, "state"), NO_COLOR: "1" };
  writeFileSync(join(dir, "shops.map"), SHOPS);
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (argv: string[], extra: Record<string, string> = {}) => ferry(argv, { cwd: dir, env: { ...env, ...extra } });

describe("ferry run", () => {
  it("writes every record, prints a summary, and writes nothing the second time (exit 0)", async () => {
    const first = await run(["run", "shops.map", ...WINDOW]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/✔ shops_to_customers {2}120 read · 120 written · 0 unchanged · 0 dead letters/);
    expect(first.stderr).toMatch(/http \/customers +3 calls/);
    const second = await run(["run", "shops.map", ...WINDOW]);
    expect(second.stderr).toMatch(/120 read · 0 written · 120 unchanged/);
    expect(server.target.totalWrites()).toBe(120);
  });

  it("compiles the flow again when its cached module is empty or cut off", async () => {
    expect((await run(["run", "shops.map", ...WINDOW])).code).toBe(0);
    const cache = join(dir, "state", "cache");
    const files = readdirSync(cache).filter((f) => f.endsWith(".js"));
    expect(files).toHaveLength(1);
    for (const damage of ["", "\"use strict\";\nObject.defineProperty(exports"]) {
      writeFileSync(join(cache, files[0]!), damage);
      const again = await run(["run", "shops.map", ...WINDOW]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/120 read · 0 written · 120 unchanged/);
    }
  });

  it("finds a flow by its name in mappings/", async () => {
    rmSync(join(dir, "shops.map"));
    mkdirSync(join(dir, "mappings"));
    writeFileSync(join(dir, "mappings", "shops.map"), SHOPS);
    const result = await run(["run", "shops_to_customers", ...WINDOW]);
    expect(result.code, result.stderr).toBe(0);
  });

  it("exits 3 when rows are dead-lettered; status lists them; replay writes them after the fix (exit 0)", async () => {
    const [bad] = server.source.records();
    server.source.update([bad!.id], { name: "" });
    const result = await run(["run", "shops.map", ...WINDOW]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/119 written · 0 unchanged · 1 dead letters/);
    expect(result.stderr).toContain("1 rows need attention: ferry status shops_to_customers --dead-letters");

    const status = await run(["status", "shops_to_customers", "--dead-letters"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`write "${bad!.id}": name is required`);
    expect(status.stdout).toMatch(/#1 .* dead-letters +120 read · 119 written/);

    writeFileSync(join(dir, "shops.map"), SHOPS.replace("name : string  <- name", 'name : string  <- if name == "" then code else name'));
    const replay = await run(["replay", "shops.map"]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stderr).toContain("replayed 1, 1 written, 0 still failing");
    expect(server.target.writes(bad!.code)).toBe(1);
    expect((await run(["status"])).stdout).toContain("0 dead letters need attention");
  });

  it("exits 1 on a failed run, naming the flow, the call and the cause", async () => {
    server.answerNext("/customers", { status: 400, body: '{"error":"unknown field"}' }, 5);
    const result = await run(["run", "shops.map", ...WINDOW]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/✘ shops_to_customers .*\n(.*\n)*  error: shops_to_customers: http \/customers: /);
  });

  it("reports new, changed and unchanged rows in a dry run and writes nothing", async () => {
    const result = await run(["run", "shops.map", ...WINDOW, "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("120 read · 120 new · 0 changed · 0 unchanged · 0 would be dead letters (dry run, nothing written)");
    expect(server.target.totalWrites()).toBe(0);
  });

  it("prints the summary as JSON with --json", async () => {
    const result = await run(["run", "shops.map", ...WINDOW, "--json", "--limit", "50"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ flow: "shops_to_customers", status: "ok", read: 50, written: 50 });
  });

  it.each([
    [["run", "shops.map", ...WINDOW], { FERRY_HTTP_URL: "" }, /^ferry: http: FERRY_HTTP_URL is not set/m],
    [["run", "shops.map", "--limit", "abc"], {}, /--limit takes a whole number/],
    [["run", "shops.map", "--from", "yesterday"], {}, /cannot read the time "yesterday"/],
    [["run", "nope.map"], {}, /no such flow: nope\.map/],
    [["run", "shops.map", "--from", "2024-01-05", "--to", "2024-01-01"], {}, /^ferry: --from 2024-01-05 is after --to 2024-01-01$/m],
  ])("exits 2 on bad usage: %j", async (argv, extra, message) => {
    const result = await run(argv, extra);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 1 with diagnostics when the flow does not check", async () => {
    writeFileSync(join(dir, "broken.map"), SHOPS.replace("batch   50", "batch   0"));
    const result = await run(["run", "broken.map"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[MAP2020]");
  });
});

describe("a state store that cannot be opened", () => {
  it.each([
    ["a file where the folder should be", (d: string) => (writeFileSync(join(d, "blocker"), ""), join(d, "blocker")), /cannot open the state store .*blocker\/state\.db: EEXIST/],
    ["a damaged database", (d: string) => {
      mkdirSync(join(d, "damaged"));
      writeFileSync(join(d, "damaged", "state.db"), Buffer.alloc(4096, 7));
      return join(d, "damaged");
    }, /cannot open the state store .*damaged\/state\.db: file is not a database \(SQLITE_NOTADB\)/],
  ])("names the store and the cause for %s, exit 2", async (_what, make, message) => {
    const stateDir = make(dir);
    for (const argv of [["run", "shops.map", ...WINDOW], ["status"], ["collections"]]) {
      const result = await run(argv, { FERRY_STATE_DIR: stateDir });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe("the page ceiling", () => {
  it("fails a window with more pages than --max-pages or FERRY_MAX_PAGES allow (exit 1), checkpointing nothing", async () => {
    // 120 records in pages of 100: two pages.
    for (const [args, extra] of [[["--max-pages", "1"], {}], [[], { FERRY_MAX_PAGES: "1" }]] as const) {
      const result = await run(["run", "shops.map", ...WINDOW, ...args], extra);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain("page 2 still has records: the window has more than 1 pages");
      expect(result.stderr).toContain("raise the ceiling (--max-pages or FERRY_MAX_PAGES)");
    }
    const store = SqliteStateStore.open(join(dir, "state", "state.db"));
    expect(await store.checkpoint("shops_to_customers")).toBeNull();
    await store.close();
    expect((await run(["run", "shops.map", ...WINDOW, "--max-pages", "2"], { FERRY_MAX_PAGES: "1" })).code).toBe(0);
  });

  it.each([["abc"], ["0"], ["1.5"]])("refuses FERRY_MAX_PAGES=%s in one line (exit 2)", async (value) => {
    const result = await run(["run", "shops.map", ...WINDOW], { FERRY_MAX_PAGES: value });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`ferry: FERRY_MAX_PAGES takes a whole number of at least 1, not "${value}"`);
  });
});

describe("one writing run per flow", () => {
  it("refuses to run or replay a flow another live process is writing (exit 1); a dry run still reads", async () => {
    const first = await run(["run", "shops.map", ...WINDOW]);
    expect(first.code, first.stderr).toBe(0);
    // A live process on this host holds the flow's lock, as a run in progress would.
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      const store = SqliteStateStore.open(join(dir, "state", "state.db"));
      const started = processStart(holder.pid!);
      await store.lockFlow("shops_to_customers", { token: "t", pid: holder.pid!, host: hostname(), since: Date.UTC(2024, 8, 8), beat: started === null ? Date.now() : Date.UTC(2024, 8, 8), ...(started === null ? {} : { started }) }, () => false);
      await store.close();

      const busy = await run(["run", "shops.map", ...WINDOW]);
      expect(busy.code).toBe(1);
      expect(busy.stderr.trim()).toBe(
        `ferry: shops_to_customers: another run is writing this flow (pid ${holder.pid} on ${hostname()}, since 2024-09-08T00:00:00.000Z); wait for it to finish: two runs at once would write the same rows twice`,
      );
      const replay = await run(["replay", "shops.map"]);
      expect(replay.code).toBe(1);
      expect(replay.stderr).toContain("another run is writing this flow");
      const dry = await run(["run", "shops.map", ...WINDOW, "--dry-run"]);
      expect(dry.code, dry.stderr).toBe(0);
    } finally {
      holder.kill();
      await new Promise((resolve) => holder.once("exit", resolve));
    }
    // The holder is gone: its lock is taken over.
    const after = await run(["run", "shops.map", ...WINDOW]);
    expect(after.code, after.stderr).toBe(0);
    expect(server.target.totalWrites()).toBe(120);
  });
});

describe("lookups from the embedded collection store", () => {
  it("loads a collection, lists it, and answers a flow's lookups from it", async () => {
    const docs = server.source.records().map((r, i) => JSON.stringify({ code: r.code, region: i % 2 ? "华东" : "华南" }));
    writeFileSync(join(dir, "regions.jsonl"), `${docs.join("\n")}\n`);
    const load = await run(["load", "regions", "regions.jsonl"]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stderr).toContain("loaded 120 documents into regions (120 in all)");
    expect((await run(["collections"])).stdout).toContain("regions  120 documents");

    const flow = SHOPS.replace(
      "note : string? <- note",
      'note : string? <- lookup mongo("regions", where: { code: { $eq: code } }, find: region)',
    );
    writeFileSync(join(dir, "regions.map"), flow);
    const result = await run(["run", "regions.map", ...WINDOW]);
    expect(result.code, result.stderr).toBe(0);
    const first = server.source.records()[1]!;
    expect(server.target.row(first.code)).toMatchObject({ note: "华东" });
  });

  it("refuses a malformed file with its line, exit 2", async () => {
    writeFileSync(join(dir, "bad.jsonl"), '{"a":1}\n{"a":\n');
    const result = await run(["load", "things", "bad.jsonl"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.jsonl:2/);
  });

  it.each([[""], [" goods"]])("refuses the collection name %j, exit 2", async (name) => {
    writeFileSync(join(dir, "ok.jsonl"), '{"a":1}\n');
    const result = await run(["load", name, "ok.jsonl"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`ferry: not a collection name: ${JSON.stringify(name)}\n`);
  });

  it("fails a run whose lookup names a collection that was never loaded, saying how to load it", async () => {
    writeFileSync(join(dir, "missing.map"), SHOPS.replace("note : string? <- note", 'note : string? <- lookup mongo("nowhere", where: { code: { $eq: code } }, find: region)'));
    const result = await run(["run", "missing.map", ...WINDOW]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("ferry load nowhere");
  });
});

describe("credentials of the system connectors", () => {
  it.each([
    ["guanyi", `${ROOT}mappings/guanyi-shops-to-kingdee-customers.map`, /^ferry: guanyi: FERRY_GUANYI_APPKEY is not set/],
    ["kingdee", `${ROOT}mappings/guanyi-shops-to-kingdee-customers.map`, /^ferry: kingdee: FERRY_KINGDEE_URL is not set/],
    ["banniu", `${ROOT}mappings/banniu-task-barcodes.map`, /^ferry: banniu: FERRY_BANNIU_APP_KEY is not set/],
  ])("a missing %s credential gives one line naming the variable, exit 2", async (system, flow, message) => {
    // Everything the other system needs is there: the line is about this one.
    const others = system === "kingdee" ? { FERRY_GUANYI_APPKEY: "k", FERRY_GUANYI_SESSIONKEY: "s", FERRY_GUANYI_SECRET: "x" } : {};
    const result = await ferry(["run", flow], { cwd: dir, env: { FERRY_STATE_DIR: join(dir, "state"), ...others } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});
