/**
 * The Guanyi ERP (管易云) source connector: signs each call, POSTs it to the one gateway
 * `/rest/erp_open`, and classifies every failure as a CallError. Wire facts: SYSTEMS.md, "Guanyi ERP";
 * catalog: ./catalog.ts; local emulator: ./sandbox.ts.
 *
 * The HTTP exchange (bounded body reads, HTML pages, truncated JSON, timeouts, resets, 429/5xx with
 * Retry-After) is the generic http connector's `postJson`; this file adds Guanyi's envelope
 * (`success:false` with errorCode/errorDesc at HTTP 200) and keeps the three credentials out of
 * every message.
 */
import type { ConnectorContext, ConnectorFactory, ReadRequest, ReadResponse, RowResult, SourceConnector, TargetConnector, WriteRequest } from "../../runtime/connector.js";
import { CallError, type FaultKind } from "../../runtime/faults.js";
import { SecretMasker } from "../../runtime/secrets.js";
import type { Scalar } from "../../runtime/types.js";
import { kindOf, quote, valueAt } from "../http/answer.js";
import { postJson, type WireConfig } from "../http/wire.js";
import { signGuanyi } from "./sign.js";
import { checkBaseUrl } from "../http/base-url.js";

/** Production gateway host; the client POSTs to `${url}/rest/erp_open`. */
export const GUANYI_DEFAULT_URL = "http://v2.api.guanyierp.com";

/** The gateway path every method is called through. */
export const GUANYI_PATH = "/rest/erp_open";

/** Default cap on one answer, as for the http connector: far above a 100-row page. */
export const GUANYI_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Tuning for tests; flows configure the connector through the environment only. */
export interface GuanyiConnectorOptions {
  /** Answers above this many bytes are `malformed`. Default {@link GUANYI_MAX_RESPONSE_BYTES}. */
  readonly maxResponseBytes?: number;
}

/** The environment variables the connector reads, with what each one is (for "is not set" messages). */
const REQUIRED_ENV = [
  ["FERRY_GUANYI_APPKEY", "the Guanyi app key"],
  ["FERRY_GUANYI_SESSIONKEY", "the Guanyi session key"],
  ["FERRY_GUANYI_SECRET", "the Guanyi app secret"],
] as const;

const CREDENTIALS_HINT = "check FERRY_GUANYI_APPKEY, FERRY_GUANYI_SESSIONKEY and FERRY_GUANYI_SECRET";

/** Body keys the connector owns; a flow param with one of these names would forge the envelope. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(["appkey", "sessionkey", "method", "sign"]);

/** Longest quote of an errorDesc/subErrorDesc kept in a message. */
const DESC_CHARS = 200;

interface GuanyiConfig {
  readonly appkey: string;
  readonly sessionkey: string;
  readonly secret: string;
  readonly wire: WireConfig;
}

/**
 * The `guanyi` connector factory (source only: Guanyi is read in the seed flows). Reads
 * `FERRY_GUANYI_APPKEY`, `FERRY_GUANYI_SESSIONKEY`, `FERRY_GUANYI_SECRET` (required) and
 * `FERRY_GUANYI_URL` (default {@link GUANYI_DEFAULT_URL}) when the source is created, so a run without
 * them fails with a `credentials` CallError naming the variable before its first call.
 */
export function guanyiConnector(options: GuanyiConnectorOptions = {}): ConnectorFactory {
  return {
    name: "guanyi",
    source: (ctx) => guanyiSource(guanyiConfig(ctx, options)),
    target: (ctx) => guanyiTarget(guanyiConfig(ctx, options)),
  };
}

/**
 * The writes of Guanyi's spec (`gy.erp.trade.add`, `gy.erp.item.add`, …): one document per call, its
 * fields beside appkey, sessionkey and method in the signed body. Guanyi answers a write with its
 * envelope alone; what identifies the new document (`id`, `code`) is read when present — no public
 * source shows it, so it is a guess. A refusal of the document is the row's; anything else the call's.
 * Guanyi offers no way to ask which documents it holds, so these writes are at-least-once.
 */
function guanyiTarget(config: GuanyiConfig): TargetConnector {
  const masker = config.wire.masker;
  return {
    async write(request: WriteRequest): Promise<readonly RowResult[]> {
      const call = `guanyi ${request.operation}`;
      const fail: Fail = (kind, message, retryAfterMs) => new CallError(call, kind, masker.mask(message), retryAfterMs === undefined ? {} : { retryAfterMs });
      if (request.rows.length === 0) return [];
      if (request.rows.length > 1) throw fail("rejected", `${request.operation} sends one document per call; ${request.rows.length} were given (set \`batch 1\`)`);
      const row = request.rows[0]!.row;
      if (row === null || typeof row !== "object" || Array.isArray(row)) return [{ ok: false, reason: `the row is ${kindOf(row)}, not a document` }];
      const body: Record<string, unknown> = { appkey: config.appkey, sessionkey: config.sessionkey, method: request.operation };
      for (const [key, value] of Object.entries(row)) {
        if (RESERVED_KEYS.has(key)) throw fail("rejected", `field ${JSON.stringify(key)} is reserved: the connector sets it`);
        if (value !== null && value !== undefined) body[key] = value;
      }
      const answer = await postJson(config.wire, { call, path: GUANYI_PATH, body: { ...body, sign: signGuanyi(body, config.secret) }, timeoutMs: request.timeoutMs, signal: request.signal });
      if (answer === null || typeof answer !== "object" || Array.isArray(answer)) throw fail("malformed", `answer is ${kindOf(answer)}, not a Guanyi envelope {"success": …}`);
      const envelope = answer as Record<string, unknown>;
      if (envelope.success === true) {
        const id = envelope.id ?? envelope.code;
        return [{ ok: true, targetId: typeof id === "string" || typeof id === "number" || typeof id === "bigint" ? String(id) : null }];
      }
      if (envelope.success !== false) throw fail("malformed", `answer has ${kindOf(envelope.success)} at success, not true or false`);
      const error = refusal(envelope, fail, (t) => masker.mask(t));
      if (error.kind === "rejected") return [{ ok: false, reason: error.message.slice(call.length + 2) }];
      throw error;
    },
  };
}

function guanyiConfig(ctx: ConnectorContext, options: GuanyiConnectorOptions): GuanyiConfig {
  const bad = (message: string) => new CallError("guanyi", "credentials", message);
  const [appkey, sessionkey, secret] = REQUIRED_ENV.map(([name, what]) => {
    const value = ctx.env[name]?.trim();
    if (!value) throw bad(`${name} is not set: ${what}`);
    return value;
  }) as [string, string, string];
  const raw = ctx.env.FERRY_GUANYI_URL?.trim() || GUANYI_DEFAULT_URL;
  const baseUrl = checkBaseUrl("guanyi", "FERRY_GUANYI_URL", raw, {
    example: "http://host[:port][/prefix]",
    credentials: "Guanyi credentials travel in the signed body",
    query: `${GUANYI_PATH} is appended to it`,
  });
  return {
    appkey,
    sessionkey,
    secret,
    wire: {
      baseUrl: baseUrl,
      // Guanyi authenticates by the signed body, not by a bearer header.
      token: undefined,
      masker: new SecretMasker([appkey, sessionkey, secret]),
      names: { url: "FERRY_GUANYI_URL", credentials: CREDENTIALS_HINT },
      maxResponseBytes: options.maxResponseBytes ?? GUANYI_MAX_RESPONSE_BYTES,
      now: () => ctx.clock.now(),
    },
  };
}

function guanyiSource(config: GuanyiConfig): SourceConnector {
  const masker = config.wire.masker;
  return {
    async read(request: ReadRequest): Promise<ReadResponse> {
      const call = `guanyi ${request.operation}`;
      const fail = (kind: FaultKind, message: string, retryAfterMs?: number) =>
        new CallError(call, kind, masker.mask(message), retryAfterMs === undefined ? {} : { retryAfterMs });
      const body = signedBody(config, request, fail);
      let answer: unknown;
      answer = await postJson(config.wire, { call, path: GUANYI_PATH, body, timeoutMs: request.timeoutMs, signal: request.signal });
      if (answer === null || typeof answer !== "object" || Array.isArray(answer)) {
        throw fail("malformed", `answer is ${kindOf(answer)}, not a Guanyi envelope {"success": …}`);
      }
      const success = (answer as Record<string, unknown>).success;
      if (success === false) throw refusal(answer as Record<string, unknown>, fail, (t) => masker.mask(t));
      if (success !== true) throw fail("malformed", `answer has ${kindOf(success)} at success, not true or false`);
      const records = valueAt(answer, request.recordsPath);
      if (!Array.isArray(records)) {
        const found = records === undefined ? "" : ` (found ${kindOf(records)})`;
        throw fail("malformed", `answer has no array at ${request.recordsPath || "its top level"}${found}`);
      }
      return { records, total: readTotal(answer, request.totalPath, fail), cursor: readCursor(answer, request.cursorPath, fail) };
    },
  };
}

type Fail = (kind: FaultKind, message: string, retryAfterMs?: number) => CallError;

/**
 * `{"appkey","sessionkey","method", …params, "sign"}` in that order, as SYSTEMS.md lays it out. Null
 * params are left out: Guanyi reads a missing parameter as "no filter", a JSON null is untested.
 */
function signedBody(config: GuanyiConfig, request: ReadRequest, fail: Fail): Record<string, unknown> {
  const body: Record<string, Scalar> = { appkey: config.appkey, sessionkey: config.sessionkey, method: request.operation };
  for (const [key, value] of Object.entries(request.params)) {
    if (RESERVED_KEYS.has(key)) throw fail("rejected", `parameter ${JSON.stringify(key)} is reserved: the connector sets it`);
    if (value !== null) body[key] = value;
  }
  return { ...body, sign: signGuanyi(body, config.secret) };
}

/** What a `success:false` answer means, from its codes and descriptions (HTTP is 200 either way). */
function refusal(answer: Record<string, unknown>, fail: Fail, mask: (text: string) => string): CallError {
  const text = (key: string) => {
    const value = answer[key];
    return typeof value === "string" || typeof value === "number" ? String(value) : "";
  };
  const raw = [text("errorCode"), text("errorDesc"), text("subErrorCode"), text("subErrorDesc")];
  // Classified by the words as Guanyi sent them; shown masked, before being cut short, so a secret
  // quoted across the cut leaves nothing behind.
  const kind = refusalKind(raw.join(" "));
  const [code, desc, subCode, subDesc] = raw.map(mask) as [string, string, string, string];
  let said = `Guanyi answered success:false, errorCode ${JSON.stringify(quote(code, 40))} ${desc ? quote(desc, DESC_CHARS) : "(no errorDesc)"}`;
  if (subCode || subDesc) said += ` (${[quote(subCode, 40), quote(subDesc, DESC_CHARS)].filter(Boolean).join(": ")})`;
  if (kind === "credentials") said += `: ${CREDENTIALS_HINT}`;
  return fail(kind, said);
}

// Guanyi publishes no error-code list we trust, so the class is read from the words. Order matters:
// "请稍后再试" follows both throttling and busy answers, and a throttling answer is the more specific.
// A bare "limit" is too broad ("page_size exceeds the limit" is a refusal, not a reason to retry), so
// only call/rate/frequency limits count as throttling.
const THROTTLED = /限流|频繁|调用次数|too many|too frequent|rate[ _-]?limit|(?:call|request|api|frequency|qps)[ _-]?limit|limit (?:reached|exceeded)/i;
const CREDENTIALS = /签名|\bsign|app_?key|session|授权/i;
const SERVER = /系统繁忙|系统异常|系统错误|服务繁忙|服务异常|busy|internal/i;

/** The fault class of a `success:false` answer's codes and descriptions. */
export function refusalKind(text: string): FaultKind {
  if (THROTTLED.test(text)) return "throttled";
  if (CREDENTIALS.test(text)) return "credentials";
  if (SERVER.test(text)) return "server";
  return "rejected";
}

/** A total that is not a count would stop paging early or never: refuse it. Digit strings are counts too. */
function readTotal(answer: unknown, path: string | null, fail: Fail): number | null {
  if (path === null) return null;
  const total = valueAt(answer, path);
  if (total === undefined || total === null) return null;
  const count = typeof total === "string" && /^\d{1,15}$/.test(total) ? Number(total) : total;
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
    const shown = typeof total === "number" ? String(total) : kindOf(total);
    throw fail("malformed", `answer has ${shown} at ${path}, not a count (a whole number of at least 0)`);
  }
  return count;
}

/** Guanyi pages by number; a cursor is only read when a flow names one. */
function readCursor(answer: unknown, path: string | null, fail: Fail): string | null {
  if (path === null) return null;
  const cursor = valueAt(answer, path);
  if (cursor === undefined || cursor === null) return null;
  if (typeof cursor !== "string") throw fail("malformed", `answer has ${kindOf(cursor)} at ${path}, not a cursor (a string or null)`);
  return cursor;
}
