/**
 * One JSON-over-POST exchange and the classification of everything that can go wrong with it. The
 * runtime retries on the class alone, so every failure leaves here as a CallError of the right kind.
 */
import { CallError, type FaultKind } from "../../runtime/faults.js";
import { kindOf, quote } from "./answer.js";
import { parseRetryAfter } from "./retry-after.js";

/** Where and how to call, fixed for a connector's life. */
export interface WireConfig {
  /** `http(s)://host[:port][/prefix]` without a trailing slash. */
  readonly baseUrl: string;
  /** Sent as a bearer token; kept out of every message. */
  readonly token: string | undefined;
  /** Answers larger than this are refused as malformed instead of being buffered. */
  readonly maxResponseBytes: number;
  /** Milliseconds since the epoch, for Retry-After dates. */
  readonly now: () => number;
}

export interface Exchange {
  /** `http /shops` — the CallError's `call`. */
  readonly call: string;
  /** Appended to the base URL, e.g. "/shops" or "/customers/lookup". */
  readonly path: string;
  readonly body: unknown;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** How much of an error answer is read for the message; the rest is discarded unread. */
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

/**
 * POSTs `exchange.body` as JSON and returns the parsed JSON answer of a 2xx response. Throws
 * CallError for every failure; when the caller's own signal aborts, rethrows its reason unchanged
 * (the runtime is stopping, not the system failing).
 */
export async function postJson(config: WireConfig, exchange: Exchange): Promise<unknown> {
  const fail = (kind: FaultKind, message: string, options: { retryAfterMs?: number | undefined; cause?: unknown } = {}) =>
    new CallError(exchange.call, kind, redact(message, config.token), options);
  const timeout = AbortSignal.timeout(exchange.timeoutMs);
  const signal = exchange.signal ? AbortSignal.any([timeout, exchange.signal]) : timeout;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  let body: string;
  try {
    body = JSON.stringify(exchange.body);
  } catch (error) {
    // A cycle or a BigInt in a row: no retry can send it.
    throw fail("rejected", `the request cannot be sent as JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    const response = await fetch(config.baseUrl + exchange.path, {
      method: "POST",
      headers,
      body,
      signal,
      // A redirect would turn the POST into a GET or carry the body elsewhere; the URL is wrong instead.
      redirect: "manual",
    });
    if (response.status < 200 || response.status > 299) {
      const excerpt = await readExcerpt(response);
      throw statusError(response, excerpt, config.now(), fail);
    }
    const text = await readBody(response, config.maxResponseBytes, fail);
    return parseJson(text, response.headers.get("content-type"), fail);
  } catch (error) {
    if (error instanceof CallError) throw error;
    if (exchange.signal?.aborted) throw exchange.signal.reason;
    if (timeout.aborted) throw fail("timeout", `no answer within ${exchange.timeoutMs} ms`, { cause: error });
    throw transportError(error, new URL(config.baseUrl).host, fail);
  }
}

type Fail = (kind: FaultKind, message: string, options?: { retryAfterMs?: number | undefined; cause?: unknown }) => CallError;

/** The failure a non-2xx status means. */
function statusError(response: Response, excerpt: string, now: number, fail: Fail): CallError {
  const { status } = response;
  const said = `answered HTTP ${status}${response.statusText ? ` ${quote(response.statusText)}` : ""}${excerpt ? ` ("${excerpt}")` : ""}`;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
  if (status === 429) return fail("throttled", said, { retryAfterMs });
  if (status >= 500 && status <= 599) return fail("server", said, { retryAfterMs });
  if (status === 401 || status === 403) return fail("credentials", `${said}: check FERRY_HTTP_TOKEN`);
  if (status >= 300 && status <= 399) {
    const location = response.headers.get("location");
    return fail("rejected", `${said}, a redirect${location ? ` to "${quote(location)}"` : ""}: set FERRY_HTTP_URL to the address that answers`);
  }
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

/** JSON.parse with a message that shows what came instead: an HTML error page, half an answer. */
function parseJson(text: string, contentType: string | null, fail: Fail): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const type = contentType ? quote(contentType.split(";")[0] ?? contentType) : "no content type";
    const what = body.trim() === "" ? "answer is empty, not JSON" : endsEarly(error, body) ? "answer is truncated JSON" : "answer is not JSON";
    // No `cause`: V8's parse message quotes the body unredacted, and the quote above says it better.
    throw fail("malformed", `${what} (${type}, starts "${quote(body)}")`);
  }
}

/**
 * Whether JSON.parse failed because the text stopped, not because it was something else: worth
 * saying, since a cut-off answer points at the network or a proxy rather than at the API.
 */
function endsEarly(error: unknown, body: string): boolean {
  if (!(error instanceof SyntaxError) || !/^\s*[[{]/.test(body)) return false;
  if (/end of JSON input|Unterminated string/i.test(error.message)) return true;
  const at = /at position (\d+)/.exec(error.message);
  return at !== null && Number(at[1]) >= body.trimEnd().length;
}

/** The failure a rejected fetch or body read means, from the error codes along its cause chain. */
function transportError(error: unknown, host: string, fail: Fail): CallError {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (TIMEOUT_CODES.has(code)) return fail("timeout", `no answer in time (${host}, ${code})`, { cause: error });
    const meaning = NETWORK_CODES[code];
    if (meaning) return fail("network", `${meaning} (${host}, ${code})`, { cause: error });
  }
  const innermost = deepestMessage(error);
  return fail("network", `request to ${host} failed: ${quote(innermost, 200)}`, { cause: error });
}

function deepestMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) message = e.message || message;
  return message || kindOf(error);
}

/** `text` with the token replaced, in case an answer or error quotes the request's headers back. */
export function redact(text: string, token: string | undefined): string {
  return token && token.length >= 4 ? text.split(token).join("***") : text;
}
