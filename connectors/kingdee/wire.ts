/**
 * One POST to a Kingdee service and the classification of everything that can go wrong on the way.
 * The generic http wire (../http/wire.ts) cannot carry Kingdee's cookies or signature headers, nor
 * hand back Set-Cookie; this is its Kingdee twin and reuses its quoting, redaction and Retry-After.
 */
import { writeJson } from "../../runtime/json.js";
import { CallError } from "../../runtime/faults.js";
import type { SecretMasker } from "../../runtime/secrets.js";
import { parseJson, readBody, readExcerpt, statusSaid, transientStatus, transportError, type Fail } from "../http/body.js";

/** Fixed for a connector's life. */
export interface KingdeeWire {
  /** `https://host[/prefix]`; services live under `${baseUrl}/K3Cloud/`. */
  readonly baseUrl: string;
  /** Answers larger than this are refused as malformed instead of being buffered. */
  readonly maxResponseBytes: number;
  /** Milliseconds since the epoch, for Retry-After dates. */
  readonly now: () => number;
  /** Hides what must never appear in a message (password, app secret, session ids, which change with each login). */
  readonly masker: () => SecretMasker;
}

export interface KingdeePost {
  /** `kingdee BatchSave` — the CallError's `call`. */
  readonly call: string;
  /** Path and query after the origin, e.g. `/K3Cloud/Kingdee.BOS….BatchSave.common.kdsvc`. */
  readonly path: string;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export interface KingdeeReply {
  readonly json: unknown;
  /** Every Set-Cookie header of the answer, as sent. */
  readonly setCookies: readonly string[];
}




/** The path of `service` under the base URL's prefix: `[/prefix]/K3Cloud/<service>.common.kdsvc`. */
export function servicePath(wire: KingdeeWire, service: string): string {
  return `${new URL(wire.baseUrl).pathname.replace(/\/+$/, "")}/K3Cloud/${service}.common.kdsvc`;
}

/**
 * POSTs `post.body` as JSON; returns the parsed answer of a 2xx response with its cookies. Throws
 * CallError for every failure; when the caller's own signal aborts, rethrows its reason unchanged.
 */
export async function postKingdee(wire: KingdeeWire, post: KingdeePost): Promise<KingdeeReply> {
  const fail: Fail = (kind, message, options = {}) => new CallError(post.call, kind, scrub(wire, message), options);
  const timeout = AbortSignal.timeout(post.timeoutMs);
  const signal = post.signal ? AbortSignal.any([timeout, post.signal]) : timeout;
  let body: string;
  try {
    body = writeJson(post.body) ?? "null";
  } catch (error) {
    throw fail("rejected", `the request cannot be sent as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const origin = new URL(wire.baseUrl).origin;
  try {
    const response = await fetch(origin + post.path, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", accept: "application/json", ...post.headers },
      body,
      signal,
      // A redirect (to https, to a login page) would turn the POST into a GET: the URL is wrong instead.
      redirect: "manual",
    });
    if (response.status < 200 || response.status > 299) throw statusError(response, await readExcerpt(response, wire.masker()), wire.now(), fail);
    const text = await readBody(response, wire.maxResponseBytes, fail);
    return { json: parseJson(text, response.headers.get("content-type"), fail, wire.masker()), setCookies: response.headers.getSetCookie() };
  } catch (error) {
    if (error instanceof CallError) throw error;
    if (post.signal?.aborted) throw post.signal.reason;
    if (timeout.aborted) throw fail("timeout", `no answer within ${post.timeoutMs} ms`, { cause: error });
    throw transportError(error, new URL(origin).host, fail);
  }
}

/** `text` without any secret or fragment of one, in case an answer quotes the request back. */
export function scrub(wire: KingdeeWire, text: string): string {
  return wire.masker().mask(text);
}

function statusError(response: Response, excerpt: string, now: number, fail: Fail): CallError {
  const { status } = response;
  const said = statusSaid(response, excerpt);
  const transient = transientStatus(response, said, now, fail);
  if (transient) return transient;
  if (status === 401 || status === 403) return fail("credentials", `${said}: check the FERRY_KINGDEE_* login variables`);
  if (status >= 300 && status <= 399) return fail("rejected", `${said}, a redirect: set FERRY_KINGDEE_URL to the address that answers (https?)`);
  if (status === 404) return fail("rejected", `${said}: no such service; FERRY_KINGDEE_URL should be the server address (…/K3Cloud/ is appended)`);
  if (status >= 400 && status <= 499) return fail("rejected", said);
  return fail("malformed", said);
}





