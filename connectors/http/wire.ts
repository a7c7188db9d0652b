/**
 * One JSON-over-POST exchange and the classification of everything that can go wrong with it. The
 * runtime retries on the class alone, so every failure leaves here as a CallError of the right kind.
 */
import { CallError, type FaultKind } from "../../runtime/faults.js";
import { quote } from "./answer.js";
import { parseJson, readBody, readExcerpt, statusSaid, transientStatus, transportError, type Fail } from "./body.js";

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

/** The failure a non-2xx status means. */
function statusError(response: Response, excerpt: string, now: number, fail: Fail): CallError {
  const { status } = response;
  const said = statusSaid(response, excerpt);
  const transient = transientStatus(response, said, now, fail);
  if (transient) return transient;
  if (status === 401 || status === 403) return fail("credentials", `${said}: check FERRY_HTTP_TOKEN`);
  if (status >= 300 && status <= 399) {
    const location = response.headers.get("location");
    return fail("rejected", `${said}, a redirect${location ? ` to "${quote(location)}"` : ""}: set FERRY_HTTP_URL to the address that answers`);
  }
  if (status >= 400 && status <= 499) return fail("rejected", said);
  return fail("malformed", said);
}







/** `text` with the token replaced, in case an answer or error quotes the request's headers back. */
export function redact(text: string, token: string | undefined): string {
  return token && token.length >= 4 ? text.split(token).join("***") : text;
}
