import { createServer, type Server } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builtinCatalogs, findConnector, findOperation } from "../../connectors/index.js";

const httpCatalog = findConnector("http")!;
import { quote } from "../../connectors/http/answer.js";
import { httpConnector, type HttpConnectorOptions } from "../../connectors/http/client.js";
import { parseRetryAfter } from "../../connectors/http/retry-after.js";
import { parseServerArgs } from "../../connectors/http/test-server-args.js";
import { startHttpTestServer, type CannedAnswer, type FaultName, type HttpTestServer, type HttpTestServerOptions } from "../../connectors/http/test-server.js";
import type { ConnectorContext, ReadRequest, SourceConnector, TargetConnector, WriteRequest } from "../../runtime/connector.js";
import { CallError, type FaultKind } from "../../runtime/faults.js";
import type { FlowSpec } from "../../runtime/types.js";

const NOW = Date.UTC(2025, 0, 1, 8, 0, 0);
const TOKEN = "tok-9f8e7d6c5b4a";

function context(env: Record<string, string | undefined>): ConnectorContext {
  // The connector only reads env and clock; the flow is not consulted.
  return { env, clock: { now: () => NOW, sleep: async () => undefined }, flow: {} as FlowSpec };
}

function connect(url: string, options: HttpConnectorOptions = {}): { source: SourceConnector; target: TargetConnector } {
  const factory = httpConnector(options);
  const ctx = context({ FERRY_HTTP_URL: url, FERRY_HTTP_TOKEN: TOKEN });
  return { source: factory.source!(ctx), target: factory.target!(ctx) };
}

function readRequest(over: Partial<ReadRequest> = {}): ReadRequest {
  return { operation: "/shops", params: { page: 1, size: 10 }, recordsPath: "data.items", totalPath: "data.total", cursorPath: null, timeoutMs: 5000, ...over };
}

function writeRequest(rows: readonly unknown[], over: Partial<WriteRequest> = {}): WriteRequest {
  return { operation: "/customers", form: null, options: {}, rows: rows.map((row, i) => ({ sourceId: String(i + 1), row })), key: "code", timeoutMs: 5000, ...over };
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

const ids = (records: readonly unknown[]) => records.map((r) => (r as { id: number }).id);

let server: HttpTestServer;
let source: SourceConnector;
let target: TargetConnector;
const extra: { close(): unknown }[] = [];

async function restart(options: HttpTestServerOptions = {}, connector: HttpConnectorOptions = {}): Promise<void> {
  await server?.close();
  server = await startHttpTestServer(options);
  ({ source, target } = connect(server.url, connector));
}

beforeEach(async () => {
  server = await startHttpTestServer({ records: 25, seed: 7 });
  ({ source, target } = connect(server.url));
});

afterEach(async () => {
  await server.close();
  for (const e of extra.splice(0)) await e.close();
});

describe("http catalog", () => {
  it("is one of the built-in systems", () => {
    expect(builtinCatalogs()).toContain(httpCatalog);
    expect(findConnector("http")).toBe(httpCatalog);
  });

  it.each([
    ["/shops", "read", "read", "/shops records"],
    ["/shops", undefined, "read", "/shops records"],
    ["/customers", "write", "write", "/customers rows"],
    ["/a/b-c", "write", "write", "/a/b-c rows"],
  ] as const)("resolves %s (%s) to the %s template", (name, direction, expected, title) => {
    const op = findOperation(httpCatalog, name, direction);
    expect(op).toMatchObject({ name, direction: expected, method: "POST" });
    expect(op?.record?.title).toBe(title);
    expect(op?.record?.openKeys?.type).toBe("any");
  });

  it("lets reads take any param and any response path, and writes batch up to 1000", () => {
    const read = findOperation(httpCatalog, "/x", "read")!;
    const write = findOperation(httpCatalog, "/x", "write")!;
    expect([read.anyParams, read.anyResponsePath, read.params]).toEqual([true, true, []]);
    expect([write.defaults?.batch, write.limits?.maxBatch]).toEqual([100, 1000]);
    expect(httpCatalog.defaults).toEqual({ retry: { attempts: 3, minMs: 200, maxMs: 5000 }, timeoutMs: 10_000 });
  });

  it.each(["shops", "", "customers/lookup"])("has no operation %j (names are paths)", (name) => {
    expect(findOperation(httpCatalog, name, "read")).toBeUndefined();
  });

  it("leaves connectors without templates alone", () => {
    expect(findOperation(findConnector("guanyi")!, "/shops", "read")).toBeUndefined();
  });
});

describe("configuration", () => {
  it.each([
    ["missing", undefined, "http: FERRY_HTTP_URL is not set: the base URL of the http connector"],
    ["empty", "  ", "http: FERRY_HTTP_URL is not set: the base URL of the http connector"],
    ["not a URL", "localhost:8080", "must start with http:// or https://"],
    ["garbage", "::", "FERRY_HTTP_URL is not a URL"],
    ["another scheme", "ftp://example.com", "must start with http:// or https://, not ftp://"],
    ["credentials in the URL", "http://user:pw-secret@example.com", "must not carry a user or password"],
    ["a query", "http://example.com/api?key=1", "must not have a query"],
  ])("refuses %s FERRY_HTTP_URL before any call, for source and target", (_, url, message) => {
    const factory = httpConnector();
    for (const make of [factory.source!, factory.target!]) {
      const error = thrown(() => make(context({ FERRY_HTTP_URL: url })));
      expect(error).toBeInstanceOf(CallError);
      expect((error as CallError).kind).toBe("credentials");
      expect((error as CallError).message).toContain(message);
      expect((error as CallError).message).not.toContain("pw-secret");
    }
  });

  it("is named http and joins a base path with the operation", async () => {
    expect(httpConnector().name).toBe("http");
    // The test server routes "/shops" only, so a doubled or missing slash would be a 404.
    const { source: prefixed } = connect(`${server.url}/`);
    expect((await prefixed.read(readRequest({ operation: "shops" }))).records).toHaveLength(10);
  });

  it("sends the token as a bearer token and keeps it out of every message, even when echoed", async () => {
    const seen: (string | undefined)[] = [];
    const echo = createServer((req, res) => {
      seen.push(req.headers.authorization);
      const isHtml = req.url === "/html";
      res.writeHead(isHtml ? 200 : 500, { "content-type": isHtml ? "text/html" : "text/plain" });
      res.end(`header was ${req.headers.authorization}`);
    });
    const url = await listen(echo);
    const { source: echoed } = connect(url);
    for (const operation of ["/html", "/error"]) {
      const error = await failure(echoed.read(readRequest({ operation })));
      expect(error.message).toContain("Bearer ***");
      expect(`${error.message} ${error.stack} ${String(error.cause)}`).not.toContain(TOKEN);
    }
    expect(seen).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });
});

describe("read", () => {
  it("pages by number with a total", async () => {
    const first = await source.read(readRequest());
    const last = await source.read(readRequest({ params: { page: 3, size: 10 } }));
    expect([ids(first.records), first.total, first.cursor]).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 25, null]);
    expect(ids(last.records)).toEqual([21, 22, 23, 24, 25]);
    expect(first.records[0]).toMatchObject({ id: 1, code: "SHOP000001", updated: "2024-01-01 00:00:00" });
  });

  it("pages by offset", async () => {
    const page = await source.read(readRequest({ operation: "/shops-offset", params: { offset: 20, size: 10 } }));
    expect(ids(page.records)).toEqual([21, 22, 23, 24, 25]);
  });

  it("pages by cursor until the cursor is null", async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const params: Record<string, string | number> = { size: 10, ...(cursor === null ? {} : { cursor }) };
      const page = await source.read(readRequest({ operation: "/shops-cursor", params, totalPath: null, cursorPath: "data.next" }));
      seen.push(...ids(page.records));
      cursor = page.cursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it("serves the same records for the same seed, and changed ones after update", async () => {
    const again = await startHttpTestServer({ records: 25, seed: 7 });
    extra.push(again);
    const a = await source.read(readRequest());
    const b = await connect(again.url).source.read(readRequest());
    expect(b.records).toEqual(a.records);
    expect(server.source.update([2, 4], { name: "改名店" })).toBe(2);
    const changed = await source.read(readRequest());
    expect(changed.records.filter((r) => (r as { name: string }).name === "改名店").map((r) => (r as { id: number }).id)).toEqual([2, 4]);
    server.source.setRecords([{ id: 9, code: "X", name: "唯一", updated: "2024-02-01 00:00:00" }]);
    expect((await source.read(readRequest())).records).toEqual([{ id: 9, code: "X", name: "唯一", updated: "2024-02-01 00:00:00" }]);
  });

  it("answers the same page forever with repeatPage", async () => {
    await restart({ records: 25, repeatPage: true });
    const one = await source.read(readRequest());
    const two = await source.read(readRequest({ params: { page: 2, size: 10 } }));
    expect(ids(two.records)).toEqual(ids(one.records));
  });

  it("reads a total or cursor that is absent or null as null", async () => {
    server.answerNext("/shops", { body: JSON.stringify({ data: { items: [], total: null } }) });
    expect(await source.read(readRequest({ cursorPath: "data.next" }))).toEqual({ records: [], total: null, cursor: null });
  });
});

describe("write and lookup", () => {
  it("answers per row, storing the valid rows and refusing the rest", async () => {
    const rows = [{ code: "A1", name: "甲" }, { code: "A2", name: "" }, { code: "A3", name: "丙" }, { name: "no code" }];
    const results = await target.write(writeRequest(rows));
    expect(results).toEqual([
      { ok: true, targetId: "C1" },
      { ok: false, reason: "name is required" },
      { ok: true, targetId: "C2" },
      { ok: false, reason: "code is required" },
    ]);
    expect([server.target.writes("A1"), server.target.writes("A2"), server.target.totalWrites()]).toEqual([1, 0, 2]);
    await target.write(writeRequest([{ code: "A1", name: "甲2" }]));
    expect([server.target.writes("A1"), server.target.row("A1")]).toEqual([2, { code: "A1", name: "甲2" }]);
  });

  it("makes no call for an empty batch or an empty lookup", async () => {
    expect(await target.write(writeRequest([]))).toEqual([]);
    expect(await target.lookup!({ operation: "/customers", form: null, key: "code", values: [], rows: [], fields: ["code", "name"], timeoutMs: 1000 })).toEqual([]);
    expect(server.requests()).toBe(0);
  });

  it("looks up stored rows by key or by another field", async () => {
    await target.write(writeRequest([{ code: "K1", name: "甲" }, { code: "K2", name: "乙" }]));
    const lookup = (key: string, values: string[]) => target.lookup!({ operation: "/customers", form: null, key, values, rows: [], fields: ["code", "name"], timeoutMs: 1000 });
    expect(await lookup("code", ["K2", "nope", "K1"])).toEqual([
      { key: "K2", targetId: "C2", row: { code: "K2", name: "乙" } },
      { key: "K1", targetId: "C1", row: { code: "K1", name: "甲" } },
    ]);
    expect(await lookup("name", ["乙"])).toEqual([{ key: "乙", targetId: "C2", row: { code: "K2", name: "乙" } }]);
    expect(server.requests("/customers/lookup")).toBe(2);
  });

  it("uses a configured key field and rule", async () => {
    await restart({ key: "id", validate: (row) => (row.id === 13 ? "unlucky" : null) });
    expect(await target.write(writeRequest([{ id: 12 }, { id: 13 }]))).toEqual([
      { ok: true, targetId: "C1" },
      { ok: false, reason: "unlucky" },
    ]);
    expect(server.target.writes("12")).toBe(1);
  });

  it("calls afterWrite with the stored keys once the answer is flushed, and onRequest for every request", async () => {
    const calls: [string, number][] = [];
    let flushed!: (keys: string[]) => void;
    const written = new Promise<string[]>((resolve) => (flushed = resolve));
    await restart({ onRequest: (path, n) => calls.push([path, n]), afterWrite: (keys) => flushed(keys) });
    await source.read(readRequest());
    await target.write(writeRequest([{ code: "H1", name: "甲" }, { code: "H2" }]));
    expect(await written).toEqual(["H1"]);
    expect(calls).toEqual([["/shops", 1], ["/customers", 1]]);
  });
});

describe("fault classification", () => {
  const operations = [
    ["read", (s: SourceConnector, _: TargetConnector, timeoutMs: number) => s.read(readRequest({ timeoutMs })), "/shops"],
    ["write", (_: SourceConnector, t: TargetConnector, timeoutMs: number) => t.write(writeRequest([{ code: "F1", name: "甲" }], { timeoutMs })), "/customers"],
    ["lookup", (_: SourceConnector, t: TargetConnector, timeoutMs: number) => t.lookup!({ operation: "/customers", form: null, key: "code", values: ["F1"], rows: [], fields: ["code", "name"], timeoutMs }), "/customers/lookup"],
  ] as const;
  const injected: [FaultName, FaultKind, string][] = [
    ["429", "throttled", "answered HTTP 429"],
    ["500", "server", "answered HTTP 500"],
    ["reset", "network", "(127.0.0.1:"],
    ["html", "malformed", 'answer is an HTML page, not JSON (text/html, starts "<html><body>Bad gateway'],
    ["truncated", "malformed", "answer is truncated JSON (application/json"],
    ["timeout", "timeout", "no answer within 50 ms"],
  ];
  const cases = operations.flatMap(([name, run, path]) => injected.map(([fault, kind, text]) => [name, fault, kind, text, run, path] as const));

  it.each(cases)("%s with an injected %s fault is %s", async (_, fault, kind, text, run, path) => {
    server.failNext(path, fault);
    const error = await failure(run(source, target, fault === "timeout" ? 50 : 5000));
    expect(error.kind).toBe(kind);
    expect(error.call).toBe(`http ${path}`);
    expect(error.message).toContain(`${path}: `);
    expect(error.message).toContain(text);
    expect(error.message).not.toContain(TOKEN);
    expect(error.retryAfterMs).toBe(fault === "429" ? 1000 : undefined);
    expect(server.target.totalWrites()).toBe(0); // faults never change the target
    expect(server.faults()).toEqual([{ path, count: 1, kind: fault, why: "scripted" }]);
  });

  it("is network when the connection is refused", async () => {
    const { port, url } = server;
    await server.close();
    const error = await failure(source.read(readRequest()));
    expect([error.kind, error.message]).toEqual(["network", `http /shops: connection refused (127.0.0.1:${port}, ECONNREFUSED)`]);
    server = await startHttpTestServer(); // for afterEach
    expect(url).toContain(String(port));
  });

  const json = (body: unknown, status = 200, headers: Record<string, string> = {}): CannedAnswer => ({ status, headers, body: JSON.stringify(body) });
  const canned: [string, CannedAnswer, FaultKind, string, number | undefined][] = [
    ["503 with Retry-After seconds", json({ error: "busy" }, 503, { "retry-after": "7" }), "server", 'answered HTTP 503 Service Unavailable ("{"error":"busy"}")', 7000],
    ["503 with a Retry-After date", json({}, 503, { "retry-after": new Date(NOW + 30_000).toUTCString() }), "server", "503", 30_000],
    ["429 without Retry-After", json({}, 429), "throttled", "429", undefined],
    ["429 asking for a day", json({}, 429, { "retry-after": "86400" }), "throttled", "429", 86_400_000],
    ["502", { status: 502, body: "<html>proxy</html>" }, "server", '502 Bad Gateway ("<html>proxy</html>")', undefined],
    ["401", json({ error: "who are you" }, 401), "credentials", "check FERRY_HTTP_TOKEN", undefined],
    ["403", json({}, 403), "credentials", "403 Forbidden", undefined],
    ["400", json({ error: "size must be positive" }, 400), "rejected", 'answered HTTP 400 Bad Request ("{"error":"size must be positive"}")', undefined],
    ["404", json({}, 404), "rejected", "404 Not Found", undefined],
    ["a redirect", { status: 302, headers: { location: "https://elsewhere.example/shops" }, body: "" }, "rejected", 'a redirect to "https://elsewhere.example/shops": set FERRY_HTTP_URL', undefined],
    ["no records", json({ data: {} }), "malformed", "http /shops: answer has no array at data.items", undefined],
    ["records not an array", json({ data: { items: "x" } }), "malformed", "answer has no array at data.items (found a string)", undefined],
    ["a negative total", json({ data: { items: [], total: -1 } }), "malformed", "answer has -1 at data.total, not a count", undefined],
    ["a fractional total", json({ data: { items: [], total: 1.5 } }), "malformed", "answer has 1.5 at data.total", undefined],
    ["a total in a string", json({ data: { items: [], total: "12" } }), "malformed", "answer has a string at data.total", undefined],
    ["an empty body", { body: "" }, "malformed", "answer is empty, not JSON", undefined],
    ["JSON without a content type", { headers: { "content-type": "" }, body: "nope" }, "malformed", 'answer is not JSON (no content type, starts "nope")', undefined],
    ["a chunked body cut short", { body: ['{"data":{"items":[', "1,2"] }, "malformed", "answer is truncated JSON", undefined],
  ];

  it.each(canned)("read answered with %s is %s", async (_, answer, kind, text, retryAfterMs) => {
    server.answerNext("/shops", answer);
    const error = await failure(source.read(readRequest()));
    expect(error.kind).toBe(kind);
    expect(error.message).toContain(text);
    expect(error.retryAfterMs).toBe(retryAfterMs);
  });

  it("is malformed for a cursor that is not a string", async () => {
    server.answerNext("/shops-cursor", json({ data: { items: [1], next: 5 } }));
    const error = await failure(source.read(readRequest({ operation: "/shops-cursor", totalPath: null, cursorPath: "data.next" })));
    expect([error.kind, error.message]).toEqual(["malformed", "http /shops-cursor: answer has a number at data.next, not a cursor (a string or null)"]);
  });

  it.each([
    ["too few results", { results: [{ ok: true, id: "1" }] }, "answer has 1 results for 2 rows"],
    ["too many results", { results: [{ ok: true }, { ok: true }, { ok: true }] }, "answer has 3 results for 2 rows"],
    ["no results", { done: true }, "answer has no array at results"],
    ["a result without ok", { results: [{ ok: true }, { status: "fine" }] }, "result 2 has nothing at ok, not true or false"],
    ["a result that is not an object", { results: [null, { ok: true }] }, "result 1 is null, not {\"ok\": true|false}"],
    ["an id that is an object", { results: [{ ok: true, id: {} }, { ok: true }] }, "result 1 id is an object, not a string or number"],
  ])("write answered with %s is malformed", async (_, body, text) => {
    server.answerNext("/customers", json(body));
    const error = await failure(target.write(writeRequest([{ code: "1", name: "a" }, { code: "2", name: "b" }])));
    expect([error.kind, error.message]).toEqual(["malformed", `http /customers: ${text}`]);
  });

  it("keeps numeric ids and a refusal without a reason", async () => {
    server.answerNext("/customers", json({ results: [{ ok: true, id: 42 }, { ok: false }] }));
    expect(await target.write(writeRequest([{}, {}]))).toEqual([
      { ok: true, targetId: "42" },
      { ok: false, reason: "refused without a reason" },
    ]);
  });

  it.each([
    ["no rows", { found: [] }, "answer has no array at rows"],
    ["a row without key", { rows: [{ id: "1" }] }, "row 1 has no key"],
  ])("lookup answered with %s is malformed", async (_, body, text) => {
    server.answerNext("/customers/lookup", json(body));
    const error = await failure(target.lookup!({ operation: "/customers", form: null, key: "code", values: ["1"], rows: [], fields: ["code", "name"], timeoutMs: 1000 }));
    expect([error.kind, error.message]).toEqual(["malformed", `http /customers/lookup: ${text}`]);
  });

  it("quotes odd answers short and without control characters", async () => {
    server.answerNext("/shops", { headers: { "content-type": "text/plain" }, body: `\u001b[31mERROR\u0007\r\n${"x".repeat(200)}` });
    const error = await failure(source.read(readRequest()));
    expect(error.message).toBe(`http /shops: answer is not JSON (text/plain, starts "[31mERROR ${"x".repeat(50)}…")`);
  });

  it("refuses answers over the size limit, declared or streamed, without buffering them", async () => {
    await restart({ records: 100 }, { maxResponseBytes: 500 });
    const declared = await failure(source.read(readRequest({ params: { page: 1, size: 100 } })));
    expect([declared.kind, declared.message]).toEqual(["malformed", expect.stringContaining("answer is larger than 500 bytes (") as unknown]);
    server.answerNext("/shops", { body: Array.from({ length: 20 }, () => "x".repeat(100)) });
    const streamed = await failure(source.read(readRequest()));
    expect(streamed.message).toContain("answer is larger than 500 bytes (more than 500 bytes sent)");
  });

  it("refuses a row that cannot be sent as JSON, without calling", async () => {
    const cycle: Record<string, unknown> = { code: "B" };
    cycle.self = cycle;
    const error = await failure(target.write(writeRequest([cycle])));
    expect([error.kind, error.message]).toEqual(["rejected", expect.stringContaining("http /customers: the request cannot be sent as JSON: ") as unknown]);
    expect(server.requests()).toBe(0);
  });

  it("rethrows the caller's abort instead of classifying it", async () => {
    const controller = new AbortController();
    const reason = new Error("run stopped");
    server.failNext("/shops", "timeout");
    const pending = source.read(readRequest({ signal: controller.signal }));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe("fault injection", () => {
  const plan = { rate: 0.4, kinds: ["429", "500", "html", "truncated", "reset"] as FaultName[] };

  /** Sends `n` reads and returns what each ended in. */
  async function outcomes(s: SourceConnector, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(await s.read(readRequest()).then(() => "ok", (e: unknown) => (e instanceof CallError ? e.kind : String(e))));
    }
    return out;
  }

  it("is reproducible for the same seed and differs for another", async () => {
    const runs = [];
    for (const seed of [11, 11, 12]) {
      await restart({ records: 25, faults: { ...plan, seed } });
      runs.push({ outcomes: await outcomes(source, 40), faults: server.faults() });
    }
    const [a, b, c] = runs;
    expect(b).toEqual(a);
    expect(c?.outcomes).not.toEqual(a?.outcomes);
    const kinds = new Set(a?.faults.map((f) => f.kind));
    expect(a?.faults.length).toBeGreaterThan(8);
    expect(a?.faults.length).toBeLessThan(32);
    expect(kinds.size).toBeGreaterThanOrEqual(4);
  });

  it("touches only the listed paths", async () => {
    await restart({ faults: { rate: 1, kinds: ["500"], seed: 1, paths: ["/customers"] } });
    await source.read(readRequest());
    expect((await failure(target.write(writeRequest([{ code: "a", name: "b" }])))).kind).toBe("server");
  });

  it("enforces a per-path rate limit with 429 and Retry-After", async () => {
    await restart({ limits: { "/shops": { perSecond: 3 } } });
    for (let i = 0; i < 3; i++) await source.read(readRequest());
    const error = await failure(source.read(readRequest()));
    expect([error.kind, error.retryAfterMs]).toEqual(["throttled", 1000]);
    await source.read(readRequest({ operation: "/shops-offset", params: { offset: 0 } }));
    expect(server.faults()).toEqual([{ path: "/shops", count: 4, kind: "429", why: "limit" }]);
  });

  it("closes held requests on close", async () => {
    server.failNext("/shops", "timeout");
    const pending = failure(source.read(readRequest({ timeoutMs: 10_000 })));
    await waitFor(() => server.requests("/shops") === 1);
    await server.close();
    expect((await pending).kind).toBe("network");
    server = await startHttpTestServer();
  });
});

describe("Retry-After", () => {
  it.each([
    ["1", 1000],
    ["0", 0],
    [" 120 ", 120_000],
    ["100000", 100_000_000],
    ["9".repeat(400), Number.MAX_SAFE_INTEGER],
    [new Date(NOW + 30_000).toUTCString(), 30_000],
    ["Wed, 01 Jan 2025 08:00:45 GMT", 45_000],
    [new Date(NOW - 5_000).toUTCString(), 0],
    [new Date(NOW + 86_400_000).toUTCString(), 86_400_000],
    ["soon", undefined],
    ["1.5", undefined],
    ["-3", undefined],
    ["", undefined],
    [null, undefined],
  ] as const)("%j waits %s ms", (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });
});

describe("quote", () => {
  it.each([
    ["short", "short"],
    ["a\u0000b\u202ec\n\td", "a b c d"],
    ["字".repeat(61), `${"字".repeat(60)}…`],
    ["😀".repeat(61), `${"😀".repeat(60)}…`],
  ])("quotes %j as %j", (text, quoted) => {
    expect(quote(text)).toBe(quoted);
  });
});

describe("test server command line", () => {
  it.each([
    [[], { records: 1000, seed: 1, port: 0 }],
    [["--records", "5", "--seed", "3", "--port", "8123"], { records: 5, seed: 3, port: 8123 }],
    [
      ["--fault-rate", "0.1", "--fault-kinds", "429,reset", "--fault-seed", "9", "--limit", "/shops=20", "--limit", "/customers=5"],
      { records: 1000, seed: 1, port: 0, faults: { rate: 0.1, kinds: ["429", "reset"], seed: 9 }, limits: { "/shops": { perSecond: 20 }, "/customers": { perSecond: 5 } } },
    ],
  ])("parses %j", (argv, options) => {
    expect(parseServerArgs(argv)).toEqual(options);
  });

  it.each([
    [["--records", "many"], "--records takes a whole number"],
    [["--fault-rate", "2"], "--fault-rate takes a number from 0 to 1"],
    [["--fault-rate", "0.1", "--fault-kinds", "429,boom"], "unknown boom"],
    [["--limit", "shops"], "--limit takes PATH=PER_SECOND"],
  ])("refuses %j", (argv, message) => {
    expect(() => parseServerArgs(argv)).toThrow(message);
  });
});

/** Polls a condition the server reaches on its own; bounded, and no fixed sleep. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

async function listen(s: Server): Promise<string> {
  extra.push({ close: () => new Promise((resolve) => s.close(resolve)) });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const address = s.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}
