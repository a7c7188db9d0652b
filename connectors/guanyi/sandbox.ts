/**
 * The Guanyi ERP sandbox: answers `POST /rest/erp_open` exactly as SYSTEMS.md describes Guanyi,
 * checks appkey, sessionkey and sign like the real gateway, serves seeded shops (./sandbox-shops.ts),
 * and injects the faults its FaultDice decides, before any other processing.
 *
 * Error codes: Guanyi publishes no code list we could verify, so the codes below are invented in
 * Guanyi's style (four-digit strings, Chinese descriptions, HTTP 200). Only the words matter to the
 * client's classification, and they are the ones Guanyi's documentation uses.
 *
 * Fault mapping for Guanyi:
 * - `500` HTTP 500 text page; `html` HTTP 200 text/html page; `truncated` half a JSON answer;
 * - `reset` the socket is reset; `timeout` the request is held until the client gives up
 *   (`releaseHeld()` frees what is still held when the server stops);
 * - `throttle` success:false "接口调用过于频繁，请稍后再试" (the client: throttled);
 * - `session-lost` success:false "系统繁忙，请稍后再试" (the client: server). A Guanyi sessionkey is a
 *   static credential issued with the app, not a login session, so there is nothing to lose and log
 *   back into; the nearest real transient is the gateway's own "system busy" answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { instantOf, parseDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import type { SandboxFault } from "../sandbox/faults.js";
import { SANDBOX_CREDENTIALS, type SandboxContext, type SandboxHandler } from "../sandbox/handler.js";
import { GUANYI_PATH } from "./client.js";
import { ShopTable, type GuanyiShop } from "./sandbox-shops.js";
import { verifyGuanyi } from "./sign.js";
import type { ConnectorCatalog, OperationSchema } from "../catalog.js";
import { SpecReads } from "../sandbox/spec-reads.js";
import { loadSystems } from "../spec/load-systems.js";
import { HeldSockets } from "../http/held-sockets.js";
import { answerWireFault, isWireFault, loseAnswer, sendText } from "../http/wire-faults.js";

export type { GuanyiShop } from "./sandbox-shops.js";

/** The Guanyi sandbox handler, with its data and held requests exposed for tests and shutdown. */
export interface GuanyiSandbox extends SandboxHandler {
  /** Every shop the sandbox holds, ordered by modify_date then id. Materialises the table: for tests. */
  shops(): readonly GuanyiShop[];
  /** Ends every request held by a `timeout` fault; the sandbox server calls it on shutdown. */
  releaseHeld(): void;
  /** The documents a write operation saved, by business key (platform_code, code, …), with their save counts. */
  documents(operation: string): ReadonlyMap<string, { readonly document: Record<string, unknown>; readonly saves: number }>;
}

/** The one method the sandbox serves. */
export const SHOP_GET = "gy.erp.shop.get";
/** Largest `page_size` accepted (the catalog's limit). */
export const GUANYI_MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 10;
const DATE_FORMAT = "yyyy-MM-dd HH:mm:ss";

/** `success:false` answers: [errorCode, errorDesc]. Invented codes, see the header. */
const ERRORS = {
  badRequest: ["0001", "请求格式错误"],
  appkey: ["0002", "appkey不存在或已停用"],
  sessionkey: ["0003", "sessionkey无效"],
  sign: ["0004", "签名错误"],
  method: ["0005", "接口方法不存在"],
  param: ["0006", "参数错误"],
  throttle: ["0008", "接口调用过于频繁，请稍后再试"],
  busy: ["0009", "系统繁忙，请稍后再试"],
} as const satisfies Record<string, readonly [string, string]>;
type ErrorName = keyof typeof ERRORS;

const HTML_PAGE =
  '<!DOCTYPE html><html><head><meta charset="utf-8"><title>管易云</title></head><body><h1>系统维护中</h1><p>系统正在升级维护，请稍后访问。</p></body></html>';
const ERROR_500 = "500 Internal Server Error";

type Answer = Record<string, unknown>;

/**
 * Creates the Guanyi sandbox over `ctx.records` shops generated from `ctx.seed`, dated before
 * `ctx.now()`; the other reads of `catalog` (default: the built-in spec) serve records generated
 * from their schemas.
 */
export function createGuanyiSandbox(ctx: SandboxContext, catalog?: ConnectorCatalog): GuanyiSandbox {
  const table = new ShopTable(ctx.seed, Math.max(0, Math.floor(ctx.records)), ctx.now());
  const expected = SANDBOX_CREDENTIALS.guanyi;
  const calls = new Map<string, number>();
  const faults = new Map<string, number>();
  const errors = new Map<string, number>();
  const held = new HeldSockets();
  let all: readonly GuanyiShop[] | undefined;
  const operations = (catalog ?? loadSystems().catalogs.find((c) => c.name === "guanyi"))?.operations ?? [];
  const reads = new SpecReads(Math.min(ctx.records, 500), ctx.seed, ctx.now);
  const documents = new Map<string, { document: Record<string, unknown>; saves: number }>();

  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  function refuse(name: ErrorName, method: string, sub: { code?: string; desc?: string } = {}): Answer {
    const [errorCode, errorDesc] = ERRORS[name];
    bump(errors, errorCode);
    return { success: false, errorCode, subErrorCode: sub.code ?? "", errorDesc, subErrorDesc: sub.desc ?? "", requestMethod: method };
  }

  /** The real answer: authentication, then the method. Never throws. */
  function answer(httpMethod: string | undefined, raw: string, body: Record<string, unknown> | undefined, method: string): Answer {
    if (httpMethod !== "POST") return refuse("badRequest", method, { desc: "仅支持POST请求" });
    if (body === undefined) return refuse("badRequest", method, { desc: "请求体不是合法的JSON对象" });
    if (body.appkey !== expected.FERRY_GUANYI_APPKEY) return refuse("appkey", method);
    if (body.sessionkey !== expected.FERRY_GUANYI_SESSIONKEY) return refuse("sessionkey", method);
    if (!verifyGuanyi(raw, expected.FERRY_GUANYI_SECRET)) return refuse("sign", method);
    if (method === SHOP_GET) return shopGet(body);
    // Every other read of Guanyi's spec is served from records generated from its schema; its writes
    // are checked for the fields the spec requires and kept, each document's saves counted.
    const write = operations.find((o) => o.name === method && o.direction === "write");
    if (write) return saveDocument(write, body);
    const op = operations.find((o) => o.name === method && o.direction === "read");
    if (!op) return refuse("method", method, { desc: `不支持的方法: ${method}` });
    const read = reads.answer(op, body);
    if ("refused" in read) return refuse("param", method, { desc: read.refused });
    const answer: Answer = { success: true, errorCode: "", subErrorCode: "", errorDesc: "", subErrorDesc: "", requestMethod: method };
    answer[op.response?.records ?? "records"] = read.page;
    if (op.response?.total) answer[op.response.total] = read.total;
    return answer;
  }

  /** A write of the spec: the document's required fields present, then kept under its business key. */
  function saveDocument(op: OperationSchema, body: Record<string, unknown>): Answer {
    const { appkey: _a, sessionkey: _s, method: _m, sign: _g, ...document } = body;
    for (const field of op.record?.fields ?? []) {
      const value = document[field.name];
      if (field.required && (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0))) {
        return refuse("param", op.name, { desc: `${field.label ?? field.name}(${field.name})不能为空` });
      }
    }
    const key = ["platform_code", "code", "item_code", "barcode"].map((k) => document[k]).find((v) => typeof v === "string" || typeof v === "number");
    const id = String(key ?? `${op.name}#${documents.size + 1}`);
    const saved = documents.get(`${op.name}\u0000${id}`);
    documents.set(`${op.name}\u0000${id}`, { document, saves: (saved?.saves ?? 0) + 1 });
    return { success: true, errorCode: "", subErrorCode: "", errorDesc: "", subErrorDesc: "", requestMethod: op.name, code: id };
  }

  function shopGet(body: Record<string, unknown>): Answer {
    const bad = (desc: string) => refuse("param", SHOP_GET, { desc });
    const pageNo = intParam(body.page_no, 1);
    if (pageNo === undefined || pageNo < 1) return bad("page_no必须是大于0的整数");
    const pageSize = intParam(body.page_size, DEFAULT_PAGE_SIZE);
    if (pageSize === undefined || pageSize < 1) return bad("page_size必须是大于0的整数");
    if (pageSize > GUANYI_MAX_PAGE_SIZE) return bad(`page_size不能大于${GUANYI_MAX_PAGE_SIZE}`);
    const start = dateParam(body.modify_start_date);
    if (start === null) return bad(`modify_start_date格式错误，应为${DATE_FORMAT}`);
    const end = dateParam(body.modify_end_date);
    if (end === null) return bad(`modify_end_date格式错误，应为${DATE_FORMAT}`);
    if (body.code !== undefined && typeof body.code !== "string") return bad("code必须是字符串");

    // Rows matching the window are the index range [lo, hi): modification times rise with the index.
    let lo = start === undefined ? 0 : table.firstAtOrAfter(start);
    let hi = end === undefined ? table.size : table.firstAtOrAfter(end);
    if (typeof body.code === "string" && body.code !== "") {
      const i = table.indexOfCode(body.code);
      [lo, hi] = i !== undefined && i >= lo && i < hi ? [i, i + 1] : [0, 0];
    }
    const total = Math.max(0, hi - lo);
    const shops: GuanyiShop[] = [];
    const from = lo + (pageNo - 1) * pageSize;
    for (let i = from; i < Math.min(hi, from + pageSize); i++) shops.push(table.shop(i));
    return { success: true, errorCode: "", subErrorCode: "", errorDesc: "", subErrorDesc: "", requestMethod: SHOP_GET, shops, total };
  }

  function inject(fault: Exclude<SandboxFault, "lost">, method: string, res: ServerResponse): void {
    if (isWireFault(fault)) {
      return answerWireFault(fault, res, held, {
        html: HTML_PAGE,
        jsonType: "application/json;charset=UTF-8",
        truncated: () => {
          const shops = Array.from({ length: Math.min(3, table.size) }, (_, i) => table.shop(i));
          const whole = JSON.stringify({ success: true, errorCode: "", subErrorCode: "", errorDesc: "", subErrorDesc: "", requestMethod: method, shops, total: table.size });
          return whole.slice(0, Math.floor(whole.length / 2));
        },
      });
    }
    switch (fault) {
      case "500":
        return sendText(res, 500, "text/plain; charset=utf-8", ERROR_500);
      case "throttle":
        return sendJson(res, refuse("throttle", method));
      case "session-lost":
        return sendJson(res, refuse("busy", method));
    }
  }

  return {
    system: "guanyi",
    owns: (path) => path === GUANYI_PATH,
    async handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
      const raw = body.toString("utf8");
      const parsed = parseObject(raw);
      const method = typeof parsed?.method === "string" ? parsed.method : "";
      bump(calls, method || "(none)");
      const fault = ctx.dice.roll("guanyi", method || "(none)");
      if (fault !== null) bump(faults, `${method || "(none)"}:${fault}`);
      if (fault !== null && fault !== "lost") return inject(fault, method, res);
      const answered = answer(req.method, raw, parsed, method);
      if (fault === "lost") return loseAnswer(res);
      sendJson(res, answered);
    },
    stats: () => ({
      calls: Object.fromEntries(calls),
      faults: Object.fromEntries(faults),
      errors: Object.fromEntries(errors),
      shops: table.size,
    }),
    shops: () => (all ??= Array.from({ length: table.size }, (_, i) => table.shop(i))),
    documents: (operation) => new Map([...documents].filter(([k]) => k.startsWith(`${operation}\u0000`)).map(([k, v]) => [k.slice(operation.length + 1), v])),
    releaseHeld: () => {
      held.release();
    },
  };
}

/** The body as a JSON object, or undefined. */
function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** An integer param (a JSON number or a digit string, as form-minded clients send), `fallback` when absent. */
function intParam(value: unknown, fallback: number): number | undefined {
  if (value === undefined || value === null || value === "") return fallback;
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === "string" && /^\d{1,9}$/.test(value)) return Number(value);
  return undefined;
}

/** Epoch seconds of a `yyyy-MM-dd HH:mm:ss` Shanghai time; undefined when absent, null when unreadable. */
function dateParam(value: unknown): number | undefined | null {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") return null;
  const parsed = parseDateTime(value, DATE_FORMAT);
  return parsed ? Math.floor(instantOf(parsed.wall, SHANGHAI_UTC_OFFSET_MINUTES) / 1000) : null;
}

function sendJson(res: ServerResponse, answer: Answer): void {
  sendText(res, 200, "application/json;charset=UTF-8", JSON.stringify(answer));
}

