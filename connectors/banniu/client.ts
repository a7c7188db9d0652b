/**
 * The Banniu (班牛) connector: reads `task.list` pages, writes `task.update` / `task.batchUpdate`
 * and confirms writes whose answer was lost with `task.getTask`, through the open-API gateway. Wire facts: SYSTEMS.md, "Banniu"; operations: ./catalog.ts; the
 * emulator it is tested against: ./sandbox.ts.
 */
import {
  PartlyAnswered,
  type ConnectorContext,
  type ConnectorFactory,
  type LookupRequest,
  type ReadRequest,
  type ReadResponse,
  type RowResult,
  type SourceConnector,
  type TargetConnector,
  type TargetState,
  type WriteRequest,
} from "../../runtime/connector.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { CallError } from "../../runtime/faults.js";
import { SecretMasker } from "../../runtime/secrets.js";
import type { Scalar } from "../../runtime/types.js";
import { kindOf, quote, valueAt } from "../http/answer.js";
import { describe, envelopeError, isRowRefusal, openEnvelope, type BanniuError } from "./envelope.js";
import { signBanniu } from "./sign.js";
import { exchange, type BanniuWire } from "./wire.js";
import { checkBaseUrl } from "../http/base-url.js";

/** Production gateway host; FERRY_BANNIU_URL points elsewhere (the sandbox, a proxy). */
export const BANNIU_DEFAULT_URL = "https://open.bytenew.com";
/** Path of the one gateway endpoint every method goes through. */
export const BANNIU_GATEWAY_PATH = "/gateway/api/miniAPI";
/** Default cap on one answer: far above a 100-row page, far below what would exhaust memory. */
export const BANNIU_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Query parameters the connector sets on every call; a flow may not override them. */
const SYSTEM_PARAMS: ReadonlySet<string> = new Set(["timestamp", "v", "app_key", "access_token", "method", "sign"]);
const TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss";

/** Everything a call needs, validated once when a source or target is created. */
interface BanniuConfig {
  readonly wire: BanniuWire;
  readonly appKey: string;
  readonly appSecret: string;
  readonly accessToken: string;
  readonly appId: string | undefined;
  readonly now: () => number;
}

/** Tuning for tests; flows configure the connector through the environment only. */
export interface BanniuConnectorOptions {
  /** Answers above this many bytes are `malformed`. Default {@link BANNIU_MAX_RESPONSE_BYTES}. */
  readonly maxResponseBytes?: number;
}

/**
 * The `banniu` connector factory, both source (`task.list`) and target (`task.update`,
 * `task.batchUpdate`). Reads FERRY_BANNIU_APP_KEY, FERRY_BANNIU_APP_SECRET, FERRY_BANNIU_ACCESS_TOKEN
 * (required), FERRY_BANNIU_APP_ID (the `app_id` of updates whose row has none) and FERRY_BANNIU_URL
 * (default {@link BANNIU_DEFAULT_URL}) when a source or target is created, so a run without them fails
 * before its first call with a `credentials` CallError naming the variable.
 */
export function banniuConnector(options: BanniuConnectorOptions = {}): ConnectorFactory {
  return {
    name: "banniu",
    source: (ctx) => banniuSource(configOf(ctx, options)),
    target: (ctx) => banniuTarget(configOf(ctx, options)),
  };
}

function configOf(ctx: ConnectorContext, options: BanniuConnectorOptions): BanniuConfig {
  const bad = (message: string) => new CallError("banniu", "credentials", message);
  const required = (name: string, what: string): string => {
    const value = ctx.env[name]?.trim();
    if (!value) throw bad(`${name} is not set: ${what}`);
    return value;
  };
  const appKey = required("FERRY_BANNIU_APP_KEY", "the app key Banniu issued for this integration");
  const appSecret = required("FERRY_BANNIU_APP_SECRET", "the app secret that signs every Banniu call");
  const accessToken = required("FERRY_BANNIU_ACCESS_TOKEN", "the access token Banniu issued for the app");
  const appId = ctx.env.FERRY_BANNIU_APP_ID?.trim() || undefined;
  const raw = ctx.env.FERRY_BANNIU_URL?.trim() || BANNIU_DEFAULT_URL;
  const baseUrl = checkBaseUrl("banniu", "FERRY_BANNIU_URL", raw, {
    example: "https://host[:port][/prefix]",
    credentials: "",
    query: "the gateway path and signed query are appended to it",
  });
  const now = () => ctx.clock.now();
  return {
    wire: {
      gateway: baseUrl + BANNIU_GATEWAY_PATH,
      // The app key is not secret, but it is the token's other half: no message needs it.
      masker: new SecretMasker([accessToken, appSecret, appKey]),
      maxResponseBytes: options.maxResponseBytes ?? BANNIU_MAX_RESPONSE_BYTES,
      now,
    },
    appKey,
    appSecret,
    accessToken,
    appId,
    now,
  };
}

/**
 * The signed query string of one call: system parameters, the business parameters of a GET, and
 * `sign`. Percent-encoded with `%20` for spaces (the timestamp has one), which every server decodes.
 */
function signedQuery(config: BanniuConfig, call: string, method: string, business: Readonly<Record<string, Scalar>>): string {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(business)) {
    // A flow param named like a system param would silently change what is signed and sent.
    if (SYSTEM_PARAMS.has(key)) throw new CallError(call, "rejected", `parameter "${quote(key)}" is set by the connector; remove it from the flow's params`);
    if (value !== null) params[key] = String(value);
  }
  params.timestamp = formatDateTime(config.now(), TIMESTAMP_FORMAT, SHANGHAI_UTC_OFFSET_MINUTES);
  params.v = "1";
  params.app_key = config.appKey;
  params.access_token = config.accessToken;
  params.method = method;
  params.sign = signBanniu(params, config.appSecret);
  return Object.entries(params)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join("&");
}

function malformed(call: string, message: string): CallError {
  return new CallError(call, "malformed", message);
}

function banniuSource(config: BanniuConfig): SourceConnector {
  return {
    async read(request: ReadRequest): Promise<ReadResponse> {
      const call = `banniu ${request.operation}`;
      const query = signedQuery(config, call, request.operation, request.params);
      const answer = await exchange(config.wire, { call, method: "GET", query, timeoutMs: request.timeoutMs, signal: request.signal });
      const opened = openEnvelope(call, answer);
      if ("error" in opened) throw envelopeError(call, opened.error, config.wire.masker);
      const records = valueAt(answer, request.recordsPath);
      if (!Array.isArray(records)) {
        throw malformed(call, `answer has no array at ${request.recordsPath || "its top level"}${records === undefined ? "" : ` (found ${kindOf(records)})`}`);
      }
      return { records, total: readTotal(call, answer, request.totalPath), cursor: readCursor(call, answer, request.cursorPath) };
    },
  };
}

/** A total that is not a count would make paging stop early or never: refuse it. */
function readTotal(call: string, answer: unknown, path: string | null): number | null {
  if (path === null) return null;
  const raw = valueAt(answer, path);
  if (raw === undefined || raw === null) return null;
  // Some gateways send counts as strings; the digits are the same number.
  const total = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof total !== "number" || !Number.isSafeInteger(total) || total < 0) {
    throw malformed(call, `answer has ${typeof raw === "number" ? String(raw) : kindOf(raw)} at ${path}, not a count (a whole number of at least 0)`);
  }
  return total;
}

function readCursor(call: string, answer: unknown, path: string | null): string | null {
  if (path === null) return null;
  const cursor = valueAt(answer, path);
  if (cursor === undefined || cursor === null) return null;
  if (typeof cursor !== "string") throw malformed(call, `answer has ${kindOf(cursor)} at ${path}, not a cursor (a string or null)`);
  return cursor;
}

function banniuTarget(config: BanniuConfig): TargetConnector {
  return {
    async write(request: WriteRequest): Promise<readonly RowResult[]> {
      if (request.rows.length === 0) return [];
      // task.update rows travel together in task.batchUpdate's body (the spec's `sendAs`): one call
      // per batch, one result per task.
      if (request.operation === "task.batchUpdate" || (request.operation === "task.update" && request.rows.length > 1)) {
        return batchUpdate(config, { ...request, operation: "task.batchUpdate" });
      }
      // Any other write carries one task per call (the body has room for one).
      if (request.rows.length > 1) throw new CallError(`banniu ${request.operation}`, "rejected", `${request.operation} sends one task per call; ${request.rows.length} were given (set \`batch 1\`)`);
      return [await updateOne(config, request, request.rows[0]!.row)];
    },

    lookup: (request) => getTasks(config, request),
  };
}

/**
 * What Banniu holds for the rows being confirmed: each task read back with task.getTask (by its
 * project and id, which the rows carry), shaped as an update row, `{project_id, task_id, contents}`
 * with every column of the task in `contents`; the runtime compares the columns the update sets.
 * A task Banniu does not know is not held. SYSTEMS.md gives only the request; the answer is taken to
 * carry the task as a task.list row (keyed by column id) at `response.map.result`, alone or as the
 * one element of a list (what ./sandbox.ts answers).
 */
async function getTasks(config: BanniuConfig, request: LookupRequest): Promise<readonly TargetState[]> {
  const call = "banniu task.getTask";
  const states: TargetState[] = [];
  const asked = new Set<string>();
  for (const row of request.rows) {
    if (row === null || typeof row !== "object" || Array.isArray(row)) continue;
    const { project_id: project, task_id: taskId, app_id: appId } = row as Record<string, unknown>;
    const id = targetIdOf(row as Record<string, unknown>);
    if (id === null || (typeof project !== "string" && typeof project !== "number") || asked.has(`${String(project)}\u0000${id}`)) continue;
    asked.add(`${String(project)}\u0000${id}`);
    const query = signedQuery(config, call, "task.getTask", { project_id: String(project), task_id: id });
    const answer = await exchange(config.wire, { call, method: "GET", query, timeoutMs: request.timeoutMs });
    const opened = openEnvelope(call, answer);
    if ("error" in opened) {
      // An unknown task (or project) holds nothing; anything else means we cannot tell.
      if (isRowRefusal(opened.error)) continue;
      throw envelopeError(call, opened.error, config.wire.masker);
    }
    const task = taskOf(call, valueAt(opened.response, "map.result"));
    const held = task["-1"] ?? task["0"];
    if (held !== undefined && held !== null && String(held) !== id) throw malformed(call, `answered task ${quote(String(held), 30)} for task ${id}`);
    // project_id and app_id are where and by whom the update was sent, not columns: taken as asked.
    states.push({ key: id, targetId: id, row: { project_id: project, task_id: taskId, ...(appId === undefined ? {} : { app_id: appId }), contents: task } });
  }
  return states;
}

/** The task of a task.getTask answer: an object keyed by column id, or the one element of a list. */
function taskOf(call: string, result: unknown): Record<string, unknown> {
  const task = Array.isArray(result) && result.length === 1 ? result[0] : result;
  if (task === null || typeof task !== "object" || Array.isArray(task)) {
    throw malformed(call, `answer has ${Array.isArray(result) ? `${result.length} tasks` : kindOf(result)} at response.map.result, not one task`);
  }
  return task as Record<string, unknown>;
}

/** A row as sent: `app_id` filled in from FERRY_BANNIU_APP_ID when the flow does not set it. */
function bodyOf(config: BanniuConfig, row: unknown): Record<string, unknown> | string {
  if (row === null || typeof row !== "object" || Array.isArray(row)) return `row is ${kindOf(row)}, not an object with project_id, task_id and contents`;
  const body = { ...(row as Record<string, unknown>) };
  if ((body.app_id === undefined || body.app_id === null || body.app_id === "") && config.appId !== undefined) body.app_id = config.appId;
  return body;
}

function targetIdOf(row: Record<string, unknown>): string | null {
  const id = row.task_id;
  return typeof id === "number" || typeof id === "bigint" || (typeof id === "string" && id !== "") ? String(id) : null;
}

/** Sends one POST with the Bearer token; the body is not signed. */
async function post(config: BanniuConfig, call: string, method: string, body: unknown, request: WriteRequest): Promise<ReturnType<typeof openEnvelope>> {
  const query = signedQuery(config, call, method, {});
  const answer = await exchange(config.wire, { call, method: "POST", query, bearer: config.accessToken, body, timeoutMs: request.timeoutMs, signal: request.signal });
  return openEnvelope(call, answer);
}

async function updateOne(config: BanniuConfig, request: WriteRequest, row: unknown): Promise<RowResult> {
  const call = `banniu ${request.operation}`;
  const body = bodyOf(config, row);
  if (typeof body === "string") return { ok: false, reason: body };
  const opened = await post(config, call, request.operation, body, request);
  if (!("error" in opened)) return { ok: true, targetId: targetIdOf(body) };
  // A refusal of this row's content (unknown task, bad column) is the row's fate; anything else is the call's.
  if (isRowRefusal(opened.error)) return { ok: false, reason: `Banniu refused the update: ${describe(opened.error, config.wire.masker)}` };
  throw envelopeError(call, opened.error, config.wire.masker);
}

/**
 * `task.batchUpdate`: one call for all rows. SYSTEMS.md gives only the request (`{"data":[…]}`); the
 * answer is taken to carry per-item results `{"task_id","code","error_msg"}` in request order at
 * `response.map.result` (what ./sandbox.ts answers). Without them, code 0 means every row landed.
 */
async function batchUpdate(config: BanniuConfig, request: WriteRequest): Promise<readonly RowResult[]> {
  const call = `banniu ${request.operation}`;
  const bodies = request.rows.map(({ row }) => bodyOf(config, row));
  const sendable = bodies.filter((b): b is Record<string, unknown> => typeof b !== "string");
  const sent = sendable.length === 0 ? { results: [], failure: undefined } : await sendBatch(config, call, sendable, request);
  let next = 0;
  const results = bodies.map((b): RowResult | undefined => (typeof b === "string" ? { ok: false, reason: b } : sent.results[next++]));
  if (sent.failure) throw new PartlyAnswered(results, sent.failure);
  return results as RowResult[];
}

/**
 * One batchUpdate call. Items that failed transiently (throttled, busy) have no result, and come
 * back with the first such failure: the runtime retries those items alone, since sending again an
 * item Banniu applied would update its task twice.
 */
async function sendBatch(
  config: BanniuConfig,
  call: string,
  rows: readonly Record<string, unknown>[],
  request: WriteRequest,
): Promise<{ results: (RowResult | undefined)[]; failure: CallError | undefined }> {
  const opened = await post(config, call, request.operation, { data: rows }, request);
  if ("error" in opened) {
    if (!isRowRefusal(opened.error)) throw envelopeError(call, opened.error, config.wire.masker);
    const reason = `Banniu refused the batch: ${describe(opened.error, config.wire.masker)}`;
    return { results: rows.map(() => ({ ok: false, reason })), failure: undefined };
  }
  const items = valueAt(opened.response, "map.result");
  if (items === undefined || items === null) return { results: rows.map((row) => ({ ok: true, targetId: targetIdOf(row) })), failure: undefined };
  // Results pair with rows by position: with one too many or too few, no row's fate is known.
  if (!Array.isArray(items) || items.length !== rows.length) {
    throw malformed(call, `answer has ${Array.isArray(items) ? `${items.length} results` : kindOf(items)} at response.map.result for ${rows.length} rows`);
  }
  const results: (RowResult | undefined)[] = [];
  let failure: CallError | undefined;
  for (const [i, item] of items.entries()) {
    const error = itemError(call, item, i);
    if (error === undefined) results.push({ ok: true, targetId: targetIdOf(rows[i] ?? {}) });
    else if (isRowRefusal(error)) results.push({ ok: false, reason: `Banniu refused the update: ${describe(error, config.wire.masker)}` });
    else {
      results.push(undefined);
      failure ??= envelopeError(call, error, config.wire.masker);
    }
  }
  return { results, failure };
}

/** The error of one per-item result, or undefined when it succeeded. */
function itemError(call: string, item: unknown, index: number): BanniuError | undefined {
  let opened: ReturnType<typeof openEnvelope>;
  try {
    opened = openEnvelope(call, { response: item });
  } catch {
    throw malformed(call, `result ${index + 1} is ${kindOf(item)} without a numeric code, not {"task_id","code","error_msg"}`);
  }
  return "error" in opened ? opened.error : undefined;
}
