/**
 * The property: a credential quoted anywhere in any error answer, however long the answer and
 * wherever ferry cuts it, never shows 6 or more consecutive characters of itself — not in what the
 * terminal shows (the run summary with its errors), not in the state store, not on a console page,
 * not in an alert delivery's error. Real connectors run real flows against a loopback server that
 * echoes the secret in its error answers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateAlerts } from "../../alerts/engine.js";
import { parseAlertsConfig } from "../../alerts/config.js";
import { renderSummary } from "../../cli/progress.js";
import { banniuGoods } from "../../connectors/banniu/sandbox.js";
import { connectorFactory } from "../../connectors/registry.js";
import { SANDBOX_CREDENTIALS } from "../../connectors/sandbox/handler.js";
import { CallMeter } from "../../runtime/call-meter.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { MemoryCollectionStore } from "../../runtime/lookups.js";
import { RateLimits } from "../../runtime/rate-limit.js";
import { Calls } from "../../runtime/run/calls.js";
import { runFlow } from "../../runtime/run/run-flow.js";
import { FRAGMENT_CHARS } from "../../runtime/secrets.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import type { FlowModule } from "../../runtime/types.js";
import { startServer } from "../../serve/server.js";
import { flowOf, seeded } from "../support/runtime.js";
import { seed } from "../support/seeds.js";

const NOW = Date.UTC(2025, 0, 15, 4, 0, 0);

/** Whether `text` holds FRAGMENT_CHARS or more consecutive characters of `secret`. */
function leaks(text: string, secret: string): string | null {
  for (let at = 0; at + FRAGMENT_CHARS <= secret.length; at++) {
    const part = secret.slice(at, at + FRAGMENT_CHARS);
    if (text.includes(part)) return part;
  }
  return null;
}

/** What one answer of the echo server is. */
interface Echo {
  readonly status?: number;
  readonly type?: string;
  readonly body: string;
}

/** Answers each request by what `answer` says for its path and Banniu method; the secret rides in `text`. */
type Answer = (path: string, method: string, text: string) => Echo;

let echoServer: Server;
let echoUrl = "";
let current: { answer: Answer; text: string } = { answer: () => ({ body: "{}" }), text: "" };

beforeAll(async () => {
  echoServer = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const echo = current.answer(url.pathname, url.searchParams.get("method") ?? "", current.text);
      res.writeHead(echo.status ?? 200, { "content-type": echo.type ?? "application/json; charset=utf-8" });
      res.end(echo.body);
    });
  });
  await new Promise<void>((resolve) => echoServer.listen(0, "127.0.0.1", resolve));
  const address = echoServer.address();
  echoUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(async () => {
  echoServer.closeAllConnections();
  await new Promise((resolve) => echoServer.close(resolve));
});

const json = (value: unknown): Echo => ({ body: JSON.stringify(value) });
const shops = json({ data: { items: [{ id: 1, code: "A1", name: "甲" }, { id: 2, code: "B2", name: "乙" }], total: 2 } });

/** One connector under test: its flow, the variable that holds the secret, and how it echoes it. */
interface Scenario {
  readonly name: string;
  readonly flow: FlowModule;
  readonly variable: string;
  readonly env: Readonly<Record<string, string>>;
  readonly modes: Readonly<Record<string, Answer>>;
}

const httpFlow = flowOf(`
mapping echo_http "Echo"
source http "/shops" { page number page from 1 size size 100  records data.items  total data.total  id id  retry 2 backoff 1s..2s }
target http "/customers" { batch 10  idcheck code  retry 2 backoff 1s..2s }
fields { code : string <- code  name : string <- name }
`);

const kingdeeFlow = flowOf(`
mapping echo_kingdee "Echo"
source http "/shops" { page number page from 1 size size 100  records data.items  total data.total  id id }
target kingdee "batchSave" { form "BD_Customer"  idcheck FNumber  retry 2 backoff 1s..2s }
fields {
  FName        : string <- name
  FNumber      : string <- code
  FCreateOrgId : ref    <- "100" | ref(FNumber)
}
`);

const banniuFlow = flowOf(seed("banniu").replace("  retry   3 backoff 2s..8s\n", "  retry   2 backoff 1s..2s\n"), "mappings/banniu-task-barcodes.map");
const guanyiFlow = flowOf(seed("guanyi"), "mappings/guanyi-shops-to-kingdee-customers.map");

const banniuEnvelope = (text: string) => json({ response: { code: 40010, error_msg: text } });
const task = json({ response: { code: 0, error_msg: null, total_results: 1, page_no: 1, page_size: 100, has_next: false, map: { result: [{ "-1": 8100001, "27963": "G1001", "27970": "1" }] } } });

const SCENARIOS: readonly Scenario[] = [
  {
    name: "http",
    flow: httpFlow,
    variable: "FERRY_HTTP_TOKEN",
    env: {},
    modes: {
      "a row refusal": (path, _, text) => (path === "/shops" ? shops : path === "/customers" ? json({ results: [{ ok: true, id: "C1" }, { ok: false, error: text }] }) : json({ rows: [] })),
      "an HTTP 502 page": (_, __, text) => ({ status: 502, type: "text/plain", body: text }),
      "an HTTP 401": (_, __, text) => ({ status: 401, type: "text/plain", body: text }),
      "an HTML page": (_, __, text) => ({ type: "text/html", body: `<html>${text}</html>` }),
    },
  },
  {
    name: "banniu",
    flow: banniuFlow,
    variable: "FERRY_BANNIU_ACCESS_TOKEN",
    env: { ...SANDBOX_CREDENTIALS.banniu },
    modes: {
      "an update refusal": (_, method, text) => (method === "task.list" ? task : method === "task.getTask" ? banniuEnvelope("工单不存在") : banniuEnvelope(text)),
      "a list refusal": (_, __, text) => banniuEnvelope(text),
      "an HTTP 502 page": (_, __, text) => ({ status: 502, type: "text/html", body: text }),
      "an answer that is not JSON": (_, __, text) => ({ type: "text/plain", body: text }),
    },
  },
  {
    name: "guanyi",
    flow: guanyiFlow,
    variable: "FERRY_GUANYI_SECRET",
    env: { ...SANDBOX_CREDENTIALS.guanyi, ...SANDBOX_CREDENTIALS.kingdee },
    modes: {
      "a refusal": (_, __, text) => json({ success: false, errorCode: "0001", errorDesc: text, subErrorCode: "x", subErrorDesc: text }),
      "an HTTP 500 page": (_, __, text) => ({ status: 500, type: "text/html", body: text }),
    },
  },
  {
    name: "kingdee",
    flow: kingdeeFlow,
    variable: "FERRY_KINGDEE_APP_SECRET",
    env: { ...SANDBOX_CREDENTIALS.kingdee },
    modes: {
      "a row refusal": (path, _, text) =>
        path === "/shops"
          ? shops
          : path.includes("AuthService")
            ? json({ LoginResultType: 1, KDSVCSessionId: "sess-1" })
            : path.includes("ExecuteBillQuery")
              ? json([])
              : json({ Result: { ResponseStatus: { IsSuccess: false, MsgCode: 11, Errors: [{ FieldName: "FName", Message: text, DIndex: 1 }], SuccessEntitys: [{ Id: 7, Number: "A1", DIndex: 0 }] } } }),
      "a login refusal": (path, _, text) => (path === "/shops" ? shops : json({ LoginResultType: 0, Message: text })),
      "an HTTP 500 page": (path, _, text) => (path === "/shops" ? shops : { status: 500, type: "text/html", body: text }),
    },
  },
];

/** Every text a store holds: each cell of each table. */
function dump(store: SqliteStateStore): string {
  const db = store.database;
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  return tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all(), (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))).join("\n");
}

/** Every page of a console over `store`. */
async function pages(store: SqliteStateStore, env: Readonly<Record<string, string>>, flow: string, dir: string): Promise<string> {
  const console = await startServer({ host: "127.0.0.1", port: 0, store, cwd: dir, env, now: () => NOW });
  try {
    const run = (store.database.prepare("SELECT MAX(id) AS id FROM runs").get() as { id: number | null }).id ?? 1;
    const paths = ["", `flows/${flow}`, `flows/${flow}/dead-letters`, `runs/${run}`, `api/runs/${run}`, "api/flows", "usage", "quality", "metrics"];
    const bodies = await Promise.all(paths.map(async (p) => (await fetch(`${console.url}${p}`)).text()));
    return bodies.join("\n");
  } finally {
    await console.close();
  }
}

/** Runs `scenario` once with `secret` in its variable and `text` as what the echo server quotes; returns every output. */
async function outputs(scenario: Scenario, mode: string, secret: string, text: string): Promise<{ terminal: string; state: string; console: string; alerts: string }> {
  current = { answer: scenario.modes[mode]!, text };
  const dir = mkdtempSync(join(tmpdir(), "ferry-secrets-"));
  const store = SqliteStateStore.open(join(dir, "state.db"));
  try {
    const env: Record<string, string> = {
      ...scenario.env,
      FERRY_HTTP_URL: echoUrl,
      FERRY_BANNIU_URL: echoUrl,
      FERRY_GUANYI_URL: echoUrl,
      FERRY_KINGDEE_URL: echoUrl,
      [scenario.variable]: secret,
    };
    const clock = new FakeClock({ start: NOW, auto: true });
    const ctx = { env, clock, flow: scenario.flow.spec };
    const collections = new MemoryCollectionStore();
    collections.add("a97d423e-52f5-3d6f-9f94-39a9f43f2bd5", banniuGoods(1));
    let terminal: string;
    try {
      const summary = await runFlow({
        flow: scenario.flow,
        store,
        source: connectorFactory(scenario.flow.spec.source.connector)!.source!(ctx),
        target: connectorFactory(scenario.flow.spec.target.connector)!.target!(ctx),
        calls: new Calls(clock, new RateLimits(clock), new CallMeter(), seeded(3)),
        collections,
        clock,
        env,
        from: "2025-01-14 00:00:00",
      });
      terminal = renderSummary({ stdout: process.stdout, stderr: process.stderr, cwd: dir, env: { NO_COLOR: "1" }, isTTY: false }, summary);
    } catch (error) {
      terminal = error instanceof Error ? error.message : String(error);
    }
    // The webhook of an alert quotes its own token back, wherever ferry cuts the quote.
    const hook = `${echoUrl}/robot/send?access_token=${encodeURIComponent(secret)}`;
    const config = parseAlertsConfig(
      JSON.stringify({ alerts: { targets: [{ name: "ops", type: "dingtalk", url: hook }], rules: [{ name: "failed", kind: "run-failed", targets: ["ops"] }, { name: "letters", kind: "dead-letters", targets: ["ops"] }] } }),
    ).config!;
    current = { answer: (_, __, t) => ({ status: 400, type: "text/plain", body: t }), text };
    const alerted = await evaluateAlerts({ store, config, env, clock, attempts: 1 });
    const alerts = alerted.notifications.map((n) => JSON.stringify(n)).join("\n");
    return { terminal, state: dump(store), console: await pages(store, env, scenario.flow.spec.name, dir), alerts };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const SECRET_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
/** Error answers are words around the secret; these never spell a secret (disjoint from its alphabet). */
const ANSWER_CHARS = "错误令牌无效请检查参数签名时间 ，。:：;=\"'()[]{}<>/\\\n\t";

describe("no fragment of a secret leaves ferry", () => {
  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      // Fixed text (messages, flow names, timestamps) seen with a secret that cannot appear anywhere.
      const baseline = new Map<string, string>();
      beforeAll(async () => {
        for (const mode of Object.keys(scenario.modes)) {
          const o = await outputs(scenario, mode, "ΩΩΩΩΩΩΩΩΩΩΩΩ", "ΩΩΩΩΩΩΩΩΩΩΩΩ");
          baseline.set(mode, Object.values(o).join("\n"));
        }
      }, 60_000);

      it("wherever the secret sits in the answer, however long the answer", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...Object.keys(scenario.modes)),
            fc.string({ unit: fc.constantFrom(...SECRET_CHARS), minLength: FRAGMENT_CHARS, maxLength: 40 }),
            // Long enough to put the secret across every cut: quotes of 60, 200, 300 and 500 characters, excerpts of 4096 bytes.
            fc.nat({ max: 4300 }),
            fc.string({ unit: fc.constantFrom(...ANSWER_CHARS), maxLength: 40 }),
            async (mode, secret, offset, around) => {
              fc.pre(leaks(baseline.get(mode) ?? "", secret) === null);
              const filler = "错误：".repeat(Math.ceil(offset / 3)).slice(0, offset);
              const text = `${filler}${around}${secret}${around}${secret.slice(0, Math.ceil(secret.length / 2))}`;
              const out = await outputs(scenario, mode, secret, text);
              for (const [where, value] of Object.entries(out)) {
                const found = leaks(value, secret);
                expect(found, `${mode}: ${JSON.stringify(found)} of ${JSON.stringify(secret)} in the ${where}: ${value.slice(0, 400)}`).toBeNull();
              }
            },
          ),
          { numRuns: 50, seed: 20250115 },
        );
      }, 240_000);
    });
  }
});
