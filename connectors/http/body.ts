/**
 * Reading and classifying HTTP answers, shared by every connector's wire: bounded body reads, JSON
 * parsing that says what came instead (an HTML page, half an answer), and the transport failures
 * behind a rejected fetch. Each connector keeps its own status mapping, whose messages name its
 * own settings.
 */
import type { CallError, FaultKind } from "../../runtime/faults.js";
import { readJson } from "../../runtime/json.js";
import type { SecretMasker } from "../../runtime/secrets.js";
import { kindOf, quote } from "./answer.js";
import { parseRetryAfter } from "./retry-after.js";

/** Builds the CallError of one exchange (the connector adds the call name and redaction). */
export type Fail = (kind: FaultKind, message: string, options?: { retryAfterMs?: number | undefined; cause?: unknown }) => CallError;

/** How much of an error answer is read for the message; the rest is discarded unread. */
const ERROR_BODY_BYTES = 4096;
/** How much of an answer that is not JSON is masked and quoted (the quote keeps far less). */
const EXCERPT_CHARS = 4096;

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
 * The start of an error answer for the message; never fails, never reads it all. The masker takes
 * secrets (and fragments of them) out before the text is cut short, so a secret straddling the cut
 * cannot leak its first half.
 */
export async function readExcerpt(response: Response, masker: SecretMasker): Promise<string> {
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
  return quote(masker.mask(Buffer.concat(chunks).toString("utf8")));
}

/** The whole body as text, refusing (not buffering) anything over `max` bytes. */
export async function readBody(response: Response, max: number, fail: Fail): Promise<string> {
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

/**
 * The answer as JSON, integers beyond 2^53 kept whole (runtime/json.ts), with a message that says
 * what came instead: an HTML error page, half an answer.
 */
export function parseJson(text: string, contentType: string | null, fail: Fail, masker: SecretMasker): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return readJson(body);
  } catch (error) {
    const type = contentType ? quote(contentType.split(";")[0] ?? contentType) : "no content type";
    const what =
      body.trim() === "" ? "answer is empty, not JSON" : /^\s*</.test(body) ? "answer is an HTML page, not JSON" : endsEarly(error, body) ? "answer is truncated JSON" : "answer is not JSON";
    // No `cause`: V8's parse message quotes the body unredacted, and the quote here says it better.
    throw fail("malformed", `${what} (${type}, starts "${quote(masker.mask(body.slice(0, EXCERPT_CHARS)))}")`);
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
export function transportError(error: unknown, host: string, fail: Fail): CallError {
  let innermost = error instanceof Error ? error.message : String(error);
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    innermost = e.message || innermost;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (TIMEOUT_CODES.has(code)) return fail("timeout", `no answer in time (${host}, ${code})`, { cause: error });
    const meaning = NETWORK_CODES[code];
    if (meaning) return fail("network", `${meaning} (${host}, ${code})`, { cause: error });
  }
  return fail("network", `request to ${host} failed: ${quote(innermost || kindOf(error), 200)}`, { cause: error });
}

/** What a non-2xx answer said, for messages: `answered HTTP 502 "Bad Gateway" ("<excerpt>")`. */
export function statusSaid(response: Response, excerpt: string): string {
  return `answered HTTP ${response.status}${response.statusText ? ` ${quote(response.statusText)}` : ""}${excerpt ? ` ("${excerpt}")` : ""}`;
}

/**
 * The retryable statuses every system's front answers alike, 429 and 5xx, with the wait their
 * Retry-After asks for; undefined for any other status, which each connector maps itself.
 */
export function transientStatus(response: Response, said: string, now: number, fail: Fail): CallError | undefined {
  const { status } = response;
  if (status !== 429 && !(status >= 500 && status <= 599)) return undefined;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
  return fail(status === 429 ? "throttled" : "server", said, { retryAfterMs });
}
