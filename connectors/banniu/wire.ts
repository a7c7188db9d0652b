/**
 * One exchange with Banniu's gateway and the classification of every transport failure. It exists
 * beside connectors/http/wire.ts because that one only POSTs JSON, while Banniu lists with GET and
 * signs the query string; the quoting, redaction and Retry-After helpers are shared.
 */
import { writeJson } from "../../runtime/json.js";
import { CallError } from "../../runtime/faults.js";
import type { SecretMasker } from "../../runtime/secrets.js";
import { parseJson, readBody, readExcerpt, statusSaid, transientStatus, transportError, type Fail } from "../http/body.js";

/** Where and how to call, fixed for a connector's life. */
export interface BanniuWire {
  /** `…/gateway/api/miniAPI`, without a query. */
  readonly gateway: string;
  /** Keeps the credentials out of every message (the token rides in the query, so any echo of the URL would leak it). */
  readonly masker: SecretMasker;
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




/**
 * Sends one request and returns the parsed JSON of a 2xx answer (the envelope is the caller's).
 * Throws CallError for every failure; when the caller's own signal aborts, rethrows its reason
 * unchanged (the runtime is stopping, not Banniu failing).
 *
 * No CallError carries a `cause`: fetch errors may quote the request URL, whose query holds the token.
 */
export async function exchange(wire: BanniuWire, ex: BanniuExchange): Promise<unknown> {
  // The cause is dropped on purpose (see above): only the retry hint passes through.
  const fail: Fail = (kind, message, options) => new CallError(ex.call, kind, wire.masker.mask(message), { retryAfterMs: options?.retryAfterMs });
  const timeout = AbortSignal.timeout(ex.timeoutMs);
  const signal = ex.signal ? AbortSignal.any([timeout, ex.signal]) : timeout;
  const headers: Record<string, string> = { accept: "application/json" };
  let body: string | undefined;
  if (ex.method === "POST") {
    headers["content-type"] = "application/json; charset=utf-8";
    try {
      body = writeJson(ex.body ?? {}) ?? "{}";
    } catch (error) {
      throw fail("rejected", `the request cannot be sent as JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (ex.bearer !== undefined) headers.authorization = `Bearer ${ex.bearer}`;
  const host = new URL(wire.gateway).host;
  try {
    // A redirect would turn a POST into a GET or carry the token elsewhere; the URL is wrong instead.
    const response = await fetch(`${wire.gateway}?${ex.query}`, { method: ex.method, headers, body, signal, redirect: "manual" });
    if (response.status < 200 || response.status > 299) throw statusError(response, await readExcerpt(response, wire.masker), wire.now(), fail);
    const text = await readBody(response, wire.maxResponseBytes, fail);
    return parseJson(text, response.headers.get("content-type"), fail, wire.masker);
  } catch (error) {
    if (error instanceof CallError) throw error;
    if (ex.signal?.aborted) throw ex.signal.reason;
    if (timeout.aborted) throw fail("timeout", `no answer from ${host} within ${ex.timeoutMs} ms`);
    throw transportError(error, host, fail);
  }
}

/** The failure a non-2xx status means. Banniu answers its own errors with HTTP 200, so these come from the gateway's front. */
function statusError(response: Response, excerpt: string, now: number, fail: Fail): CallError {
  const { status } = response;
  const said = statusSaid(response, excerpt);
  const transient = transientStatus(response, said, now, fail);
  if (transient) return transient;
  if (status === 401 || status === 403) return fail("credentials", `${said}: check FERRY_BANNIU_APP_KEY and FERRY_BANNIU_ACCESS_TOKEN`);
  if (status >= 300 && status <= 399) return fail("rejected", `${said}, a redirect: set FERRY_BANNIU_URL to the address that answers`);
  if (status >= 400 && status <= 499) return fail("rejected", said);
  return fail("malformed", said);
}





