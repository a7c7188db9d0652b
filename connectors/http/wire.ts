/**
 * One JSON-over-POST exchange and the classification of everything that can go wrong with it. The
 * runtime retries on the class alone, so every failure leaves here as a CallError of the right kind.
 */
import { writeJson } from "../../runtime/json.js";
import { CallError, type FaultKind } from "../../runtime/faults.js";
import type { SecretMasker } from "../../runtime/secrets.js";
import { quote } from "./answer.js";
import { parseJson, readBody, readExcerpt, statusSaid, transientStatus, transportError, type Fail } from "./body.js";

/** Where and how to call, fixed for a connector's life. */
export interface WireConfig {
  /** `http(s)://host[:port][/prefix]` without a trailing slash. */
  readonly baseUrl: string;
  /** Sent as a bearer token. */
  readonly token: string | undefined;
  /** Hides the token and every other credential of the connector in every message. */
  readonly masker: SecretMasker;
  /** The variables messages point at: the connector's own, not the http connector's. */
  readonly names: WireNames;
  /** Answers larger than this are refused as malformed instead of being buffered. */
  readonly maxResponseBytes: number;
  /** Milliseconds since the epoch, for Retry-After dates. */
  readonly now: () => number;
}

/** What a message tells the user to set or check. */
export interface WireNames {
  /** The base-URL variable, e.g. "FERRY_HTTP_URL". */
  readonly url: string;
  /** What to check when the server refuses who we are, e.g. "check FERRY_HTTP_TOKEN". */
  readonly credentials: string;
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
    new CallError(exchange.call, kind, config.masker.mask(message), options);
  const timeout = AbortSignal.timeout(exchange.timeoutMs);
  const signal = exchange.signal ? AbortSignal.any([timeout, exchange.signal]) : timeout;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  let body: string;
  try {
    body = writeJson(exchange.body) ?? "null";
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
      const excerpt = await readExcerpt(response, config.masker);
      throw statusError(response, excerpt, config, fail);
    }
    const text = await readBody(response, config.maxResponseBytes, fail);
    return parseJson(text, response.headers.get("content-type"), fail, config.masker);
  } catch (error) {
    if (error instanceof CallError) throw error;
    if (exchange.signal?.aborted) throw exchange.signal.reason;
    if (timeout.aborted) throw fail("timeout", `no answer within ${exchange.timeoutMs} ms`, { cause: error });
    throw transportError(error, new URL(config.baseUrl).host, fail);
  }
}

/** The failure a non-2xx status means. */
function statusError(response: Response, excerpt: string, config: WireConfig, fail: Fail): CallError {
  const { status } = response;
  const said = statusSaid(response, excerpt);
  const transient = transientStatus(response, said, config.now(), fail);
  if (transient) return transient;
  if (status === 401 || status === 403) return fail("credentials", `${said}: ${config.names.credentials}`);
  if (status >= 300 && status <= 399) {
    const location = response.headers.get("location");
    return fail("rejected", `${said}, a redirect${location ? ` to "${quote(config.masker.mask(location))}"` : ""}: set ${config.names.url} to the address that answers`);
  }
  if (status >= 400 && status <= 499) return fail("rejected", said);
  return fail("malformed", said);
}
