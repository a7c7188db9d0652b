/**
 * A real HTTP server on loopback that plays both an http source and an http target, with seeded
 * fault injection, rate limits and hooks, so the runtime can be driven end to end (tests, the crash
 * test, the benchmark) before real systems are wired. It observes time but never sleeps: a `timeout`
 * fault holds the request until the client gives up.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readJson, writeJson } from "../../runtime/json.js";
import { hashUnit } from "./test-records.js";
import { TestSource, type PagingShape, type RouteAnswer, type TestSourceControl } from "./test-source.js";
import { requireName, TestTarget, type RowRule, type TestTargetControl } from "./test-target.js";
import { HeldSockets } from "./held-sockets.js";
import { answerWireFault, isWireFault, sendText } from "./wire-faults.js";

export type { ShopRecord } from "./test-records.js";
export type { RowRule, TestTargetControl } from "./test-target.js";
export type { TestSourceControl } from "./test-source.js";

/** Faults the server can inject. None of them changes the target's state. */
export type FaultName = "429" | "500" | "timeout" | "reset" | "html" | "truncated";

/** Random faults: each request on `paths` fails with probability `rate`, as decided by `seed`. */
export interface FaultPlan {
  readonly rate: number;
  readonly kinds: readonly FaultName[];
  readonly seed: number;
  /** Paths faults apply to; default every path. */
  readonly paths?: readonly string[];
}

/** A hand-written answer for tests of odd answers (bad totals, wrong result counts, chunked bodies). */
export interface CannedAnswer {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent whole; an array is sent chunk by chunk without a content-length. */
  readonly body: string | readonly string[];
}

export interface HttpTestServerOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** Records the source serves (default 100), generated from `seed` (default 1). */
  readonly records?: number;
  readonly seed?: number;
  /** Page-number paging path (default "/shops"); `${sourcePath}-cursor` and `${sourcePath}-offset` page the other ways. */
  readonly sourcePath?: string;
  /** Write path (default "/customers"); `${targetPath}/lookup` answers lookups. */
  readonly targetPath?: string;
  /** Row field the target stores rows by (default "code"). */
  readonly key?: string;
  /** Per-row validation (default: `name` missing or empty is refused with "name is required"). */
  readonly validate?: RowRule;
  /** Largest page size accepted (default 1000). */
  readonly maxPageSize?: number;
  /** Answer the first page whatever is asked, forever: for the repeated-page guard. */
  readonly repeatPage?: boolean;
  readonly faults?: FaultPlan;
  /** Requests per path over any 1-second span; more are answered 429 with Retry-After: 1. */
  readonly limits?: Readonly<Record<string, { readonly perSecond: number }>>;
  /** Called for every request, before anything else, with its 1-based number on that path. */
  readonly onRequest?: (path: string, count: number) => void;
  /** Called once a write's answer has been handed to the socket, with the keys that write stored. */
  readonly afterWrite?: (keys: string[]) => void;
}

/** An injected fault, for checking that a seed reproduces the same faults. */
export interface InjectedFault {
  readonly path: string;
  /** The request's 1-based number on its path. */
  readonly count: number;
  readonly kind: FaultName;
  readonly why: "scripted" | "random" | "limit";
}

export interface HttpTestServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly source: TestSourceControl;
  readonly target: TestTargetControl;
  /** The next `count` requests on `path` fail with `kind`, before any random fault. */
  failNext(path: string, kind: FaultName, count?: number): void;
  /** The next `count` requests on `path` get `answer` instead of the real one. */
  answerNext(path: string, answer: CannedAnswer, count?: number): void;
  /** Requests seen on `path`, or on all paths when none is given. */
  requests(path?: string): number;
  /** Faults injected so far, in the order they were decided. */
  faults(): readonly InjectedFault[];
  /** Stops listening and closes every connection, held ones included. */
  close(): Promise<void>;
}

type Scripted = { readonly fault: FaultName } | { readonly canned: CannedAnswer };

/** Request bodies above this are refused: the server is for tests, not for storing files. */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
const HTML_PAGE = "<html><body>Bad gateway: injected fault</body></html>";

/** Starts the server; resolves once it listens. */
export async function startHttpTestServer(options: HttpTestServerOptions = {}): Promise<HttpTestServer> {
  const sourcePath = options.sourcePath ?? "/shops";
  const targetPath = options.targetPath ?? "/customers";
  const source = new TestSource(options.records ?? 100, options.seed ?? 1, options.maxPageSize ?? 1000, options.repeatPage ?? false);
  const target = new TestTarget(options.key ?? "code", options.validate ?? requireName);
  const sourceShapes = new Map<string, PagingShape>([
    [sourcePath, "number"],
    [`${sourcePath}-cursor`, "cursor"],
    [`${sourcePath}-offset`, "offset"],
  ]);
  const counts = new Map<string, number>();
  const scripts = new Map<string, Scripted[]>();
  const windows = new Map<string, number[]>();
  const injected: InjectedFault[] = [];
  const held = new HeldSockets();

  /** What, if anything, replaces the real answer of request `count` on `path`. */
  function decide(path: string, count: number): Scripted | undefined {
    const next = scripts.get(path)?.shift();
    if (next) {
      if ("fault" in next) injected.push({ path, count, kind: next.fault, why: "scripted" });
      return next;
    }
    const limit = options.limits?.[path];
    if (limit) {
      const now = Date.now();
      const recent = (windows.get(path) ?? []).filter((t) => t > now - 1000);
      windows.set(path, recent);
      if (recent.length >= limit.perSecond) {
        injected.push({ path, count, kind: "429", why: "limit" });
        return { fault: "429" };
      }
      recent.push(now);
    }
    const plan = options.faults;
    if (plan && plan.kinds.length > 0 && (plan.paths === undefined || plan.paths.includes(path))) {
      if (hashUnit(`${plan.seed}:${path}:${count}:fail`) < plan.rate) {
        const kind = plan.kinds[Math.floor(hashUnit(`${plan.seed}:${path}:${count}:kind`) * plan.kinds.length)] ?? "500";
        injected.push({ path, count, kind, why: "random" });
        return { fault: kind };
      }
    }
    return undefined;
  }

  /** The real answer; only target writes change state, and only here. */
  function route(path: string, body: unknown, res: ServerResponse): void {
    const shape = sourceShapes.get(path);
    if (shape) return sendJson(res, answerOf(() => source.answer(shape, body as Record<string, unknown>), body));
    if (path === `${targetPath}/lookup`) return sendJson(res, target.lookup(body));
    if (path === targetPath) {
      const answer = target.write(body);
      const hook = options.afterWrite;
      return sendJson(res, answer, hook && answer.status === 200 ? () => hook([...answer.stored]) : undefined);
    }
    sendJson(res, { status: 404, body: { error: `no route ${path}` } });
  }

  function inject(fault: FaultName, path: string, res: ServerResponse): void {
    if (isWireFault(fault)) {
      return answerWireFault(fault, res, held, {
        html: HTML_PAGE,
        jsonType: "application/json; charset=utf-8",
        truncated: () => (sourceShapes.has(path) ? '{"data":{"items":[{"id":1,"code":"SHOP000001","name":"杭州' : '{"results":[{"ok":true,"id":"C1"},{"ok":tr'),
      });
    }
    switch (fault) {
      case "429":
        return sendJson(res, { status: 429, body: { error: "too many requests" } }, undefined, { "retry-after": "1" });
      case "500":
        return sendJson(res, { status: 500, body: { error: "internal error (injected)" } });
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    options.onRequest?.(path, count);
    if (req.method !== "POST") return sendJson(res, { status: 405, body: { error: "only POST" } }, undefined, { allow: "POST" });
    readRequest(req).then(
      (body) => {
        const scripted = decide(path, count);
        if (scripted && "fault" in scripted) return inject(scripted.fault, path, res);
        if (scripted) return sendCanned(res, scripted.canned);
        if (body === undefined) return sendJson(res, { status: 400, body: { error: "the request body is not JSON" } });
        route(path, body, res);
      },
      () => sendJson(res, { status: 413, body: { error: `request bodies are limited to ${MAX_REQUEST_BYTES} bytes` } }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const enqueue = (path: string, item: Scripted, times: number) => {
    const list = scripts.get(path) ?? [];
    for (let i = 0; i < times; i++) list.push(item);
    scripts.set(path, list);
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    source,
    target,
    failNext: (path, kind, times = 1) => enqueue(path, { fault: kind }, times),
    answerNext: (path, canned, times = 1) => enqueue(path, { canned }, times),
    requests: (path) => (path === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : (counts.get(path) ?? 0)),
    faults: () => [...injected],
    close: () =>
      new Promise<void>((resolve, reject) => {
        held.release();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A source answer, or 400 when the request body is not an object. */
function answerOf(answer: () => RouteAnswer, body: unknown): RouteAnswer {
  return body !== null && typeof body === "object" && !Array.isArray(body) ? answer() : { status: 400, body: { error: "the request body must be a JSON object" } };
}

/** The parsed request body, integers kept whole; undefined when it is not JSON; rejects when it is too large. */
async function readRequest(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_REQUEST_BYTES) throw new Error("request too large");
    chunks.push(chunk);
  }
  try {
    return readJson(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, answer: RouteAnswer, flushed?: () => void, headers: Record<string, string> = {}): void {
  sendText(res, answer.status, "application/json; charset=utf-8", writeJson(answer.body) ?? "null", { headers, flushed });
}

function sendCanned(res: ServerResponse, canned: CannedAnswer): void {
  const headers = { "content-type": "application/json; charset=utf-8", ...canned.headers };
  if (typeof canned.body === "string") {
    res.writeHead(canned.status ?? 200, { ...headers, "content-length": Buffer.byteLength(canned.body) });
    res.end(canned.body);
    return;
  }
  res.writeHead(canned.status ?? 200, headers);
  for (const chunk of canned.body) res.write(chunk);
  res.end();
}
