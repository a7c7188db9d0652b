/**
 * The Kingdee K3Cloud sandbox: answers `POST /K3Cloud/<Service>.common.kdsvc` as SYSTEMS.md describes
 * Kingdee — login services with session cookies, signature headers, BatchSave with per-row DIndex
 * results, ExecuteBillQuery as a 2-D array — and injects the faults its FaultDice decides, before
 * any other processing. Data: ./sandbox-forms.ts; who is calling: ./sandbox-auth.ts.
 *
 * Fault mapping (operation = the service's last segment: BatchSave, ExecuteBillQuery, ValidateUser…):
 * - `500` HTTP 500 with ASP.NET's error page; `html` HTTP 200 text/html; `truncated` half a JSON answer;
 * - `reset` the socket is reset; `timeout` the request is held until `releaseHeld()` (or the client gives up);
 * - `throttle` MsgCode 14 (调用次数已达上限); `session-lost` the caller's session is dropped, MsgCode 1.
 *
 * Where Kingdee's behaviour is not documented, the choice is noted: a bad signature header is answered
 * MsgCode 2 (no permission), and an unknown FNumber in BatchSave creates the row, a known one updates it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SandboxFault } from "../sandbox/faults.js";
import type { SandboxContext, SandboxHandler } from "../sandbox/handler.js";
import { checkLogin, checkSignatureHeaders, isSigned } from "./sandbox-auth.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { seededRandom } from "../../runtime/random.js";
import { businessInfo, FormTable, KingdeeRefusal, parseFilter, sandboxForm, type SandboxError, type SaveOptions } from "./sandbox-forms.js";
import { HeldSockets } from "../http/held-sockets.js";
import { answerWireFault, isWireFault, losingAnswer, sendText } from "../http/wire-faults.js";

/** The Kingdee sandbox, with its data and controls exposed for tests and shutdown. */
export interface KingdeeSandbox extends SandboxHandler {
  /** BD_Customer rows by FNumber, as stored (FCUSTID included). */
  customers(): ReadonlyMap<string, Record<string, unknown>>;
  /** How many times the customer with this FNumber was saved (created or updated). */
  saves(number: string): number;
  /** The forms that hold rows saved by a client (not the seeded materials' alone), by id. */
  savedForms(): readonly string[];
  /** Rows of any form by business number (FNumber, FBillNo, …), as stored; empty for a form never saved. */
  rows(formId: string): ReadonlyMap<string, Record<string, unknown>>;
  /** How many times the row of `formId` with this business number was saved. */
  savesOf(formId: string, number: string): number;
  /** Rows saved across all forms. */
  totalSaves(): number;
  /** Forgets every session: the next data call of each client gets MsgCode 1. */
  expireSessions(): void;
  /** Ends every request held by a `timeout` fault; the sandbox server calls it on shutdown. */
  releaseHeld(): void;
}

const SERVICE_SUFFIX = ".common.kdsvc";
const MAX_QUERY_ROWS = 2000;

const SESSION_LOST = "会话信息已丢失，请重新登录";
const LIMIT_REACHED = "接口调用次数已达上限，请稍后再试";
const HTML_PAGE =
  '<!DOCTYPE html><html><head><meta charset="utf-8"><title>金蝶云星空</title></head><body><h1>服务暂时不可用</h1><p>系统正在维护，请稍后再试。</p></body></html>';
const ERROR_500 =
  "<!DOCTYPE html><html><head><title>Runtime Error</title></head><body><h1>Server Error in '/K3Cloud' Application.</h1><h2><i>Runtime Error</i></h2></body></html>";

type Json = unknown;
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Kingdee's failure envelope for a whole call. */
function failure(msgCode: number, message: string): Json {
  return { Result: { ResponseStatus: { IsSuccess: false, ErrorCode: 500, MsgCode: msgCode, Errors: [{ FieldName: null, Message: message, DIndex: 0 }] } } };
}

/** Materials as a tenant has them: numbered MAT0001…, changed at spread times over the two days before `now`. */
export function sandboxMaterials(count: number, seed: number, now: number): Record<string, unknown>[] {
  const random = seededRandom(seed ^ 0x6d617431);
  const at = (i: number) => formatDateTime(now - 60_000 - Math.floor(((count - i) * 2 * 86_400_000) / Math.max(1, count)), "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);
  return Array.from({ length: count }, (_, i) => ({
    FNumber: `MAT${String(i + 1).padStart(4, "0")}`,
    FName: `物料${i + 1}`,
    FSpecification: `${10 + Math.floor(random() * 90)}×${10 + Math.floor(random() * 90)} mm`,
    FCreateOrgId: { FNumber: "100" },
    FUseOrgId: { FNumber: random() < 0.8 ? "100" : "101" },
    FCreateDate: at(0),
    FModifyDate: at(i),
    FDocumentStatus: "C",
    FForbidStatus: "A",
  }));
}

/** ExecuteBillQuery answers its failures inside the 2-D array it would have answered. */
function answerFor(op: string, answer: Json): Json {
  return op === "ExecuteBillQuery" ? [[answer]] : answer;
}

/**
 * Creates the Kingdee sandbox: no sessions, empty tables but BD_MATERIAL, which holds `ctx.records`
 * materials changed over the two days before now (a tenant's base data, for flows that read Kingdee).
 */
export function createKingdeeSandbox(ctx: SandboxContext): KingdeeSandbox {
  const tables = new Map<string, FormTable>();
  const sessions = new Map<string, string>();
  const calls = new Map<string, number>();
  const held = new HeldSockets();

  const table = (formId: string): FormTable | undefined => {
    const form = sandboxForm(formId);
    if (!form) return undefined;
    let found = tables.get(form.id);
    if (!found) tables.set(form.id, (found = new FormTable(form)));
    return found;
  };
  const customers = () => table("BD_Customer") as FormTable;
  if (ctx.records > 0) table("BD_MATERIAL")?.seed(sandboxMaterials(ctx.records, ctx.seed, ctx.now()));

  function sessionOf(req: IncomingMessage): string | undefined {
    const header = req.headers["kdservice-sessionid"];
    if (typeof header === "string" && header !== "") return header;
    for (const part of (req.headers.cookie ?? "").split(";")) {
      const [name = "", ...value] = part.split("=");
      if (name.trim() === "kdservice-sessionid") return value.join("=").trim();
    }
    return undefined;
  }

  function inject(fault: Exclude<SandboxFault, "lost">, op: string, req: IncomingMessage, res: ServerResponse): void {
    if (isWireFault(fault)) {
      return answerWireFault(fault, res, held, {
        html: HTML_PAGE,
        jsonType: "application/json; charset=utf-8",
        truncated: () =>
          op === "ExecuteBillQuery"
            ? '[["C0001","杭州'
            : op.startsWith("Login") || op === "ValidateUser"
              ? '{"Message":null,"MessageCode":"CheckPasswordPolicy","LoginResultType":1,"Con'
              : '{"Result":{"ResponseStatus":{"IsSuccess":true,"Errors":[],"SuccessEntitys":[{"Id":100001,"Num',
      });
    }
    switch (fault) {
      case "500":
        return sendText(res, 500, "text/html; charset=utf-8", ERROR_500);
      case "throttle":
        return sendJson(res, answerFor(op, failure(14, LIMIT_REACHED)));
      case "session-lost": {
        const id = sessionOf(req);
        if (id !== undefined) sessions.delete(id);
        return sendJson(res, answerFor(op, failure(1, SESSION_LOST)));
      }
    }
  }

  function login(service: string, body: Json, res: ServerResponse): void {
    const check = checkLogin(service, isRecord(body) ? body.parameters : undefined, ctx.now());
    const common = { MessageCode: "CheckPasswordPolicy", FormId: null, RedirectFormParam: null, FormInputObject: null, ErrorStackTrace: null, Lcid: 0, AccessToken: null };
    if (!check.ok) return sendJson(res, { Message: check.message, ...common, LoginResultType: check.type, Context: null, KDSVCSessionId: null, IsSuccessByAPI: false });
    const id = randomUUID();
    sessions.set(id, check.user);
    const aspNet = randomBytes(12).toString("hex");
    const context = { UserLocale: "zh-CN", LogLocale: "zh-CN", DBid: "sandbox-acct", DatabaseType: 3, SessionId: id, UserName: check.user, DataCenterName: "沙箱数据中心" };
    sendJson(res, { Message: null, ...common, LoginResultType: 1, Context: context, KDSVCSessionId: id, IsSuccessByAPI: true }, {
      "set-cookie": [`kdservice-sessionid=${id}; path=/`, `ASP.NET_SessionId=${aspNet}; path=/; HttpOnly`],
    });
  }

  /** The caller's user, or the answer that refuses the call. */
  function authorize(req: IncomingMessage, op: string, path: string): { user: string } | { refusal: Json } {
    if (isSigned(req.headers)) {
      const check = checkSignatureHeaders(req.headers, req.url ?? path, ctx.now());
      return check.ok ? { user: check.user } : { refusal: answerFor(op, failure(2, check.message)) };
    }
    const id = sessionOf(req);
    const user = id === undefined ? undefined : sessions.get(id);
    return user === undefined ? { refusal: answerFor(op, failure(1, SESSION_LOST)) } : { user };
  }

  function batchSave(body: Json): Json {
    const [formId, data] = formAndData(body);
    if (!formId) throw new KingdeeRefusal(8, "formid 参数不能为空");
    const forms = table(formId);
    if (!forms) throw new KingdeeRefusal(8, `业务对象“${formId}”不存在`);
    if (!isRecord(data) || !Array.isArray(data.Model)) throw new KingdeeRefusal(8, "数据包格式不正确：data.Model 必须是数组");
    if (data.Model.length === 0) throw new KingdeeRefusal(8, "数据包格式不正确：data.Model 不能为空");
    return saveRows(forms, data.Model, data);
  }

  /** Save: one row, `data.Model` an object; answered as BatchSave answers its one row. */
  function save(body: Json): Json {
    const [formId, data] = formAndData(body);
    if (!formId) throw new KingdeeRefusal(8, "formid 参数不能为空");
    const forms = table(formId);
    if (!forms) throw new KingdeeRefusal(8, `业务对象“${formId}”不存在`);
    if (!isRecord(data) || !isRecord(data.Model)) throw new KingdeeRefusal(8, "数据包格式不正确：data.Model 必须是对象");
    return saveRows(forms, [data.Model], data);
  }

  function saveRows(forms: FormTable, model: readonly unknown[], data: Record<string, unknown>): Json {
    const outcome = forms.save(model, saveOptions(data));
    const status =
      outcome.errors.length === 0
        ? { IsSuccess: true, Errors: [] as SandboxError[], SuccessEntitys: outcome.successes, SuccessMessages: [], MsgCode: 0 }
        : { IsSuccess: false, ErrorCode: 500, MsgCode: 11, Errors: outcome.errors, SuccessEntitys: outcome.successes, SuccessMessages: [] };
    return { Result: { ResponseStatus: status, Id: "", Number: "", NeedReturnData: outcome.returnData } };
  }

  function executeBillQuery(body: Json): Json {
    const data = queryData(body);
    const formId = typeof data.FormId === "string" ? data.FormId : "";
    const forms = table(formId);
    if (!forms) throw new KingdeeRefusal(8, formId ? `业务对象“${formId}”不存在` : "FormId 参数不能为空");
    const keys = typeof data.FieldKeys === "string" ? data.FieldKeys.split(",").map((k) => k.trim()).filter((k) => k !== "") : [];
    if (keys.length === 0) throw new KingdeeRefusal(9, "FieldKeys 参数不能为空");
    const filter = parseFilter(typeof data.FilterString === "string" ? data.FilterString : "");
    const start = Math.max(0, Math.floor(Number(data.StartRow ?? 0)) || 0);
    const asked = Math.floor(Number(data.Limit ?? 0)) || 0;
    return forms.query(keys, filter, start, asked > 0 ? Math.min(asked, MAX_QUERY_ROWS) : MAX_QUERY_ROWS, typeof data.OrderString === "string" ? data.OrderString : "");
  }

  function queryBusinessInfo(body: Json): Json {
    const data = queryData(body);
    const formId = typeof data.FormId === "string" ? data.FormId : "";
    const form = formId ? sandboxForm(formId) : undefined;
    if (!form) throw new KingdeeRefusal(8, formId ? `业务对象“${formId}”不存在` : "FormId 参数不能为空");
    return { Result: { ResponseStatus: { IsSuccess: true, Errors: [], SuccessEntitys: [], SuccessMessages: [], MsgCode: 0 }, NeedReturnData: businessInfo(form) } };
  }

  function route(op: string, family: string, body: Json): Json {
    if (family !== "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService") throw new KingdeeRefusal(8, `服务“${family}.${op}”不存在`);
    if (op === "BatchSave") return batchSave(body);
    if (op === "ExecuteBillQuery") return executeBillQuery(body);
    if (op === "Save") return save(body);
    if (op === "BillQuery") {
      // Newer servers: the same query, each row an object keyed by field key.
      const keys = String(queryData(body).FieldKeys ?? "").split(",").map((k) => k.trim()).filter((k) => k !== "");
      return (executeBillQuery(body) as unknown[][]).map((row) => Object.fromEntries(keys.map((k, i) => [k, row[i] ?? null])));
    }
    if (op === "QueryBusinessInfo") return queryBusinessInfo(body);
    throw new KingdeeRefusal(8, `沙箱未实现 ${op}：只支持 BatchSave、ExecuteBillQuery 与 QueryBusinessInfo`);
  }

  return {
    system: "kingdee",
    owns: (path) => path.startsWith("/K3Cloud/"),

    async handle(req, body, res) {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const service = path.slice("/K3Cloud/".length);
      if (!service.toLowerCase().endsWith(SERVICE_SUFFIX)) return sendText(res, 404, "text/html; charset=utf-8", "<html><body>404 - Not Found</body></html>");
      const full = service.slice(0, -SERVICE_SUFFIX.length);
      const dot = full.lastIndexOf(".");
      const op = full.slice(dot + 1);
      const family = full.slice(0, Math.max(0, dot));
      calls.set(op, (calls.get(op) ?? 0) + 1);
      if (req.method !== "POST") return sendText(res, 405, "text/plain; charset=utf-8", "Method Not Allowed");
      const fault = ctx.dice.roll("kingdee", op);
      if (fault === "lost") res = losingAnswer(res);
      else if (fault) return inject(fault, op, req, res);
      let json: Json;
      try {
        json = JSON.parse(body.toString("utf8")) as Json;
      } catch {
        return sendJson(res, answerFor(op, failure(8, "请求数据不是合法的JSON")));
      }
      if (family === "Kingdee.BOS.WebApi.ServicesStub.AuthService") {
        if (["ValidateUser", "LoginByAppSecret", "LoginBySign"].includes(op)) return login(op, json, res);
        return sendJson(res, failure(8, `服务“${full}”不存在`));
      }
      const who = authorize(req, op, path);
      if ("refusal" in who) return sendJson(res, who.refusal);
      try {
        sendJson(res, route(op, family, json));
      } catch (error) {
        // Never throw at the server: every refusal is Kingdee's own envelope (MsgCode 4 for surprises).
        const refusal = error instanceof KingdeeRefusal ? error : new KingdeeRefusal(4, `服务器内部异常：${String(error)}`);
        sendJson(res, answerFor(op, failure(refusal.msgCode, refusal.message)));
      }
    },

    stats: () => {
      const faults = Object.fromEntries(Object.entries(ctx.dice.stats()).filter(([key]) => key.startsWith("kingdee.")));
      const all = [...tables.values()];
      return {
        calls: Object.fromEntries([...calls].sort(([a], [b]) => (a < b ? -1 : 1))),
        faults,
        customers: customers().size(),
        saves: all.reduce((sum, t) => sum + t.totalSaves(), 0),
        sessions: sessions.size,
      };
    },

    customers: () => customers().byNumber(),
    saves: (number) => customers().saves(number),
    rows: (formId) => table(formId)?.byNumber() ?? new Map(),
    savedForms: () => [...tables.values()].filter((t) => t.totalSaves() > 0).map((t) => t.form.id),
    savesOf: (formId, number) => table(formId)?.saves(number) ?? 0,
    totalSaves: () => [...tables.values()].reduce((sum, t) => sum + t.totalSaves(), 0),
    expireSessions: () => sessions.clear(),
    releaseHeld: () => {
      held.release();
    },
  };
}

/** BatchSave's form and data, from `{formid, data}` or the older `{parameters: [formid, data]}`; data may be a JSON string. */
function formAndData(body: Json): [string, Json] {
  if (!isRecord(body)) return ["", undefined];
  const [formId, data] = Array.isArray(body.parameters) ? [body.parameters[0], body.parameters[1]] : [body.formid ?? body.FormId, body.data];
  return [typeof formId === "string" ? formId : "", parseMaybe(data)];
}

/** ExecuteBillQuery's `data`, from `{data}` or `{parameters: [data]}`. */
function queryData(body: Json): Record<string, unknown> {
  const data = isRecord(body) ? parseMaybe(Array.isArray(body.parameters) ? body.parameters[0] : body.data) : undefined;
  if (!isRecord(data)) throw new KingdeeRefusal(8, "数据包格式不正确：缺少 data");
  return data;
}

function parseMaybe(value: Json): Json {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as Json;
  } catch {
    throw new KingdeeRefusal(8, "数据包格式不正确：data 不是合法的JSON");
  }
}

function saveOptions(data: Record<string, unknown>): SaveOptions {
  const list = (name: string): string[] => {
    const value = data[name];
    if (value === undefined || value === null) return [];
    // Kingdee takes arrays of field keys here; a comma string is a client bug worth surfacing.
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new KingdeeRefusal(8, `参数 ${name} 必须是字段标识的数组`);
    return value as string[];
  };
  return {
    verifyBaseData: data.IsVerifyBaseDataField === true,
    autoAudit: data.IsAutoSubmitAndAudit === true,
    updateFields: list("NeedUpDateFields"),
    returnFields: list("NeedReturnFields"),
  };
}


function sendJson(res: ServerResponse, body: Json, headers: Record<string, string | string[]> = {}): void {
  sendText(res, 200, "application/json; charset=utf-8", JSON.stringify(body), { headers });
}
