/**
 * `ferry serve`: the console's HTTP server on node:http. It listens, checks every request (Host,
 * token, CSRF), routes it to a handler and writes the answer with the security headers and the
 * final secret mask. Handlers only read the store (and replay); they never see the raw response.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { writeJson } from "../runtime/json.js";
import { SqliteStateStore } from "../runtime/state/sqlite.js";
import { flowSpecs } from "./flow-specs.js";
import { html, page } from "./html.js";
import { ConsoleQueries } from "./queries.js";
import { replayInProcess, type ReplayFn } from "./replay.js";
import { Outcomes, type ConsoleContext, type Handler, type Reply } from "./routes/context.js";
import { deadLettersPage, replayPost } from "./routes/dead-letters.js";
import { flowPage } from "./routes/flow.js";
import { metricsRoute } from "./routes/metrics.js";
import { notFound } from "./routes/not-found.js";
import { overviewPage } from "./routes/overview.js";
import { qualityPage } from "./routes/quality.js";
import { flowsApi, runApi, runPage } from "./routes/run.js";
import { usagePage } from "./routes/usage.js";
import {
  authenticate,
  contentSecurityPolicy,
  hostOfHeader,
  isLoopbackHost,
  Masker,
  newCsrfToken,
  newNonce,
  requestUrl,
  requireTokenOffLoopback,
  safeEqual,
  sameHostLocation,
  ServeUsageError,
  sessionCookie,
} from "./security.js";
import { describeListenError } from "../connectors/http/listen-error.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Address to bind. Anything but loopback needs `token`. */
  readonly host: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** When set, every request must carry it (Bearer header, or the cookie `?token=` sets). */
  readonly token?: string;
  /** The state the console shows; it reads `store.database` and never closes it. */
  readonly store: SqliteStateStore;
  /** Where `mappings/` is, for replays and flow specs. */
  readonly cwd: string;
  /** The environment: connector settings for replays, and the secrets to mask. */
  readonly env: Env;
  /** Replaces the in-process replay (default: `ferry replay <flow>` in this process). */
  readonly onReplay?: ReplayFn;
  /** The clock of "stale", "3 min ago" and the usage hours (default `Date.now`). */
  readonly now?: () => number;
  /** A flow whose newest run started longer ago than this is stale (default 24 h). */
  readonly staleAfterMs?: number;
  /** Where unexpected errors are reported (masked); default nowhere. */
  readonly log?: (line: string) => void;
}

/** A running console. */
export interface ConsoleServer {
  /** `http://host:port/`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
/** Forms hold a CSRF token and nothing large: a bigger body is not one of ours. */
const MAX_FORM_BYTES = 16 * 1024;

interface Route {
  readonly method: "GET" | "POST";
  readonly segments: readonly string[];
  readonly handler: Handler;
}

const ROUTES: readonly Route[] = [
  { method: "GET", segments: [], handler: overviewPage },
  { method: "GET", segments: ["flows", ":flow"], handler: flowPage },
  { method: "GET", segments: ["flows", ":flow", "dead-letters"], handler: deadLettersPage },
  { method: "POST", segments: ["flows", ":flow", "replay"], handler: replayPost },
  { method: "GET", segments: ["runs", ":id"], handler: runPage },
  { method: "GET", segments: ["api", "runs", ":id"], handler: runApi },
  { method: "GET", segments: ["api", "flows"], handler: flowsApi },
  { method: "GET", segments: ["usage"], handler: usagePage },
  { method: "GET", segments: ["quality"], handler: qualityPage },
  { method: "GET", segments: ["metrics"], handler: metricsRoute },
];

/** The routes whose pattern matches `parts`, with their parameters. */
function match(parts: readonly string[]): { route: Route; params: Record<string, string> }[] {
  const found: { route: Route; params: Record<string, string> }[] = [];
  for (const route of ROUTES) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = route.segments.every((s, i) => {
      if (s.startsWith(":")) {
        params[s.slice(1)] = parts[i]!;
        return true;
      }
      return s === parts[i];
    });
    if (ok) found.push({ route, params });
  }
  return found;
}

/** The decoded segments of a path; undefined when one is not valid percent-encoding. */
function segmentsOf(pathname: string): string[] | undefined {
  try {
    return pathname.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Whether a POST's Origin is this console's own. Browsers send `null` for forms of a page with
 * `Referrer-Policy: no-referrer` (ours), and old clients send none: then the CSRF token decides alone.
 */
function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || origin === "null") return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
}

/** A listen failure as one line for the user (port taken, address not ours). */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const message = describeListenError(error, host, port);
  return message === undefined ? error : new ServeUsageError(message);
}

/** Starts the console; refuses (ServeUsageError) to bind anything but loopback without a token. */
export async function startServer(options: ServerOptions): Promise<ConsoleServer> {
  const token = options.token === "" ? undefined : options.token;
  requireTokenOffLoopback(options.host, token);
  const loopback = isLoopbackHost(options.host);
  const mask = new Masker(options.env);
  const ctx: ConsoleContext = {
    queries: new ConsoleQueries(options.store.database, mask),
    mask,
    now: options.now ?? Date.now,
    staleAfterMs: options.staleAfterMs ?? DAY_MS,
    csrf: newCsrfToken(),
    replay: options.onReplay ?? ((flow) => replayInProcess(flow, options.store, options.cwd, options.env)),
    outcomes: new Outcomes(),
    replaying: new Set(),
    specs: flowSpecs(options.cwd, options.env),
  };
  const log = (line: string) => options.log?.(mask.text(line));

  /** Writes an answer with the headers every answer carries; the body passes the final mask. */
  function send(req: IncomingMessage, res: ServerResponse, reply: Reply, nonce: string, extra: Record<string, string> = {}): void {
    const headers: Record<string, string> = {
      "content-security-policy": contentSecurityPolicy(reply.kind === "html" ? nonce : undefined),
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-resource-policy": "same-origin",
      // Pages show payloads: no cache, shared or private, should keep them.
      "cache-control": "no-store",
      ...extra,
    };
    if (reply.kind === "redirect") {
      res.writeHead(303, { ...headers, location: reply.location, "content-length": "0" });
      res.end();
      return;
    }
    const [type, text] =
      reply.kind === "html"
        ? ["text/html; charset=utf-8", reply.body]
        : reply.kind === "json"
          ? ["application/json; charset=utf-8", writeJson(reply.body) ?? "null"]
          : [reply.contentType ?? "text/plain; charset=utf-8", reply.body];
    const body = Buffer.from(mask.body(text), "utf8");
    res.writeHead(reply.status ?? 200, { ...headers, "content-type": type, "content-length": String(body.byteLength) });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  const plain = (status: number, body: string): Reply => ({ kind: "text", status, body: `${body}\n` });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const nonce = newNonce();
    const url = requestUrl(req.url);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends Host: evil.example.
    if (loopback && !isLoopbackHost(hostOfHeader(req.headers.host))) {
      return send(req, res, plain(403, "403 Forbidden: this console answers only requests to a loopback host (127.0.0.1, localhost)"), nonce);
    }
    const auth = authenticate(token, { authorization: req.headers.authorization, cookie: req.headers.cookie, queryToken: url.searchParams.get("token") });
    if (auth === "denied") {
      return send(req, res, plain(401, "401 Unauthorized: this console needs its token; open it once with ?token=<FERRY_SERVE_TOKEN>, or send Authorization: Bearer <token>"), nonce, {
        "www-authenticate": 'Bearer realm="ferry"',
      });
    }
    if (auth === "query" && token !== undefined && (req.method === "GET" || req.method === "HEAD")) {
      // Trade the token in the address for a cookie at once, so it leaves the address bar and history.
      url.searchParams.delete("token");
      return send(req, res, { kind: "redirect", location: sameHostLocation(url.pathname, url.search) }, nonce, { "set-cookie": sessionCookie(token) });
    }

    const parts = segmentsOf(url.pathname);
    if (parts === undefined) return send(req, res, plain(400, "400 Bad Request: the path is not valid percent-encoding"), nonce);
    if (parts.length === 1 && parts[0] === "healthz") {
      return ctx.queries.healthy() ? send(req, res, plain(200, "ok"), nonce) : send(req, res, plain(503, "the state store does not answer"), nonce);
    }
    if (parts.length === 1 && parts[0] === "favicon.ico") {
      res.writeHead(204, { "cache-control": "max-age=86400" }).end();
      return;
    }
    const matches = match(parts);
    const method = req.method === "HEAD" ? "GET" : req.method;
    const hit = matches.find((m) => m.route.method === method);
    if (!hit) {
      if (matches.length === 0) return send(req, res, notFound(`There is no page at ${url.pathname}.`), nonce);
      const allow = [...new Set(matches.map((m) => m.route.method))].join(", ");
      return send(req, res, plain(405, `405 Method Not Allowed: use ${allow}`), nonce, { allow });
    }

    let form = new URLSearchParams();
    if (hit.route.method === "POST") {
      // A cross-site form post names its own origin; ours name this console (when browsers send Origin).
      if (!sameOrigin(req.headers.origin, req.headers.host)) {
        return send(req, res, plain(403, "403 Forbidden: the form was posted from another site"), nonce);
      }
      const text = await readBody(req, MAX_FORM_BYTES);
      if (text === undefined) return send(req, res, plain(413, "413 Payload Too Large"), nonce);
      form = new URLSearchParams(text);
      const csrf = form.get("csrf");
      if (csrf === null || !safeEqual(csrf, ctx.csrf)) {
        return send(req, res, plain(403, "403 Forbidden: the form's CSRF token is missing or stale; reload the page and try again"), nonce);
      }
    }
    const reply = await hit.route.handler(ctx, { params: hit.params, query: url.searchParams, form, nonce });
    send(req, res, reply, nonce);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`ferry serve: ${req.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = page({ title: "Error", section: "flows", body: html`<h1>Something went wrong</h1><p>The console could not answer this request; the error is in its log.</p>` });
      send(req, res, { kind: "html", status: 500, body }, newNonce());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, options.host, options.port)));
    server.listen(options.port, options.host, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
  server.on("error", (error) => log(`ferry serve: ${error.message}`));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  return {
    url: urlOf(options.host, port),
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Browsers keep connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}
