import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { banniuConnector } from "../../connectors/banniu/client.js";
import { banniuGoods, createBanniuSandbox, type BanniuSandbox } from "../../connectors/banniu/sandbox.js";
import { signBanniu, verifyBanniu } from "../../connectors/banniu/sign.js";
import { FaultDice, parseFaultSpec, type SandboxFault } from "../../connectors/sandbox/faults.js";
import { SANDBOX_CREDENTIALS } from "../../connectors/sandbox/handler.js";
import type { ConnectorContext, ReadRequest, RowResult, SourceConnector, TargetConnector, WriteRequest } from "../../runtime/connector.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { CallMeter } from "../../runtime/call-meter.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { CallError, type FaultKind } from "../../runtime/faults.js";
import { MemoryCollectionStore } from "../../runtime/lookups.js";
import { RateLimits } from "../../runtime/rate-limit.js";
import { Calls } from "../../runtime/run/calls.js";
import { runFlow } from "../../runtime/run/run-flow.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import type { FlowSpec } from "../../runtime/types.js";
import { flowOf, seeded } from "../support/runtime.js";
import { serveSandboxes } from "../support/sandbox-server.js";
import { seed as seedFlow } from "../support/seeds.js";

/** 2025-01-15 12:00:00 in Shanghai. */
const NOW = Date.UTC(2025, 0, 15, 4, 0, 0);
const DAY = 86_400_000;
const CREDS = SANDBOX_CREDENTIALS.banniu;
const TOKEN = CREDS.FERRY_BANNIU_ACCESS_TOKEN;
const SECRET = CREDS.FERRY_BANNIU_APP_SECRET;
const GATEWAY = "/gateway/api/miniAPI";
const shanghai = (ms: number) => formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);

function context(env: Record<string, string | undefined>, now = NOW): ConnectorContext {
  // The connector reads env and clock only; the flow is not consulted.
  return { env, clock: { now: () => now, sleep: async () => undefined }, flow: {} as FlowSpec };
}

function connect(url: string, over: Record<string, string | undefined> = {}, now = NOW): { source: SourceConnector; target: TargetConnector } {
  const factory = banniuConnector();
  const ctx = context({ ...CREDS, FERRY_BANNIU_URL: url, ...over }, now);
  return { source: factory.source!(ctx), target: factory.target!(ctx) };
}

function listRequest(params: Record<string, string | number | null>, over: Partial<ReadRequest> = {}): ReadRequest {
  return {
    operation: "task.list",
    params: { project_id: "27912", ...params },
    recordsPath: "response.map.result",
    totalPath: "response.total_results",
    cursorPath: null,
    timeoutMs: 5000,
    ...over,
  };
}

function writeRequest(rows: readonly unknown[], over: Partial<WriteRequest> = {}): WriteRequest {
  return { operation: "task.update", form: null, options: {}, rows: rows.map((row, i) => ({ sourceId: String(i + 1), row })), key: "task_id", timeoutMs: 5000, ...over };
}

/** The CallError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
async function failure(promise: Promise<unknown>): Promise<CallError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected a CallError, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof CallError)) throw outcome.error;
  return outcome.error;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

interface Rig {
  readonly sandbox: BanniuSandbox;
  readonly url: string;
  readonly source: SourceConnector;
  readonly target: TargetConnector;
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function rig(options: { records?: number; seed?: number; faults?: string } = {}): Promise<Rig> {
  const seed = options.seed ?? 7;
  const sandbox = createBanniuSandbox({ seed, records: options.records ?? 120, dice: new FaultDice(parseFaultSpec(options.faults ?? ""), seed), now: () => NOW });
  const server = await serveSandboxes([sandbox]);
  closers.push(() => server.close());
  return { sandbox, url: server.url, ...connect(server.url) };
}

/** A loopback server answering whatever `answer` says, recording each request: for odd answers and wire checks. */
async function cannedServer(answer: (req: IncomingMessage, body: string) => { status?: number; headers?: Record<string, string>; body: string }) {
  const requests: { method: string; url: URL; headers: IncomingMessage["headers"]; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "", url: new URL(req.url ?? "/", "http://x"), headers: req.headers, body });
      const a = answer(req, body);
      res.writeHead(a.status ?? 200, { "content-type": "application/json", ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  closers.push(async () => server.closeAllConnections());
  return { url, requests };
}

const envelope = (response: Record<string, unknown>) => JSON.stringify({ response });

/** Reads every page of a window the way the runtime does: until a short page or the total. */
async function readAll(source: SourceConnector, start: string, end: string, pageSize: number) {
  const records: unknown[] = [];
  let total: number | null = null;
  let calls = 0;
  for (let page = 1; ; page++) {
    const answer = await source.read(listRequest({ star_created: start, end_created: end, page_num: page, page_size: pageSize }));
    calls++;
    total = answer.total;
    records.push(...answer.records);
    if (answer.records.length < pageSize || (total !== null && records.length >= total)) break;
  }
  return { records, total, calls };
}

type RawResponse = Record<string, unknown> & { code: number; error_msg: string | null; map?: { result?: unknown[] } };
type Raw = { method?: string; http?: "GET" | "POST"; params?: Record<string, string>; secret?: string; at?: number; bearer?: string | null; body?: unknown; after?: (q: URLSearchParams) => void };

/** A hand-built request, signed (or mis-signed) as told; answers status and parsed JSON. */
async function raw(url: string, r: Raw): Promise<{ status: number; json: { response: RawResponse } }> {
  const method = r.method ?? "task.list";
  const params: Record<string, string> = {
    timestamp: shanghai(r.at ?? NOW),
    v: "1",
    app_key: CREDS.FERRY_BANNIU_APP_KEY,
    access_token: TOKEN,
    method,
    ...(method === "task.list" ? { project_id: "27912", star_created: shanghai(NOW - DAY), end_created: shanghai(NOW) } : {}),
    ...r.params,
  };
  const query = new URLSearchParams({ ...params, sign: signBanniu(params, r.secret ?? SECRET) });
  r.after?.(query);
  const http = r.http ?? (method === "task.list" ? "GET" : "POST");
  const headers: Record<string, string> = {};
  if (r.bearer !== null && http === "POST") headers.authorization = r.bearer ?? `Bearer ${TOKEN}`;
  // A string body is sent as is, so tests can send what is not JSON.
  const body = typeof r.body === "string" ? r.body : JSON.stringify(r.body ?? {});
  const response = await fetch(`${url}${GATEWAY}?${query}`, { method: http, headers, body: http === "POST" ? body : undefined });
  return { status: response.status, json: (await response.json()) as never };
}

const taskIds = (records: readonly unknown[]) => records.map((r) => (r as Record<string, unknown>)["-1"]);

describe("signBanniu / verifyBanniu", () => {
  it.each([
    ["system params", { v: "1", timestamp: "2025-01-15 12:00:00", method: "task.list", app_key: "k" }, "s", "4F6AD8F51C9425B61D7466DA75249612"],
    ["the sign param itself is left out", { v: "1", timestamp: "2025-01-15 12:00:00", method: "task.list", app_key: "k", sign: "X" }, "s", "4F6AD8F51C9425B61D7466DA75249612"],
    ["Chinese values are signed as UTF-8", { name: "班牛", a: "1" }, "x", "65FFE29F2F1BF259D3B75D36F4F16F17"],
    [
      "a task.list call with the sandbox credentials",
      {
        timestamp: "2025-01-15 12:00:00",
        v: "1",
        app_key: CREDS.FERRY_BANNIU_APP_KEY,
        access_token: TOKEN,
        method: "task.list",
        project_id: "27912",
        page_num: "1",
        star_created: "2025-01-14 00:00:00",
        end_created: "2025-01-15 00:00:00",
      },
      SECRET,
      "7FB50DC47D3D50AA15051C50C0A5E805",
    ],
  ])("pins the signature: %s", (_name, params, secret, hex) => {
    expect(signBanniu(params, secret)).toBe(hex);
  });

  const signed = () => {
    const params = { method: "task.list", app_key: "k", timestamp: "2025-01-15 12:00:00" };
    return new URLSearchParams({ ...params, sign: signBanniu(params, "s") });
  };
  it.each([
    ["a valid signature", (q: URLSearchParams) => q, "s", true],
    ["a changed param", (q: URLSearchParams) => (q.set("method", "task.update"), q), "s", false],
    ["an added param", (q: URLSearchParams) => (q.set("page_num", "2"), q), "s", false],
    ["a param given twice", (q: URLSearchParams) => (q.append("method", "task.list"), q), "s", false],
    ["a lower-case signature", (q: URLSearchParams) => (q.set("sign", (q.get("sign") ?? "").toLowerCase()), q), "s", false],
    ["no signature", (q: URLSearchParams) => (q.delete("sign"), q), "s", false],
    ["another secret", (q: URLSearchParams) => q, "t", false],
  ])("verifies %s", (_name, change, secret, ok) => {
    expect(verifyBanniu(change(signed()), secret)).toBe(ok);
  });
});

describe("banniu client on the wire", () => {
  it("signs the query with a Shanghai timestamp from the injected clock and sends business params as strings", async () => {
    const server = await cannedServer(() => ({ body: envelope({ code: 0, error_msg: null, total_results: 0, map: { result: [] } }) }));
    const { source } = connect(server.url);
    await source.read(listRequest({ star_created: "2025-01-14 00:00:00", end_created: "2025-01-15 00:00:00", page_num: 1, page_size: 100, task_status: null }));
    const [request] = server.requests;
    expect(request?.method).toBe("GET");
    expect(request?.url.pathname).toBe(GATEWAY);
    const q = request!.url.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      timestamp: "2025-01-15 12:00:00",
      v: "1",
      app_key: CREDS.FERRY_BANNIU_APP_KEY,
      access_token: TOKEN,
      method: "task.list",
      project_id: "27912",
      page_num: "1",
      page_size: "100",
    });
    // A null param is not sent at all.
    expect(q.has("task_status")).toBe(false);
    expect(verifyBanniu(q, SECRET)).toBe(true);
    expect(request?.headers.authorization).toBeUndefined();
  });

  it("POSTs updates with the Bearer token, an unsigned JSON body and app_id from the environment", async () => {
    const server = await cannedServer(() => ({ body: envelope({ code: 0, error_msg: null }) }));
    const { target } = connect(server.url);
    const results = await target.write(writeRequest([{ project_id: "27912", task_id: 8100001, contents: { "101297": "6901234567892" } }]));
    expect(results).toEqual([{ ok: true, targetId: "8100001" }]);
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(request!.body)).toEqual({ project_id: "27912", task_id: 8100001, contents: { "101297": "6901234567892" }, app_id: CREDS.FERRY_BANNIU_APP_ID });
    expect(Object.fromEntries(request!.url.searchParams)).toMatchObject({ method: "task.update", v: "1" });
    expect(verifyBanniu(request!.url.searchParams, SECRET)).toBe(true);
  });

  it("keeps a row's own app_id", async () => {
    const server = await cannedServer(() => ({ body: envelope({ code: 0, error_msg: null }) }));
    const { target } = connect(server.url);
    await target.write(writeRequest([{ project_id: "27912", app_id: "mine", task_id: 1, contents: { "1": "x" } }]));
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ app_id: "mine" });
  });

  it("refuses a flow param that would override a system param", async () => {
    const server = await cannedServer(() => ({ body: "{}" }));
    const { source } = connect(server.url);
    const error = await failure(source.read(listRequest({ access_token: "x" })));
    expect(error.kind).toBe("rejected");
    expect(server.requests).toHaveLength(0);
  });

  const TOTAL_OK = { code: 0, error_msg: null, total_results: 1, map: { result: [{ "-1": 1 }] } };
  it.each<[string, { status?: number; headers?: Record<string, string>; body: string }, FaultKind, RegExp]>([
    ["HTTP 429 with Retry-After", { status: 429, headers: { "retry-after": "2" }, body: "slow down" }, "throttled", /HTTP 429/],
    ["HTTP 503", { status: 503, body: "unavailable" }, "server", /HTTP 503/],
    ["HTTP 401", { status: 401, body: "no" }, "credentials", /FERRY_BANNIU_ACCESS_TOKEN/],
    ["a redirect", { status: 302, headers: { location: "https://elsewhere/" }, body: "" }, "rejected", /FERRY_BANNIU_URL/],
    ["JSON without the envelope", { body: '{"data":[]}' }, "malformed", /envelope/],
    ["a non-numeric code", { body: envelope({ code: "oops" }) }, "malformed", /response\.code/],
    ["success without the records path", { body: envelope({ code: 0, error_msg: null, total_results: 3 }) }, "malformed", /response\.map\.result/],
    ["a total that is not a count", { body: envelope({ ...TOTAL_OK, total_results: -1 }) }, "malformed", /not a count/],
    ["an HTML page", { body: "<html><body>502 Bad Gateway</body></html>" }, "malformed", /HTML page/],
    ["truncated JSON", { body: '{"response":{"code":0,"map":{"result":[{"-1":1' }, "malformed", /truncated/],
    ["code 7", { body: envelope({ code: 7, error_msg: "App Call Limited" }) }, "throttled", /code 7/],
    ["a throttling message", { body: envelope({ code: 1001, error_msg: "请求过于频繁" }) }, "throttled", /频繁/],
    ["a system error", { body: envelope({ code: 500, error_msg: "系统繁忙" }) }, "server", /系统繁忙/],
    ["an invalid token", { body: envelope({ code: 2001, error_msg: "access_token无效" }) }, "credentials", /FERRY_BANNIU_APP_SECRET/],
    ["a wrong signature", { body: envelope({ code: 2002, error_msg: "签名错误" }) }, "credentials", /签名错误/],
    ["a stale timestamp", { body: envelope({ code: 2003, error_msg: "timestamp已过期" }) }, "rejected", /clock/],
    ["a bad param", { body: envelope({ code: 3001, error_msg: "参数错误：project_id不能为空" }) }, "rejected", /project_id/],
    ["an unknown code and message", { body: envelope({ code: 12345, error_msg: "出错了" }) }, "rejected", /code 12345/],
  ])("classifies %s", async (_name, answer, kind, message) => {
    const server = await cannedServer(() => answer);
    const { source } = connect(server.url);
    const error = await failure(source.read(listRequest({})));
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
    if (kind === "throttled" && answer.status === 429) expect(error.retryAfterMs).toBe(2000);
  });

  it("accepts a total sent as a digit string", async () => {
    const server = await cannedServer(() => ({ body: envelope({ code: "0", total_results: "1", map: { result: [{ "-1": 1 }] } }) }));
    const { source } = connect(server.url);
    expect(await source.read(listRequest({}))).toEqual({ records: [{ "-1": 1 }], total: 1, cursor: null });
  });

  it("classifies a refused connection as network", async () => {
    // A port that was just free and is closed again: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const address = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const error = await failure(connect(url).source.read(listRequest({})));
    expect(error.kind).toBe("network");
    expect(error.message).toMatch(/connection refused/);
  });

  it("passes the caller's abort through unchanged", async () => {
    const server = await cannedServer(() => ({ body: "{}" }));
    const controller = new AbortController();
    const reason = new Error("stopping");
    controller.abort(reason);
    await expect(connect(server.url).source.read(listRequest({}, { signal: controller.signal }))).rejects.toBe(reason);
  });
});

describe("banniu client against the sandbox", () => {
  it("reads every page of a one-day window and gets exactly the tasks created in it", async () => {
    const { sandbox, source } = await rig({ records: 120 });
    const start = NOW - 36 * 3_600_000;
    const end = start + DAY;
    const expected = sandbox.tasks().filter((t) => t.createdMs >= start && t.createdMs < end);
    expect(expected.length).toBeGreaterThan(40);
    const { records, total, calls } = await readAll(source, shanghai(start), shanghai(end), 25);
    expect(total).toBe(expected.length);
    expect(taskIds(records)).toEqual(expected.map((t) => t.id));
    expect(records).toEqual(expected.map((t) => t.columns));
    expect(calls).toBe(Math.ceil(expected.length / 25) + (expected.length % 25 === 0 ? 1 : 0));
    for (const r of records) {
      const created = (r as Record<string, string>)["27955"] ?? "";
      expect(created >= shanghai(start) && created < shanghai(end)).toBe(true);
    }
  });

  it("pages 50 tasks by default and says has_next until the last page", async () => {
    const { url } = await rig({ records: 400 });
    const first = (await raw(url, {})).json.response;
    expect(first).toMatchObject({ code: 0, error_msg: null, page_no: 1, page_size: 50, has_next: true });
    expect(first.map?.result).toHaveLength(50);
    const pages = Math.ceil(Number(first.total_results) / 50);
    const last = (await raw(url, { params: { page_num: String(pages) } })).json.response;
    expect(last).toMatchObject({ page_no: pages, has_next: false });
    const beyond = (await raw(url, { params: { page_num: String(pages + 1) } })).json.response;
    expect(beyond).toMatchObject({ has_next: false, map: { result: [] } });
  });

  it("filters by task_status", async () => {
    const { sandbox, source } = await rig({ records: 200 });
    const start = NOW - DAY;
    const expected = sandbox.tasks().filter((t) => t.createdMs >= start && t.columns["27970"] === "2");
    const answer = await source.read(listRequest({ star_created: shanghai(start), end_created: shanghai(NOW), task_status: "2", page_size: 100 }));
    expect(answer.total).toBe(expected.length);
    expect(taskIds(answer.records)).toEqual(expected.map((t) => t.id));
  });

  it.each<[string, Record<string, string | number | null>, RegExp]>([
    ["a two-day window", { star_created: shanghai(NOW - 2 * DAY), end_created: shanghai(NOW) }, /查询时间跨度不能超过1天/],
    ["a window one second over a day", { star_created: shanghai(NOW - DAY - 1000), end_created: shanghai(NOW) }, /查询时间跨度不能超过1天/],
    ["no window", {}, /star_created和end_created不能为空/],
    ["a window in another format", { star_created: "2025/01/14", end_created: "2025/01/15" }, /时间格式/],
    ["a window that ends before it starts", { star_created: shanghai(NOW), end_created: shanghai(NOW - 1000) }, /不能早于/],
    ["no project", { project_id: null, star_created: shanghai(NOW - DAY), end_created: shanghai(NOW) }, /project_id不能为空/],
    ["an unknown project", { project_id: "1", star_created: shanghai(NOW - DAY), end_created: shanghai(NOW) }, /群组不存在/],
    ["a page of 101", { star_created: shanghai(NOW - DAY), end_created: shanghai(NOW), page_size: 101 }, /page_size不能超过100/],
    ["page 0", { star_created: shanghai(NOW - DAY), end_created: shanghai(NOW), page_num: 0 }, /page_num/],
  ])("gets Banniu's own error for %s and classifies it rejected", async (_name, params, message) => {
    const { source } = await rig();
    const error = await failure(source.read(listRequest(params)));
    expect(error.kind).toBe("rejected");
    expect(error.message).toMatch(message);
  });

  it("accepts a window of exactly one day", async () => {
    const { source } = await rig();
    await expect(source.read(listRequest({ star_created: shanghai(NOW - DAY), end_created: shanghai(NOW) }))).resolves.toBeDefined();
  });

  it("updates contents, counts saves and shows the update in task.list", async () => {
    const { sandbox, target, source } = await rig({ records: 50 });
    const [a, b] = sandbox.tasks();
    const rows = [
      { project_id: "27912", task_id: a!.id, contents: { "101297": "6901234567892", "101300": "进行中" } },
      { project_id: "27912", task_id: b!.id, contents: { "101297": "6921234567893" } },
    ];
    expect(await target.write(writeRequest(rows))).toEqual([
      { ok: true, targetId: String(a!.id) },
      { ok: true, targetId: String(b!.id) },
    ]);
    expect(sandbox.contents(a!.id)).toEqual({ "101297": "6901234567892", "101300": "进行中" });
    expect(sandbox.saves(a!.id)).toBe(1);
    await target.write(writeRequest([{ project_id: "27912", task_id: a!.id, contents: { "101300": "已完成" } }]));
    expect(sandbox.contents(a!.id)).toEqual({ "101297": "6901234567892", "101300": "已完成" });
    expect(sandbox.saves(a!.id)).toBe(2);
    expect(sandbox.totalSaves()).toBe(3);
    expect(sandbox.contents(sandbox.tasks()[2]!.id)).toBeUndefined();
    const page = await source.read(listRequest({ star_created: shanghai(a!.createdMs), end_created: shanghai(a!.createdMs + 1000) }));
    expect(page.records[0]).toMatchObject({ "-1": a!.id, "101300": "已完成" });
  });

  it.each<[string, unknown, RegExp]>([
    ["an unknown task id", { project_id: "27912", task_id: 1, contents: { "101297": "x" } }, /工单不存在/],
    ["an unknown project", { project_id: "9", task_id: 8100001, contents: { "101297": "x" } }, /群组不存在/],
    ["no contents", { project_id: "27912", task_id: 8100001 }, /contents不能为空/],
    ["a column name instead of an id", { project_id: "27912", task_id: 8100001, contents: { barcode: "x" } }, /字段ID无效/],
    ["a row that is not an object", "8100001", /not an object/],
  ])("answers %s with a failed row, not a thrown error", async (_name, bad, reason) => {
    const { sandbox, target } = await rig({ records: 10 });
    const good = { project_id: "27912", task_id: 8100002, contents: { "101297": "6901234567892" } };
    const results = await target.write(writeRequest([good, bad, good]));
    expect(results[0]).toEqual({ ok: true, targetId: "8100002" });
    expect(results[1]).toMatchObject({ ok: false });
    expect((results[1] as Extract<RowResult, { ok: false }>).reason).toMatch(reason);
    expect(results[2]).toEqual({ ok: true, targetId: "8100002" });
    expect(sandbox.totalSaves()).toBe(2);
  });

  it("refuses updates without FERRY_BANNIU_APP_ID per row", async () => {
    const { url, sandbox } = await rig({ records: 10 });
    const { target } = connect(url, { FERRY_BANNIU_APP_ID: undefined });
    const [result] = await target.write(writeRequest([{ project_id: "27912", task_id: 8100001, contents: { "1": "x" } }]));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/app_id不能为空/) });
    expect(sandbox.totalSaves()).toBe(0);
  });

  it("task.batchUpdate maps per-item results", async () => {
    const { sandbox, target } = await rig({ records: 10 });
    const rows = [
      { project_id: "27912", task_id: 8100001, contents: { "101297": "A" } },
      { project_id: "27912", task_id: 42, contents: { "101297": "B" } },
      7,
      { project_id: "27912", task_id: 8100003, contents: { "101297": "C" } },
    ];
    const results = await target.write(writeRequest(rows, { operation: "task.batchUpdate" }));
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(results[1]).toMatchObject({ reason: expect.stringMatching(/工单不存在/) });
    expect(results[3]).toEqual({ ok: true, targetId: "8100003" });
    expect(sandbox.contents(8100001)).toEqual({ "101297": "A" });
    expect(sandbox.contents(8100003)).toEqual({ "101297": "C" });
    expect(sandbox.totalSaves()).toBe(2);
    expect(sandbox.stats()).toMatchObject({ calls: { "task.batchUpdate": 1 }, saves: 2 });
  });
});

describe("the sandbox's gateway checks", () => {
  const update = { project_id: "27912", app_id: CREDS.FERRY_BANNIU_APP_ID, task_id: 8100001, contents: { "101297": "x" } };

  it.each<[string, Raw, RegExp]>([
    ["a param changed after signing", { after: (q) => q.set("project_id", "27913") }, /签名错误/],
    ["a signature with the wrong secret", { secret: "not-the-secret" }, /签名错误/],
    ["no signature", { after: (q) => q.delete("sign") }, /签名错误/],
    ["a timestamp eleven minutes old", { at: NOW - 11 * 60_000 }, /timestamp/],
    ["a timestamp eleven minutes ahead", { at: NOW + 11 * 60_000 }, /timestamp/],
    ["a timestamp in UTC instead of Shanghai", { params: { timestamp: formatDateTime(NOW, "yyyy-MM-dd HH:mm:ss", 0) } }, /timestamp/],
    ["another app key", { params: { app_key: "someone-else" } }, /app_key无效/],
    ["another access token", { params: { access_token: "stolen" } }, /access_token无效/],
    ["an unknown method", { method: "task.delete", http: "POST" }, /方法不存在/],
    ["another API version", { params: { v: "2" } }, /API版本/],
    ["an update without Bearer", { method: "task.update", bearer: null, body: update }, /Authorization/],
    ["an update with another Bearer token", { method: "task.update", bearer: "Bearer stolen", body: update }, /Authorization/],
    ["an update sent as GET", { method: "task.update", http: "GET" }, /请求方式/],
    ["an update whose body is not JSON", { method: "task.update", body: "project_id=27912" }, /请求体不是合法的JSON对象/],
    ["an update without project_id", { method: "task.update", body: { ...update, project_id: undefined } }, /project_id不能为空/],
  ])("answers %s with its own error, HTTP 200", async (_name, request, message) => {
    const { url, sandbox } = await rig({ records: 10 });
    const { status, json } = await raw(url, request);
    expect(status).toBe(200);
    expect(json.response.code).not.toBe(0);
    expect(json.response.error_msg).toMatch(message);
    expect(sandbox.totalSaves()).toBe(0);
  });

  it("accepts a timestamp nine minutes off", async () => {
    const { url } = await rig({ records: 10 });
    const { json } = await raw(url, { at: NOW - 9 * 60_000 });
    expect(json.response.code).toBe(0);
  });

  it.each<[string, Record<string, string | undefined>, number, FaultKind, RegExp]>([
    ["a wrong secret", { FERRY_BANNIU_APP_SECRET: "wrong-secret" }, NOW, "credentials", /签名错误/],
    ["a wrong token", { FERRY_BANNIU_ACCESS_TOKEN: "wrong-token" }, NOW, "credentials", /access_token/],
    ["a wrong app key", { FERRY_BANNIU_APP_KEY: "wrong-key" }, NOW, "credentials", /app_key/],
    ["a clock eleven minutes slow", {}, NOW - 11 * 60_000, "rejected", /clock/],
  ])("the client classifies %s", async (_name, env, now, kind, message) => {
    const { url } = await rig({ records: 10 });
    const { source } = connect(url, env, now);
    const error = await failure(source.read(listRequest({ star_created: shanghai(NOW - DAY), end_created: shanghai(NOW) })));
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
  });
});

describe("write refusals of the call, not the row", () => {
  it.each<[string, Record<string, string | undefined>, number, string, FaultKind, RegExp]>([
    ["a clock eleven minutes slow", {}, NOW - 11 * 60_000, "task.update", "rejected", /clock/],
    ["a wrong token", { FERRY_BANNIU_ACCESS_TOKEN: "wrong-token" }, NOW, "task.update", "credentials", /access_token/],
    ["an unknown method", {}, NOW, "task.remove", "rejected", /方法不存在/],
    ["a clock eleven minutes slow, batched", {}, NOW - 11 * 60_000, "task.batchUpdate", "rejected", /clock/],
  ])("throws for %s instead of failing every row", async (_name, env, now, operation, kind, message) => {
    const { url, sandbox } = await rig({ records: 10 });
    const { target } = connect(url, env, now);
    const error = await failure(target.write(writeRequest([{ project_id: "27912", task_id: 8100001, contents: { "1": "x" } }], { operation })));
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
    expect(sandbox.totalSaves()).toBe(0);
  });
});

describe("faults", () => {
  const FAULTS: readonly [SandboxFault, FaultKind][] = [
    ["500", "server"],
    ["timeout", "timeout"],
    ["throttle", "throttled"],
    ["session-lost", "credentials"],
    ["html", "malformed"],
    ["truncated", "malformed"],
    ["reset", "network"],
  ];

  it.each(FAULTS)("task.list %s → %s", async (fault, kind) => {
    const { source, sandbox } = await rig({ faults: `banniu.task.list:${fault}@100%` });
    const error = await failure(source.read(listRequest({ star_created: shanghai(NOW - DAY), end_created: shanghai(NOW) }, { timeoutMs: 150 })));
    expect(error.kind).toBe(kind);
    expect(error.call).toBe("banniu task.list");
    expect(sandbox.stats()).toMatchObject({ calls: { "task.list": 1 }, faults: { [`task.list:${fault}`]: 1 } });
  });

  it.each(FAULTS)("task.update %s → %s, thrown for the call and nothing saved", async (fault, kind) => {
    const { target, sandbox } = await rig({ faults: `banniu.task.update:${fault}@100%` });
    const error = await failure(target.write(writeRequest([{ project_id: "27912", task_id: 8100001, contents: { "1": "x" } }], { timeoutMs: 150 })));
    expect(error.kind).toBe(kind);
    expect(sandbox.totalSaves()).toBe(0);
  });

  it("injects only on the named operation", async () => {
    const { source, target } = await rig({ faults: "banniu.task.update:500@100%" });
    await expect(source.read(listRequest({ star_created: shanghai(NOW - DAY), end_created: shanghai(NOW) }))).resolves.toBeDefined();
    expect((await failure(target.write(writeRequest([{ project_id: "27912", task_id: 8100001, contents: { "1": "x" } }])))).kind).toBe("server");
  });
});

describe("configuration", () => {
  it.each(["FERRY_BANNIU_APP_KEY", "FERRY_BANNIU_APP_SECRET", "FERRY_BANNIU_ACCESS_TOKEN"])("without %s, source and target refuse to start, naming it", (name) => {
    const env = { ...CREDS, [name]: undefined };
    for (const make of [banniuConnector().source!, banniuConnector().target!]) {
      const error = thrown(() => make(context(env)));
      expect(error).toBeInstanceOf(CallError);
      expect((error as CallError).kind).toBe("credentials");
      expect((error as CallError).message).toMatch(new RegExp(`^banniu: ${name} is not set: `));
    }
  });

  it("treats a blank variable as missing", () => {
    const error = thrown(() => banniuConnector().source!(context({ ...CREDS, FERRY_BANNIU_ACCESS_TOKEN: "  " })));
    expect((error as CallError).message).toMatch(/FERRY_BANNIU_ACCESS_TOKEN is not set/);
  });

  it.each([
    ["not a URL", "open.bytenew.com"],
    ["another scheme", "ftp://open.bytenew.com"],
    ["with a query", "https://open.bytenew.com/?x=1"],
    ["with a password", "https://u:p@open.bytenew.com"],
  ])("refuses FERRY_BANNIU_URL %s", (_name, url) => {
    const error = thrown(() => banniuConnector().source!(context({ ...CREDS, FERRY_BANNIU_URL: url })));
    expect((error as CallError).kind).toBe("credentials");
    expect((error as CallError).message).toMatch(/FERRY_BANNIU_URL/);
  });

  it("defaults to the production gateway", async () => {
    const urls: string[] = [];
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      urls.push(String(input));
      return new Response(envelope({ code: 0, error_msg: null, map: { result: [] } }), { headers: { "content-type": "application/json" } });
    });
    try {
      await banniuConnector().source!(context({ ...CREDS })).read(listRequest({}));
    } finally {
      spy.mockRestore();
    }
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/^https:\/\/open\.bytenew\.com\/gateway\/api\/miniAPI\?/);
    // Spaces are sent as %20, which every server decodes (a `+` is read as a space only by form decoders).
    expect(urls[0]).toContain("timestamp=2025-01-15%2012%3A00%3A00");
  });
});

describe("secrets stay out of messages", () => {
  it("never quotes the token or the secret, even when the answer echoes them", async () => {
    const echo = await cannedServer((req) => {
      const url = req.url ?? "";
      return url.includes("task.update")
        ? { status: 500, body: `upstream failed for ${url} ${req.headers.authorization ?? ""} ${SECRET}` }
        : { body: envelope({ code: 40003, error_msg: `access_token无效: ${decodeURIComponent(url)} ${SECRET}` }) };
    });
    const messages: string[] = [];
    const collect = async (promise: Promise<unknown>) => messages.push((await failure(promise)).message);
    const { source, target } = connect(echo.url);
    await collect(source.read(listRequest({})));
    await collect(target.write(writeRequest([{ project_id: "1", task_id: 1, contents: {} }])));
    const { source: faulty, target: faultyTarget } = await rig({ faults: "banniu:reset@100%" });
    await collect(faulty.read(listRequest({})));
    await collect(faultyTarget.write(writeRequest([{ task_id: 1 }])));
    const { source: late } = await rig({ faults: "banniu:timeout@100%" });
    await collect(late.read(listRequest({}, { timeoutMs: 100 })));
    const { source: wrong } = connect((await rig()).url, { FERRY_BANNIU_APP_SECRET: "wrong-secret-value" });
    await collect(wrong.read(listRequest({})));
    expect(messages).toHaveLength(6);
    for (const message of messages) {
      expect(message).not.toContain(TOKEN);
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain("wrong-secret-value");
    }
    expect(messages[0]).toMatch(/access_token无效/);
  });
});

describe("sandbox data", () => {
  const make = (seed: number, records: number) => createBanniuSandbox({ seed, records, dice: new FaultDice([], seed), now: () => NOW });

  it("the same seed gives the same tasks and goods; another seed does not", () => {
    expect(make(3, 200).tasks()).toEqual(make(3, 200).tasks());
    expect(banniuGoods(3)).toEqual(banniuGoods(3));
    expect(make(4, 200).tasks()).not.toEqual(make(3, 200).tasks());
    expect(banniuGoods(4)).not.toEqual(banniuGoods(3));
  });

  it("holds plausible tasks of project 27912 created in the two days before now", () => {
    const tasks = make(1, 2000).tasks();
    const goods = new Set(banniuGoods(1).map((g) => g.content.goodsNo));
    expect(tasks).toHaveLength(2000);
    expect(tasks[0]?.id).toBe(8100001);
    // Collected and asserted once: thousands of expect calls would dominate the test's time.
    const problems: string[] = [];
    let unknownGoods = 0;
    let unknownStatus = 0;
    for (const [i, t] of tasks.entries()) {
      const c = t.columns;
      if (t.createdMs < NOW - 2 * DAY || t.createdMs >= NOW) problems.push(`${t.id}: created outside the two days`);
      if (i > 0 && t.createdMs < tasks[i - 1]!.createdMs) problems.push(`${t.id}: created before the task before it`);
      if (c["-1"] !== t.id || c["27955"] !== shanghai(t.createdMs)) problems.push(`${t.id}: id or created column wrong`);
      if (!/^\p{Script=Han}{2,3}$/u.test(String(c["27956"]))) problems.push(`${t.id}: customer ${String(c["27956"])}`);
      const goodsNo = String(c["27963"]);
      if (!goods.has(goodsNo)) {
        unknownGoods++;
        if (!/^G9\d{3}$/.test(goodsNo)) problems.push(`${t.id}: goods ${goodsNo}`);
      }
      const status = String(c["27970"]);
      if (!["0", "1", "2", "9"].includes(status)) problems.push(`${t.id}: status ${status}`);
      if (status === "9") unknownStatus++;
    }
    expect(problems).toEqual([]);
    expect(unknownGoods / tasks.length).toBeGreaterThan(0.03);
    expect(unknownGoods / tasks.length).toBeLessThan(0.07);
    expect(unknownStatus / tasks.length).toBeGreaterThan(0.015);
    expect(unknownStatus / tasks.length).toBeLessThan(0.045);
  });

  it("goods have distinct EAN-13 barcodes starting 690 or 692", () => {
    const goods = banniuGoods(1);
    expect(goods).toHaveLength(300);
    expect(goods[0]?.content.goodsNo).toBe("G1001");
    expect(goods.at(-1)?.content.goodsNo).toBe("G1300");
    expect(new Set(goods.map((g) => g.content.skuBarcode)).size).toBe(300);
    for (const { content } of goods) {
      expect(content.skuBarcode).toMatch(/^69[02]\d{10}$/);
      const d = [...content.skuBarcode].map(Number);
      const sum = d.slice(0, 12).reduce((s, x, i) => s + x * (i % 2 === 0 ? 1 : 3), 0);
      expect((10 - (sum % 10)) % 10).toBe(d[12]);
      expect(content.name).toMatch(/\p{Script=Han}/u);
    }
  });

  it("counts calls per method in stats", async () => {
    const { source, sandbox } = await rig({ records: 10 });
    await source.read(listRequest({ star_created: shanghai(NOW - DAY), end_created: shanghai(NOW) }));
    await failure(source.read(listRequest({ star_created: shanghai(NOW - 2 * DAY), end_created: shanghai(NOW) })));
    expect(sandbox.stats()).toEqual({ calls: { "task.list": 2 }, faults: {}, errors: { "40011": 1 }, tasks: 10, saves: 0 });
  });
});

describe("the seed flow against the sandbox", () => {
  it("writes barcode and status to every task whose goods are known, dead-letters the rest, and skips them all the second time", async () => {
    const clock = new FakeClock({ start: NOW, auto: true });
    const sandbox = createBanniuSandbox({ seed: 1, records: 60, dice: new FaultDice([], 1), now: () => clock.now() });
    const server = await serveSandboxes([sandbox]);
    closers.push(() => server.close());
    const dir = mkdtempSync(join(tmpdir(), "ferry-banniu-"));
    const store = SqliteStateStore.open(join(dir, "state.db"));
    closers.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const flow = flowOf(seedFlow("banniu"));
    const env = { ...CREDS, FERRY_BANNIU_URL: server.url };
    const ctx = { env, clock, flow: flow.spec };
    const goods = banniuGoods(1);
    const collections = new MemoryCollectionStore();
    collections.add("a97d423e-52f5-3d6f-9f94-39a9f43f2bd5", goods);
    const run = () =>
      runFlow({
        flow,
        store,
        source: banniuConnector().source!(ctx),
        target: banniuConnector().target!(ctx),
        calls: new Calls(clock, new RateLimits(clock), new CallMeter(), seeded(7)),
        collections,
        clock,
        env,
        from: shanghai(NOW - 3 * DAY),
      });

    const barcodes = new Map(goods.map((g) => [g.content.goodsNo, g.content.skuBarcode]));
    const known = sandbox.tasks().filter((t) => barcodes.has(String(t.columns["27963"])));
    const first = await run();
    expect(first).toMatchObject({ read: 60, written: known.length, deadLettered: 60 - known.length });
    const words: Record<string, string> = { "0": "未开始", "1": "进行中", "2": "已完成" };
    for (const t of known) {
      expect(sandbox.contents(t.id)).toEqual({ "101297": barcodes.get(String(t.columns["27963"])), "101300": words[String(t.columns["27970"])] ?? "未知状态" });
    }
    const second = await run();
    expect(second).toMatchObject({ read: 60, written: 0, unchanged: known.length });
    expect(sandbox.totalSaves()).toBe(known.length);
  });
});
