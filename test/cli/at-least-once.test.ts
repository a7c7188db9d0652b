import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHttpTestServer, type HttpTestServer } from "../../connectors/http/test-server.js";
import { ferry } from "../support/io.js";
import { mutate, ROOT } from "../support/seeds.js";

const SHOPS = readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8");
const WINDOW = ["--from", "2024-09-07 00:00:00", "--to", "2024-09-08 00:00:00"];

let dir: string;
let server: HttpTestServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "ferry-at-least-once-"));
  server = await startHttpTestServer({ records: 20 });
  writeFileSync(join(dir, "shops.map"), SHOPS);
  writeFileSync(join(dir, "no-idcheck.map"), mutate(SHOPS, "  idcheck code\n", ""));
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (argv: string[]) => ferry(argv, { cwd: dir, env: { FERRY_HTTP_URL: server.url, FERRY_STATE_DIR: join(dir, "state"), NO_COLOR: "1" } });

describe("a flow whose target cannot confirm a write says it is at-least-once", () => {
  it("in ferry check, as warning MAP3011, without failing", async () => {
    const checked = await run(["check", "no-idcheck.map"]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stderr).toContain("warning[MAP3011]: at-least-once");
    expect((await run(["check", "shops.map"])).stderr).not.toContain("MAP3011");
  });

  it("in the summary of every run", async () => {
    const result = await run(["run", "no-idcheck.map", ...WINDOW]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: at-least-once: the flow has no `idcheck`/);
    expect((await run(["run", "shops.map", ...WINDOW])).stderr).not.toContain("at-least-once");
  });
});
