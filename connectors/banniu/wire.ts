/**
 * One exchange with Banniu's gateway and the classification of every transport failure. It exists
 * beside connectors/http/wire.ts because that one only POSTs JSON, while Banniu lists with GET and
 * signs the query string; the quoting, redaction and Retry-After helpers are shared.
 */
import { CallError, type FaultKind } from "../../runtime/faults.js";
import { kindOf, quote } from "../http/answer.js";
import { parseRetryAfter } from "../http/retry-after.js";
import { redact } from "../http/wire.js";

/** Where and how to call, fixed for a connector's life. */
export interface BanniuWire {
  /** `…/gateway/api/miniAPI`, without a query. */
  readonly gateway: string;
  /** Kept out of every message (the token rides in the query, so any echo of the URL would leak it). */
  readonly secrets: readonly string[];
  /** Answers larger than this are refused as malformed instead of being buffered. */
  readonly maxResponseBytes: number;
  /** Milliseconds since the epoch, for Retry-After dates. */
  readonly now: () => number;
}

export interface BanniuExchange {
  /** `banniu task.list` — the CallError's `call`. */
  readonly call: string;
  readonly method: "GET" | "POST";
  /** The signed query string, already encoded. */
  readonly query: string;
  /** Sent as `Authorization: Bearer …` (POST calls). */
  readonly bearer?: string | undefined;
  /** JSON body (POST calls). */
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** How much of an error answer is read for the message. */
const ERROR_BODY_BYTES = 4096;

/** Socket-level failures (undici and libuv codes) that mean "the connection broke": worth a retry. */
const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection broken",
  ECONNABORTED: "connection aborted",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  UND_ERR_SOCKET: "connection closed by the server",
  UND_ERR_CLOSED: "connection closed",
};
const TIMEOUT_CODES: ReadonlySet<string> = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

type Fail = (kind: FaultKind, message: string, retryAfterMs?: number) => CallError;

/**
 * Sends one request and returns the parsed JSON of a 2xx answer (the envelope is the caller's).
 * Throws CallError for every failure; when the caller's own signal aborts, rethrows its reason
 * unchanged (the runtime is stopping, not Banniu failing).
 *
 * No CallError carries a `cause`: fetch errors may quote the request URL, whose query holds the token.
 */
export async function exchange(wire: BanniuWire, ex: BanniuExchange): Promise<unknown> {
  const fail: Fail = (kind, message, retryAfterMs) => new CallError(ex.call, kind, hide(message, wire.secrets), { retryAfterMs });
  const timeout = AbortSignal.timeout(ex.timeoutMs);
  const signal = ex.signal ? AbortSignal.any([timeout, ex.signal]) : timeout;
  const headers: Record<string, string> = { accept: "application/json" };
  let body: string | undefined;
  if (ex.method === "POST") {
    headers["content-type"] = "application/json; charset=utf-8";
    try {
      body = JSON.stringify(ex.body ?? {});
    } catch (error) {
      throw fail("rejected", `the request cannot be sent as JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (ex.bearer !== undefined) headers.authorization = `Bearer ${ex.bearer}`;
  const host = new URL(wire.gateway).host;
  try {
    // A redirect would turn a POST into a GET or carry the token elsewhere; the URL is wrong instead.
    const response = await fetch(`${wire.gateway}?${ex.query}`, { method: ex.method, headers, body, signal, redirect: "manual" });
    if (response.status < 200 || response.status > 299) throw statusError(response, await readExcerpt(response), wire.now(), fail);
    const text = await readBody(response, wire.maxResponseBytes, fail);
    return parseJson(text, response.headers.get("content-type"), fail);
  } catch (error) {
    if (error instanceof CallError) throw error;
    if (ex.signal?.aborted) throw ex.signal.reason;
    if (timeout.aborted) throw fail("timeout", `no answer from ${host} within ${ex.timeoutMs} ms`);
    throw transportError(error, host, fail);
  }
}

/** `text` with every secret replaced. */
export function hide(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => redact(out, secret), text);
}

/** The failure a non-2xx status means. Banniu answers its own errors with HTTP 200, so these come from the gateway's front. */
function statusError(response: Response, excerpt: string, now: number, fail: Fail): CallError {
  const { status } = response;
  const said = `answered HTTP ${status}${response.statusText ? ` ${quote(response.statusText)}` : ""}${excerpt ? ` ("${excerpt}")` : ""}`;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
  if (status === 429) return fail("throttled", said, retryAfterMs);
  if (status >= 500 && status <= 599) return fail("server", said, retryAfterMs);
  if (status === 401 || status === 403) return fail("credentials", `${said}: check FERRY_BANNIU_APP_KEY and FERRY_BANNIU_ACCESS_TOKEN`);
  if (status >= 300 && status <= 399) return fail("rejected", `${said}, a redirect: set FERRY_BANNIU_URL to the address that answers`);
  if (status >= 400 && status <= 499) return fail("rejected", said);
  return fail("malformed", said);
}

/** The start of an error answer's body for the message; never fails, never reads it all. */
async function readExcerpt(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The status already says what went wrong; a body that breaks off adds nothing.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return quote(Buffer.concat(chunks).toString("utf8"));
}

/** The whole body as text, refusing (not buffering) anything over `max` bytes. */
async function readBody(response: Response, max: number, fail: Fail): Promise<string> {
  const tooLarge = (size: string) => fail("malformed", `answer is larger than ${max} bytes (${size}); refusing to buffer it`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    response.body?.cancel().catch(() => undefined);
    throw tooLarge(`${declared} bytes declared`);
  }
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      reader.cancel().catch(() => undefined);
      throw tooLarge(`more than ${max} bytes sent`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/** JSON.parse with a message that says what came instead: a gateway's HTML page, half an answer. */
function parseJson(text: string, contentType: string | null, fail: Fail): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const type = contentType ? quote(contentType.split(";")[0] ?? contentType) : "no content type";
    const what =
      body.trim() === ""
        ? "answer is empty, not JSON"
        : /^\s*</.test(body)
          ? "answer is an HTML page, not JSON"
          : endsEarly(error, body)
            ? "answer is truncated JSON"
            : "answer is not JSON";
    throw fail("malformed", `${what} (${type}, starts "${quote(body)}")`);
  }
}

/** Whether JSON.parse failed because the text stopped early: points at the network, not at Banniu. */
function endsEarly(error: unknown, body: string): boolean {
  if (!(error instanceof SyntaxError) || !/^\s*[[{]/.test(body)) return false;
  if (/end of JSON input|Unterminated string/i.test(error.message)) return true;
  const at = /at position (\d+)/.exec(error.message);
  return at !== null && Number(at[1]) >= body.trimEnd().length;
}

/** The failure a rejected fetch or body read means, from the error codes along its cause chain. */
function transportError(error: unknown, host: string, fail: Fail): CallError {
  let innermost = error instanceof Error ? error.message : String(error);
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    innermost = e.message || innermost;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (TIMEOUT_CODES.has(code)) return fail("timeout", `no answer in time (${host}, ${code})`);
    const meaning = NETWORK_CODES[code];
    if (meaning) return fail("network", `${meaning} (${host}, ${code})`);
  }
  return fail("network", `request to ${host} failed: ${quote(innermost || kindOf(error), 200)}`);
}
