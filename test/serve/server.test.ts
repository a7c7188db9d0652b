import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveCommand } from "../../cli/commands/serve.js";
import { Histogram } from "../../runtime/call-meter.js";
import type { RunSummary } from "../../runtime/run/run-flow.js";
import type { CallStats } from "../../runtime/state/store.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import { ConsoleQueries } from "../../serve/queries.js";
import { escapeHtml, isLoopbackHost, Masker, METRIC_NAMES, startServer, type ConsoleServer, type ReplayOutcome } from "../../serve/index.js";
import { LATENCY_BOUNDS_MS } from "../../serve/metrics.js";
import { flowOf, startBench, type Bench } from "../support/runtime.js";
import { ROOT } from "../support/seeds.js";

const SHOPS = readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8");
/** The same flow under another name, with a check rule that refuses empty names before the write. */
const CHECKED = `${SHOPS.replace('mapping shops_to_customers "Shops to customers"', 'mapping shops_checked "Shops, checked"')}
check {
  name != ""  "店铺名称不能为空"
}
`;
const FLOW = "shops_to_customers";
const SECRET = "supersecret";
const HOSTILE_FLOW = 'evil "flow" \\ \n<img src=x onerror=alert(1)>';

// ---------------------------------------------------------------------------------------------
// A strict parser of the Prometheus text format (0.0.4): HELP and TYPE before their samples,
// families contiguous, label values with their three escapes, no duplicate series.

interface Family {
  help: string | undefined;
  type: string | undefined;
  samples: { readonly labels: Readonly<Record<string, string>>; readonly value: number }[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
}

function parseValue(text: string, line: string): number {
  if (text === "NaN") return Number.NaN;
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  return Number(text);
}

/** Parses `{a="x",b="y\"z"}` starting at `at` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    if (line[i] === "}") return { labels, end: i + 1 };
    const eq = line.indexOf("=", i);
    if (eq < 0) throw new Error(`label without = in ${JSON.stringify(line)}`);
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`label ${name} twice in ${JSON.stringify(line)}`);
    if (line[eq + 1] !== '"') throw new Error(`unquoted label value in ${JSON.stringify(line)}`);
    let value = "";
    let j = eq + 2;
    for (;;) {
      const c = line[j];
      if (c === undefined) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
      if (c === '"') break;
      if (c === "\\") {
        const e = line[j + 1];
        if (e === "\\") value += "\\";
        else if (e === '"') value += '"';
        else if (e === "n") value += "\n";
        else throw new Error(`bad escape \\${e ?? ""} in ${JSON.stringify(line)}`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") throw new Error(`expected , or } after label ${name} in ${JSON.stringify(line)}`);
  }
}

function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help: undefined, type: undefined, samples: [] }));
    return f;
  };
  const seen = new Set<string>();
  let current: string | undefined;
  const closed = new Set<string>();
  const enter = (name: string) => {
    if (name === current) return;
    if (closed.has(name)) throw new Error(`samples of ${name} are not contiguous`);
    if (current !== undefined) closed.add(current);
    current = name;
  };
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
      enter(name);
      const f = family(name);
      if (kind === "HELP") {
        if (f.help !== undefined) throw new Error(`second HELP for ${name}`);
        f.help = unescapeHelp(rest);
      } else {
        if (f.type !== undefined || f.samples.length) throw new Error(`TYPE for ${name} repeated or after its samples`);
        if (!TYPES.has(rest)) throw new Error(`bad type ${rest} for ${name}`);
        f.type = rest;
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) throw new Error(`bad sample line ${JSON.stringify(line)}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      const parsed = parseLabels(line, name.length);
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    }
    const parts = rest.trim().split(/ +/);
    if (!rest.startsWith(" ") || parts.length < 1 || parts.length > 2) throw new Error(`bad sample line ${JSON.stringify(line)}`);
    const value = parseValue(parts[0]!, line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`bad timestamp in ${JSON.stringify(line)}`);
    // A histogram's series (_bucket, _sum, _count) belong to its family.
    const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
    const owner = base !== undefined && families.get(base)?.type === "histogram" ? base : name;
    enter(owner);
    const f = families.get(owner);
    if (!f?.type) throw new Error(`sample of ${name} before its TYPE`);
    if (owner !== name && name.endsWith("_bucket") && labels.le === undefined) throw new Error(`bucket without le: ${JSON.stringify(line)}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series ${key}`);
    seen.add(key);
    f.samples.push({ labels, value });
    if (owner !== name) family(name).samples.push({ labels, value });
  }
  return families;
}

function sample(families: Map<string, Family>, name: string, labels: Record<string, string>): number | undefined {
  return families.get(name)?.samples.find((s) => Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

// ---------------------------------------------------------------------------------------------

let bench: Bench;
let summary: RunSummary;
let checked: RunSummary;
let server: ConsoleServer;
let cwd: string;
let env: Record<string, string>;
let hostileId: number;

beforeAll(async () => {
  bench = await startBench({ records: 120 });
  const [plain, hostile] = bench.server.source.records();
  hostileId = hostile!.id;
  bench.server.source.update([plain!.id], { name: "" });
  // Not an object literal: the test server serves whatever fields a record has, as a real API might.
  const hostilePatch = { name: "", note: `<script>alert(1)</script> token ${SECRET}`, password: "hunter2", api_token: "tok-123456" };
  bench.server.source.update([hostile!.id], hostilePatch);
  // One window: the test source ignores windows, so each window would read every record again.
  summary = await bench.run(flowOf(SHOPS), { to: "2024-09-08 00:00:00" });
  checked = await bench.run(flowOf(CHECKED), { to: "2024-09-08 00:00:00" });
  cwd = mkdtempSync(join(tmpdir(), "ferry-serve-"));
  env = { FERRY_HTTP_URL: bench.server.url, FERRY_HTTP_TOKEN: SECRET, FERRY_STATE_DIR: bench.dir };
  server = await startServer({ host: "127.0.0.1", port: 0, store: bench.store, cwd, env, now: () => bench.clock.now() });
});

afterAll(async () => {
  await server?.close();
  await bench?.close();
  rmSync(cwd, { recursive: true, force: true });
});

const url = (path: string, s: ConsoleServer = server) => new URL(path, s.url).toString();
const get = (path: string, init: RequestInit = {}, s: ConsoleServer = server) => fetch(url(path, s), { redirect: "manual", ...init });
const text = async (path: string, init: RequestInit = {}, s: ConsoleServer = server) => {
  const res = await get(path, init, s);
  return { res, body: await res.text() };
};

/** A GET with the request target exactly as given (fetch would normalise it or treat it as a host). */
function raw(target: string, s: ConsoleServer = server, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: s.port, path: target, headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The CSRF token of the dead-letter page's replay form. */
async function csrfOf(s: ConsoleServer = server, headers: Record<string, string> = {}): Promise<string> {
  const { body } = await text(`/flows/${FLOW}/dead-letters`, { headers }, s);
  const token = /name="csrf" value="([^"]+)"/.exec(body)?.[1];
  expect(token).toBeTruthy();
  return token!;
}

const PAGES = ["/", `/flows/${FLOW}`, `/flows/${FLOW}/dead-letters`, "/usage", "/quality", `/usage?flow=${FLOW}`, `/quality?flow=${FLOW}`];

describe("the runs behind these tests", () => {
  it("wrote all but the two bad rows and dead-lettered them (write stage, then check stage)", () => {
    expect(summary).toMatchObject({ status: "dead-letters", read: 120, written: 118, deadLettered: 2 });
    expect(checked).toMatchObject({ status: "dead-letters", read: 120, deadLettered: 2 });
  });
});

describe("pages", () => {
  it.each([...PAGES, "RUN"])("%s answers 200 with the flow listed, phone-ready, with the security headers", async (page) => {
    const { res, body } = await text(page === "RUN" ? `/runs/${summary.runId}` : page);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(body).toContain(FLOW);
    expect(body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(body).toMatch(/"PingFang SC", .*"Microsoft YaHei", "Noto Sans CJK SC"/);
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const d of ["default-src 'none'", "style-src 'unsafe-inline'", "connect-src 'self'", "img-src data:", "form-action 'self'"]) expect(csp).toContain(d);
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("shows each flow's health and last run on the overview", async () => {
    const { body } = await text("/");
    expect(body).toMatch(new RegExp(`data-flow="${FLOW}">\\s*<h2><a href="/flows/${FLOW}">${FLOW}</a> <span class="badge warn">dead letters</span>`));
    expect(body).toContain("120 read · 118 written · 0 unchanged · 2 dead-lettered");
    expect(body).toContain(`href="/flows/${FLOW}/dead-letters">2 need attention</a>`);
  });

  it("calls a flow stale when its newest run started more than a day ago", async () => {
    const later = await startServer({ host: "127.0.0.1", port: 0, store: bench.store, cwd, env, now: () => bench.clock.now() + 25 * 3_600_000 });
    try {
      const { body } = await text("/", {}, later);
      expect(body).toMatch(/data-flow="shops_checked">\s*<h2>.*<span class="badge warn">dead letters<\/span>/);
      // Dead letters outrank staleness; a flow with nothing open is just stale.
      const run = await bench.store.startRun("quiet_flow", bench.clock.now(), false);
      await bench.store.finishRun(run, bench.clock.now(), "ok", { read: 1, written: 1, unchanged: 0, deadLettered: 0 }, null);
      expect((await text("/", {}, later)).body).toMatch(/data-flow="quiet_flow">\s*<h2>.*<span class="badge dim">stale<\/span>/);
      expect((await text("/")).body).toMatch(/data-flow="quiet_flow">\s*<h2>.*<span class="badge ok">ok<\/span>/);
    } finally {
      await later.close();
    }
  });

  it("lists the run history of a flow, and the API calls of its runs", async () => {
    const { body } = await text(`/flows/${FLOW}`);
    expect(body).toContain(`<a href="/runs/${summary.runId}">#${summary.runId}</a>`);
    const shops = summary.calls.find((c) => c.operation === "/shops")!;
    expect(body).toContain(`data-system="http" data-operation="/shops" data-calls="${shops.calls}"`);
  });

  it("shows API usage per system and operation with calls of both flows, and calls per hour", async () => {
    const { body } = await text("/usage");
    for (const op of ["/shops", "/customers"]) {
      const calls = [summary, checked].flatMap((s) => s.calls).filter((c) => c.operation === op).reduce((n, c) => n + c.calls, 0);
      expect(calls).toBeGreaterThan(0);
      expect(body).toContain(`data-system="http" data-operation="${op}" data-calls="${calls}"`);
    }
    expect(body).toMatch(/<span class="bars" role="img"[^>]*>(<span[^>]*><\/span>){48}<\/span>/);
    // Both runs started in the same clock hour; no mappings/ here, so no spec and no rate: the quota column says so.
    const customers = summary.calls.find((c) => c.operation === "/customers")!.calls;
    expect(body).toContain(
      `<tr data-flow="${FLOW}" data-operation="/customers"><td><a href="/flows/${FLOW}">${FLOW}</a></td><td>http</td><td>/customers</td><td class="num">${customers}</td><td class="num">${customers} <span class="muted">(2024-09-08 08:00)</span></td><td>—</td><td class="num">—</td></tr>`,
    );
    const bars = /data-operation="\/shops" data-calls="\d+"[^>]*>.*?<span class="bars"[^>]*>(.*?)<\/span> <span class="muted">(\d+)<\/span>/.exec(body);
    const shops = [summary, checked].flatMap((s) => s.calls).filter((c) => c.operation === "/shops").reduce((n, c) => n + c.calls, 0);
    expect(bars?.[2]).toBe(String(shops));
    expect(bars?.[1]).toMatch(/(<span class="none" style="height:0%"[^>]*><\/span>){47}<span style="height:100%" title="2024-09-08 08:00 — \d+ calls"><\/span>$/);
  });

  it("groups data-quality failures by rule per flow", async () => {
    const { body } = await text("/quality");
    expect(body).toMatch(/<tr data-stage="check"><td>店铺名称不能为空<\/td><td>check<\/td><td class="num">2<\/td><td class="num">2<\/td>/);
    expect(body).toContain("No row has failed a check rule or the mapping.");
    // The anomalies table comes with the alerting migration: either it is there (and empty here) or not.
    expect(body).toMatch(/<h2>Anomalies<\/h2>\n(<p class="muted">This state database has no anomaly table yet\.<\/p>|<p class="muted">No anomalies found\.<\/p>)/);
  });

  it("answers 404 for an unknown flow, run or path, and 405 for the wrong method", async () => {
    expect((await get("/flows/nope")).status).toBe(404);
    expect((await get("/flows/nope/dead-letters")).status).toBe(404);
    expect((await get("/runs/999999")).status).toBe(404);
    expect((await get("/runs/abc")).status).toBe(404);
    expect((await get("/nowhere")).status).toBe(404);
    expect((await get("/%E0%A4%A")).status).toBe(400);
    const wrong = await get(`/flows/${FLOW}/replay`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
  });
});

describe("API and health", () => {
  it("answers /healthz with ok", async () => {
    const { res, body } = await text("/healthz");
    expect(res.status).toBe(200);
    expect(body.trim()).toBe("ok");
  });

  it("answers /api/runs/:id with the run's counts, and /api/flows with every flow", async () => {
    const run = await (await get(`/api/runs/${summary.runId}`)).json();
    expect(run).toMatchObject({ id: summary.runId, flow: FLOW, status: "dead-letters", read: 120, written: 118, unchanged: 0, deadLettered: 2 });
    expect((await get("/api/runs/424242")).status).toBe(404);
    const flows = (await (await get("/api/flows")).json()) as { flow: string; health: string }[];
    expect(flows.find((f) => f.flow === FLOW)?.health).toBe("dead letters");
  });

  it("shows a running run live: its page polls /api/runs/:id, which follows the runtime's progress", async () => {
    const id = await bench.store.startRun("live_flow", bench.clock.now(), false);
    await bench.store.progress(id, { read: 300, written: 250, unchanged: 0, deadLettered: 1 });
    const { res, body } = await text(`/runs/${id}`);
    expect(body).toContain(`<section id="live" data-run="${id}" data-status="running">`);
    const nonce = /script-src 'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    expect(body).toContain(`<script nonce="${nonce}">`);
    expect(body).toContain('fetch("/api/runs/" + encodeURIComponent(id)');
    expect((await text("/")).body).toContain(`<a href="/runs/${id}">run #${id} — watch live</a>`);
    expect(await (await get(`/api/runs/${id}`)).json()).toMatchObject({ status: "running", read: 300, written: 250, deadLettered: 1 });
    await bench.store.progress(id, { read: 600, written: 540, unchanged: 0, deadLettered: 1 });
    expect(await (await get(`/api/runs/${id}`)).json()).toMatchObject({ status: "running", read: 600, written: 540 });
    await bench.store.finishRun(id, bench.clock.now(), "ok", { read: 600, written: 599, unchanged: 0, deadLettered: 1 }, null);
    expect(await (await get(`/api/runs/${id}`)).json()).toMatchObject({ status: "ok", written: 599 });
  });
});

describe("/metrics", () => {
  it("is valid Prometheus text whose counters equal the run summaries", async () => {
    const { res, body } = await text("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(body);
    for (const name of METRIC_NAMES) expect(families.has(name), name).toBe(true);
    expect(families.get("ferry_runs_total")?.type).toBe("counter");
    expect(families.get("ferry_api_latency_p95_ms")?.type).toBe("gauge");
    expect(families.get("ferry_dead_letters_open")?.type).toBe("gauge");

    expect(sample(families, "ferry_runs_total", { flow: FLOW, status: "dead-letters" })).toBe(1);
    for (const [outcome, n] of [["read", summary.read], ["written", summary.written], ["unchanged", summary.unchanged], ["dead_lettered", summary.deadLettered]] as const) {
      expect(sample(families, "ferry_rows_total", { flow: FLOW, outcome }), outcome).toBe(n);
    }
    expect(sample(families, "ferry_rows_total", { flow: "shops_checked", outcome: "written" })).toBe(checked.written);
    const both = [...summary.calls, ...checked.calls];
    for (const op of ["/shops", "/customers"]) {
      const of = both.filter((c) => c.system === "http" && c.operation === op);
      expect(of.length).toBe(2);
      const labels = { system: "http", operation: op };
      const total = (pick: (c: CallStats) => number) => of.reduce((n, c) => n + pick(c), 0);
      expect(sample(families, "ferry_api_calls_total", labels), op).toBe(total((c) => c.calls));
      expect(sample(families, "ferry_api_attempts_total", labels), op).toBe(total((c) => c.calls + c.retries));
      expect(sample(families, "ferry_api_failed_attempts_total", labels)).toBe(total((c) => c.failedAttempts));
      expect(sample(families, "ferry_api_errors_total", labels)).toBe(total((c) => c.errors));
      expect(sample(families, "ferry_api_retries_total", labels)).toBe(total((c) => c.retries));
      // Over every attempt of both runs, from their merged histograms.
      const merged = Histogram.of(...of.map((c) => c.latency));
      expect(sample(families, "ferry_api_latency_p95_ms", labels)).toBeCloseTo(merged.quantile(0.95), 6);
      expect(sample(families, "ferry_api_latency_ms_count", labels)).toBe(merged.count);
    }
    expect(sample(families, "ferry_dead_letters_open", { flow: FLOW })).toBe(2);
    expect(sample(families, "ferry_last_run_timestamp_seconds", { flow: FLOW, status: "dead-letters" })).toBeGreaterThan(1.7e9);
  });

  it("escapes label values (quotes, backslashes, newlines) so that the parser reads them back exactly", async () => {
    const id = await bench.store.startRun(HOSTILE_FLOW, bench.clock.now(), false);
    await bench.store.finishRun(id, bench.clock.now(), "failed", { read: 0, written: 0, unchanged: 0, deadLettered: 0 }, "boom");
    const families = parsePrometheus(await (await get("/metrics")).text());
    expect(sample(families, "ferry_runs_total", { flow: HOSTILE_FLOW, status: "failed" })).toBe(1);
  });

  it("rejects what a strict parser must: a sample before its TYPE, a bad escape, a duplicate series", () => {
    expect(() => parsePrometheus('x{a="1"} 1\n')).toThrow(/before its TYPE/);
    expect(() => parsePrometheus('# TYPE x counter\nx{a="\\t"} 1\n')).toThrow(/bad escape/);
    expect(() => parsePrometheus('# TYPE x counter\nx{a="1"} 1\nx{a="1"} 2\n')).toThrow(/duplicate/);
    expect(() => parsePrometheus("# TYPE x counter\nx one\n")).toThrow(/bad value/);
  });
});

describe("failed attempts, latency and runs, as they happened", () => {
  let mine: Bench;
  let console_: ConsoleServer;
  let retried: RunSummary;
  let failed: RunSummary;

  beforeAll(async () => {
    mine = await startBench({ records: 120 });
    // The first write fails twice and is retried until it is answered; the run succeeds.
    mine.server.failNext("/customers", "500", 2);
    retried = await mine.run(flowOf(SHOPS), { to: "2024-09-08 00:00:00" });
    // Every attempt of the first read fails: the call fails after its 3 retries, and so does the run.
    mine.server.failNext("/shops", "500", 4);
    failed = await mine.run(flowOf(SHOPS), { from: "2024-09-08 00:00:00", to: "2024-09-09 00:00:00" });
    console_ = await startServer({ host: "127.0.0.1", port: 0, store: mine.store, cwd, env: {}, now: () => mine.clock.now() });
  });

  afterAll(async () => {
    await console_?.close();
    await mine?.close();
  });

  it("the runs behind it: one retried its way to success, one failed", () => {
    expect(retried).toMatchObject({ status: "ok", written: 120 });
    expect(retried.calls.find((c) => c.operation === "/customers")).toMatchObject({ errors: 0, retries: 2, failedAttempts: 2 });
    expect(failed.status).toBe("failed");
    expect(failed.calls.find((c) => c.operation === "/shops")).toMatchObject({ calls: 1, errors: 1, retries: 3, failedAttempts: 4 });
  });

  it("shows failed attempts apart from failed calls on the usage and flow pages, with rates that are not 0 %", async () => {
    const writes = retried.calls.find((c) => c.operation === "/customers")!;
    const attempts = writes.calls + writes.retries;
    for (const path of ["/usage", `/flows/${FLOW}`]) {
      const body = await (await fetch(new URL(path, console_.url))).text();
      const row = new RegExp(`<tr data-system="http" data-operation="/customers" data-calls="${writes.calls}" data-failed-attempts="2" data-errors="0">(.*?)</tr>`).exec(body);
      expect(row, path).not.toBeNull();
      const cells = [...row![1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);
      // calls, retries, failed attempts (of attempts), failed calls (of calls)
      expect(cells.slice(2, 6), path).toEqual([String(writes.calls), "2", `2 <span class="muted">(${(200 / attempts).toFixed(1)} %)</span>`, '0 <span class="muted">(0 %)</span>']);
      expect(body).toMatch(/<tr data-system="http" data-operation="\/shops" data-calls="\d+" data-failed-attempts="4" data-errors="1">/);
    }
  });

  it("exposes failed attempts, failed calls and a latency histogram of every attempt on /metrics", async () => {
    const families = parsePrometheus(await (await fetch(new URL("/metrics", console_.url))).text());
    expect(families.get("ferry_api_latency_ms")?.type).toBe("histogram");
    for (const op of ["/shops", "/customers"]) {
      const of = [...retried.calls, ...failed.calls].filter((c) => c.operation === op);
      const labels = { system: "http", operation: op };
      const total = (pick: (c: CallStats) => number) => of.reduce((n, c) => n + pick(c), 0);
      expect(sample(families, "ferry_api_failed_attempts_total", labels), op).toBe(total((c) => c.failedAttempts));
      expect(sample(families, "ferry_api_errors_total", labels), op).toBe(total((c) => c.errors));
      const attempts = total((c) => c.calls + c.retries);
      expect(sample(families, "ferry_api_attempts_total", labels), op).toBe(attempts);

      const merged = Histogram.of(...of.map((c) => c.latency));
      const buckets = LATENCY_BOUNDS_MS.map((le) => sample(families, "ferry_api_latency_ms_bucket", { ...labels, le: String(le) }));
      expect(buckets, op).toEqual(LATENCY_BOUNDS_MS.map((le) => merged.countAtMost(le)));
      // Cumulative, ending in +Inf = _count = every attempt, failed ones included.
      expect([...buckets].sort((a, b) => a! - b!)).toEqual(buckets);
      expect(sample(families, "ferry_api_latency_ms_bucket", { ...labels, le: "+Inf" })).toBe(attempts);
      expect(sample(families, "ferry_api_latency_ms_count", labels)).toBe(attempts);
      expect(sample(families, "ferry_api_latency_ms_sum", labels)).toBeCloseTo(total((c) => c.latency.sumMs), 3);
      expect(sample(families, "ferry_api_latency_p95_ms", labels)).toBeCloseTo(merged.quantile(0.95), 6);
    }
  });

  it("counts runs once they have ended, by final status; a running run is a gauge, not a status", async () => {
    const scrape = async () => parsePrometheus(await (await fetch(new URL("/metrics", console_.url))).text());
    const id = await mine.store.startRun(FLOW, mine.clock.now(), false);
    let families = await scrape();
    const statuses = (name: string) => families.get(name)!.samples.filter((s) => s.labels.flow === FLOW).map((s) => [s.labels.status, s.value]);
    expect(statuses("ferry_runs_total")).toEqual([["ok", 1], ["dead-letters", 0], ["failed", 1]]);
    expect(sample(families, "ferry_runs_running", { flow: FLOW })).toBe(1);
    expect(statuses("ferry_last_run_timestamp_seconds").map(([status]) => status)).toEqual(["failed", "ok"]);

    await mine.store.finishRun(id, mine.clock.now(), "ok", { read: 0, written: 0, unchanged: 0, deadLettered: 0 }, null);
    families = await scrape();
    expect(statuses("ferry_runs_total")).toEqual([["ok", 2], ["dead-letters", 0], ["failed", 1]]);
    expect(sample(families, "ferry_runs_running", { flow: FLOW })).toBe(0);
  });
});

describe("escaping and masking", () => {
  it("shows a hostile dead-letter payload escaped, pretty-printed, with secret keys masked", async () => {
    const { body } = await text(`/flows/${FLOW}/dead-letters`);
    expect(body).toContain(`data-source-id="${hostileId}"`);
    expect(body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(body).not.toContain("<script>alert(1)");
    expect(body).toMatch(/<pre>\{\n {2}&quot;id&quot;: \d+,\n {2}&quot;code&quot;/);
    expect(body).toContain("&quot;password&quot;: &quot;***&quot;");
    expect(body).toContain("&quot;api_token&quot;: &quot;***&quot;");
    expect(body).not.toContain("hunter2");
    expect(body).not.toContain("tok-123456");
    expect(body).toContain("<p class=\"reason\">name is required</p>");
  });

  it("escapes a hostile flow name everywhere it is shown and encodes it in links", async () => {
    const { body } = await text("/");
    expect(body).not.toContain("<img src=x");
    expect(body).toContain(escapeHtml(HOSTILE_FLOW));
    expect(body).toContain(`href="/flows/${escapeHtml(encodeURIComponent(HOSTILE_FLOW))}"`);
    const page = await text(`/flows/${encodeURIComponent(HOSTILE_FLOW)}`);
    expect(page.res.status).toBe(200);
    expect(page.body).not.toContain("<img src=x");
  });

  it("never shows the value of a secret environment variable, in any page, API answer or metric", async () => {
    const paths = [...PAGES, `/runs/${summary.runId}`, `/api/runs/${summary.runId}`, "/api/flows", "/metrics"];
    for (const path of paths) {
      const { body } = await text(path);
      expect(body, path).not.toContain(SECRET);
      expect(body, path).not.toContain("hunter2");
    }
    expect((await text(`/flows/${FLOW}/dead-letters`)).body).toContain("&lt;/script&gt; token ***");
  });

  it("masks by key and by secret value, deeply", () => {
    const mask = new Masker({ FERRY_GUANYI_APPKEY: "gy-app-key", FERRY_KINGDEE_APP_SECRET: "kd-secret", FERRY_HTTP_URL: "http://x", OTHER_TOKEN: "not-ours" });
    expect(mask.value({ a: { Authorization: "Bearer x", sessionKey: 1, passwd: "p" }, list: ["uses gy-app-key", 3], note: "not-ours" })).toEqual({
      a: { Authorization: "***", sessionKey: "***", passwd: "***" },
      list: ["uses ***", 3],
      note: "not-ours",
    });
    expect(mask.body('{"k":"kd-secret"} &lt;kd-secret')).toBe('{"k":"***"} &lt;***');
  });
});

describe("replay", () => {
  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  it("refuses a POST without the CSRF token, with a wrong one, or from another origin (403)", async () => {
    expect((await get(`/flows/${FLOW}/replay`, form({}))).status).toBe(403);
    expect((await get(`/flows/${FLOW}/replay`, form({ csrf: "guess" }))).status).toBe(403);
    const csrf = await csrfOf();
    const cross = await get(`/flows/${FLOW}/replay`, { ...form({ csrf }), headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://evil.example" } });
    expect(cross.status).toBe(403);
  });

  it("accepts Origin: null (what a no-referrer page's form sends) when the CSRF token is right", async () => {
    const res = await get(`/flows/${FLOW}/replay`, { ...form({ csrf: await csrfOf() }), headers: { "content-type": "application/x-www-form-urlencoded", origin: "null" } });
    expect(res.status).toBe(303);
  });

  it("replays in process and redirects (303) to the dead-letter page, which shows the outcome", async () => {
    // No mappings/ in this cwd: the real replay fails to find the flow, and says so on the page.
    const res = await get(`/flows/${FLOW}/replay`, form({ csrf: await csrfOf() }));
    expect(res.status).toBe(303);
    const location = res.headers.get("location") ?? "";
    expect(location).toMatch(new RegExp(`^/flows/${FLOW}/dead-letters\\?outcome=[\\w-]+#outcome$`));
    const { body } = await text(location);
    expect(body).toMatch(/<div class="notice bad" role="status" id="outcome">shops_to_customers: replay failed: no such flow: shops_to_customers/);
  });

  it("passes the flow to onReplay and shows what it answered, masked", async () => {
    const seen: string[] = [];
    const outcome: ReplayOutcome = { ok: true, message: `replayed 2 with ${SECRET}`, attempted: 2, written: 2, failed: [] };
    const custom = await startServer({ host: "127.0.0.1", port: 0, store: bench.store, cwd, env, onReplay: async (f) => (seen.push(f), outcome) });
    try {
      const res = await get(`/flows/${FLOW}/replay`, form({ csrf: await csrfOf(custom) }), custom);
      expect(seen).toEqual([FLOW]);
      const { body } = await text(res.headers.get("location") ?? "", {}, custom);
      expect(body).toContain('<div class="notice ok" role="status" id="outcome">replayed 2 with ***</div>');
    } finally {
      await custom.close();
    }
  });
});

describe("binding and tokens", () => {
  it.each([
    ["127.0.0.1", true], ["127.8.9.10", true], ["localhost", true], ["::1", true], ["[::1]", true], ["0:0:0:0:0:0:0:1", true], ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false], ["::", false], ["192.168.1.20", false], ["10.0.0.1", false], ["example.com", false], ["evil.localhost", false], ["128.0.0.1", false], ["", false],
  ])("isLoopbackHost(%j) is %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it("refuses to bind anything but loopback without a token, in startServer and in the command", async () => {
    await expect(startServer({ host: "0.0.0.0", port: 0, store: bench.store, cwd, env })).rejects.toMatchObject({
      name: "UsageError",
      message: "--host 0.0.0.0 is reachable from other machines: set FERRY_SERVE_TOKEN to require a token, or bind to 127.0.0.1",
    });
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, cwd, env: { FERRY_STATE_DIR: join(cwd, "state") }, isTTY: false };
    await expect(serveCommand(io, { host: "192.168.1.20", port: 0 }, Promise.resolve())).rejects.toMatchObject({ name: "UsageError" });
  });

  it("serveCommand prints the URL, serves until stopped, then closes", async () => {
    let stdout = "";
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, cwd, env: { FERRY_STATE_DIR: bench.dir }, isTTY: false };
    const done = serveCommand(io, { host: "127.0.0.1", port: 0 }, stopped);
    await expect.poll(() => stdout, { timeout: 5000 }).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\n$/);
    const base = stdout.trim();
    expect(await (await fetch(`${base}healthz`)).text()).toBe("ok\n");
    expect(await (await fetch(base)).text()).toContain(FLOW);
    stop();
    expect(await done).toBe(0);
    await expect(fetch(`${base}healthz`)).rejects.toThrow();
  });

  it("says in one line when the port is taken", async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, cwd, env: { FERRY_STATE_DIR: bench.dir }, isTTY: false };
    await expect(serveCommand(io, { host: "127.0.0.1", port: server.port }, Promise.resolve())).rejects.toMatchObject({
      name: "UsageError",
      message: `port ${server.port} on 127.0.0.1 is in use; choose another with --port`,
    });
  });

  it("answers only requests naming a loopback host when bound to loopback (DNS rebinding)", async () => {
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(url("/healthz"), { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    expect(await status("evil.example:7300")).toBe(403);
    expect(await status(`localhost:${server.port}`)).toBe(200);
    expect(await status(`[::1]:${server.port}`)).toBe(200);
  });

  describe("with a token", () => {
    const TOKEN = "console-token-4f9a1c";
    let guarded: ConsoleServer;

    beforeAll(async () => {
      guarded = await startServer({ host: "127.0.0.1", port: 0, token: TOKEN, store: bench.store, cwd, env: { ...env, FERRY_SERVE_TOKEN: TOKEN }, now: () => bench.clock.now() });
    });
    afterAll(async () => {
      await guarded?.close();
    });

    const bearer = { authorization: `Bearer ${TOKEN}` };

    it.each(["/", `/flows/${FLOW}`, `/flows/${FLOW}/dead-letters`, `/runs/${1}`, `/api/runs/1`, "/usage", "/quality", "/metrics", "/healthz"])(
      "GET %s needs the token: 401 without or with a wrong one, 200 with it",
      async (path) => {
        const none = await get(path, {}, guarded);
        expect(none.status).toBe(401);
        expect(none.headers.get("www-authenticate")).toBe('Bearer realm="ferry"');
        expect((await get(path, { headers: { authorization: "Bearer nope" } }, guarded)).status).toBe(401);
        expect((await get(path, { headers: { cookie: `ferry_console=${TOKEN}` } }, guarded)).status).toBe(401);
        const ok = await get(path, { headers: bearer }, guarded);
        expect(ok.status).toBe(200);
        expect(await ok.text()).not.toContain(TOKEN);
      },
    );

    it("refuses a POST without the token (401) even with the right CSRF token, and one without CSRF (403)", async () => {
      const csrf = await csrfOf(guarded, bearer);
      const post = (headers: Record<string, string>, fields: Record<string, string>) =>
        get(`/flows/${FLOW}/replay`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(fields).toString() }, guarded);
      expect((await post({}, { csrf })).status).toBe(401);
      expect((await post(bearer, {})).status).toBe(403);
      expect((await post(bearer, { csrf })).status).toBe(303);
    });

    it("trades ?token= for an HttpOnly SameSite=Strict cookie and a redirect that drops it from the address", async () => {
      expect((await get(`/usage?token=wrong`, {}, guarded)).status).toBe(401);
      const res = await get(`/usage?flow=${FLOW}&token=${TOKEN}`, {}, guarded);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/usage?flow=${FLOW}`);
      const cookie = res.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^ferry_console=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
      expect(cookie).not.toContain(TOKEN);
      const session = cookie.split(";")[0]!;
      const page = await get("/usage", { headers: { cookie: `other=1; ${session}` } }, guarded);
      expect(page.status).toBe(200);
    });

    it.each([
      // A path that normalises to two leading slashes would be a redirect to another host.
      [`/.//evil.example/?token=${TOKEN}`, "/evil.example/"],
      [`/a/..//evil.example/x?token=${TOKEN}`, "/evil.example/x"],
      [`//evil.example/?token=${TOKEN}`, "/evil.example/"],
      [`/\\evil.example/?token=${TOKEN}`, "/evil.example/"],
      [`///evil.example?flow=a&token=${TOKEN}`, "/evil.example?flow=a"],
    ])("redirects ?token= on %j only to a path on this host (%s)", async (target, location) => {
      const res = await raw(target, guarded);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(location);
    });

    it("reads a request target of two slashes as a path here, not as another host's path", async () => {
      // Parsed as a URL reference, //metrics would be host "metrics" with path "/" (the overview).
      const res = await raw("//metrics", guarded, bearer);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    });
  });
});

describe("optional tables of later migrations", () => {
  it("reads an anomalies table whatever its columns, newest first, masked; none when it is absent", () => {
    const dir = mkdtempSync(join(tmpdir(), "ferry-serve-anomalies-"));
    const store = SqliteStateStore.open(join(dir, "state.db"));
    try {
      const db = store.database;
      const queries = new ConsoleQueries(db, new Masker({ FERRY_X_TOKEN: "abcdef123" }));
      // This throwaway database gets a shape of our own, whatever the alerting migration made.
      db.exec("DROP TABLE IF EXISTS anomalies");
      expect(queries.optionalTable("anomalies", 10)).toBeNull();
      db.exec("CREATE TABLE anomalies (id INTEGER PRIMARY KEY, flow TEXT, detail TEXT, secret_ref TEXT, detected_at INTEGER)");
      db.prepare("INSERT INTO anomalies (flow, detail, secret_ref, detected_at) VALUES (?, ?, ?, ?)").run("a", '{"password":"p","n":"abcdef123"}', "s", 1);
      db.prepare("INSERT INTO anomalies (flow, detail, secret_ref, detected_at) VALUES (?, ?, ?, ?)").run("b", "<b>spike</b>", "s", 2);
      expect(queries.optionalTable("anomalies", 10)).toEqual({
        columns: ["id", "flow", "detail", "secret_ref", "detected_at"],
        rows: [
          [2, "b", "<b>spike</b>", "***", 2],
          [1, "a", '{"password":"***","n":"***"}', "***", 1],
        ],
      });
      expect(queries.optionalTable("anomalies", 10, "a")?.rows.length).toBe(1);
    } finally {
      void store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a letter that failed more than once", () => {
  it("shows its latest reason and every failure, oldest first", async () => {
    const runId = await bench.store.startRun(FLOW, bench.clock.now(), false);
    const [letter] = (await bench.store.deadLetters(FLOW, { unresolvedOnly: true })).filter((l) => l.sourceId !== String(hostileId));
    await bench.store.commit(FLOW, { runId, done: [], cleared: [], deadLetters: [{ sourceId: letter!.sourceId, stage: "write", reason: "FName: 客户名称重复", record: letter!.record, row: letter!.row }] });
    await bench.store.finishRun(runId, bench.clock.now(), "dead-letters", { read: 1, written: 0, unchanged: 0, deadLettered: 1 }, null);
    const { body } = await text(`/flows/${FLOW}/dead-letters`);
    const article = body.slice(body.indexOf(`id="letter-${letter!.id}"`), body.indexOf("</article>", body.indexOf(`id="letter-${letter!.id}"`)));
    expect(article).toContain('<p class="reason">FName: 客户名称重复</p>');
    expect(article).toContain("Failed 2 times");
    expect(article.indexOf(letter!.reason)).toBeLessThan(article.indexOf(`run #${runId}</a>: FName: 客户名称重复`));
  });
});

describe("a flow whose latest run found drift", () => {
  it("shows it on the flow page, with the run, masked", async () => {
    const [latest] = await bench.store.runs(FLOW, 1);
    await bench.store.recordDrift(latest!.id, FLOW, { sampled: 40, unknown: [{ path: `vip_${SECRET}`, count: 40, type: "string" }], missing: [], typeChanges: [] });
    const { body } = await text(`/flows/${FLOW}`);
    expect(body).toContain(`<dt>Drift</dt><dd class="drift"><span class="badge warn">drift</span> <a href="/runs/${latest!.id}">run #${latest!.id}</a>: drift in 40 records looked at: 1 field the spec lacks (vip_`);
    expect(body).not.toContain(SECRET);
  });
});
