/**
 * The Banniu (班牛) sandbox: answers `/gateway/api/miniAPI` as SYSTEMS.md describes Banniu. It checks
 * app_key, sign, timestamp (±10 minutes of `ctx.now()`), access_token and, on POST, the Bearer header
 * like the gateway; serves the seeded tasks of project 27912 (./sandbox-data.ts); keeps updates and
 * counts saves per task; and injects the faults its FaultDice decides before any other processing.
 *
 * Banniu publishes no code table, so the codes below are invented; messages are in the gateway's
 * style (Chinese, HTTP 200, `{"response":{"code":…,"error_msg":…}}`), and the words are what the
 * client classifies by.
 *
 * task.list: `page_size` defaults to 50 and may not exceed 100 (the seed flow asks for 100);
 * `star_created` inclusive, `end_created` exclusive; `task_status` filters column 27970;
 * `condition_column` is accepted and ignored (its semantics are unpublished).
 *
 * task.batchUpdate answers per-item results `{"task_id","code","error_msg"}` in request order at
 * `response.map.result` (a guess: SYSTEMS.md gives only the request), at most 100 items per call;
 * any fault rolled for `task.batchUpdate.item` throttles that one item (code 7, not applied).
 *
 * task.getTask (GET, `project_id`, `task_id`, in Banniu's public clients) answers the task as a
 * task.list row, updated columns included, at `response.map.result` (the shape is a guess too);
 * an unknown task is 40020 "工单不存在".
 *
 * Faults: `lost` the request is carried out (an update applied), then the connection is reset
 * before the answer; `500` HTTP 500 nginx page; `html` HTTP 200 maintenance page; `truncated` half a JSON answer;
 * `reset` socket reset; `timeout` the request is held (`releaseHeld()` frees it); `throttle` code 7
 * "调用频率超限" (throttled); `session-lost` code 40003 "access_token已过期" — Banniu tokens are
 * issued out of band with no login call to redo, so a lost session is an expired token (credentials).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { instantOf, parseDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import type { SandboxFault } from "../sandbox/faults.js";
import { SANDBOX_CREDENTIALS, type SandboxContext, type SandboxHandler } from "../sandbox/handler.js";
import { BANNIU_GATEWAY_PATH } from "./client.js";
import { BANNIU_COLUMN_LIST, BANNIU_COLUMNS, BANNIU_PROJECT_ID, TaskTable, type BanniuTask } from "./sandbox-data.js";
import { verifyBanniu } from "./sign.js";
import { HeldSockets } from "../http/held-sockets.js";
import { answerWireFault, isWireFault, loseAnswer, sendText } from "../http/wire-faults.js";

export { banniuGoods, BANNIU_COLUMNS, BANNIU_PROJECT_ID, type BanniuGoods, type BanniuTask } from "./sandbox-data.js";

/** The Banniu sandbox handler, with its data and held requests exposed for tests, the demo and shutdown. */
export interface BanniuSandbox extends SandboxHandler {
  /** Every task, ordered by creation time (and id), with updated columns merged in. Materialises the table: for tests and the demo. */
  tasks(): readonly BanniuTask[];
  /** Successful updates of task `taskId`. */
  saves(taskId: number): number;
  /** Successful updates of all tasks. */
  totalSaves(): number;
  /** The columns updates have written to task `taskId`, or undefined when none has. */
  contents(taskId: number): Readonly<Record<string, string>> | undefined;
  /** Ends every request held by a `timeout` fault; the sandbox server calls it on shutdown. */
  releaseHeld(): void;
}

/** Largest `page_size` task.list accepts. */
export const BANNIU_MAX_PAGE_SIZE = 100;
/** `page_size` when the request has none. */
export const BANNIU_DEFAULT_PAGE_SIZE = 50;
/** Largest `task.batchUpdate` the sandbox accepts. */
export const BANNIU_MAX_BATCH = 100;
/** How far a request's timestamp may be from the sandbox's now. */
export const BANNIU_TIMESTAMP_TOLERANCE_MS = 10 * 60_000;

const DAY_MS = 86_400_000;
const DATE_FORMAT = "yyyy-MM-dd HH:mm:ss";
const TASK_LIST = "task.list";
const TASK_GET = "task.getTask";
const COLUMN_LIST = "column.list";
const PROJECT_LIST = "project.list";
const TASK_UPDATE = "task.update";
const TASK_BATCH_UPDATE = "task.batchUpdate";

/** Error answers: [code, error_msg]. Invented codes, see the header. */
const ERRORS = {
  sign: [40001, "签名错误"],
  appKey: [40002, "app_key无效"],
  token: [40003, "access_token无效"],
  tokenExpired: [40003, "access_token已过期，请重新授权"],
  timestamp: [40004, "timestamp无效，与服务器时间相差不能超过10分钟"],
  bearer: [40005, "Authorization无效，请使用Bearer access_token"],
  version: [40006, "不支持的API版本"],
  method: [40007, "方法不存在"],
  httpMethod: [40008, "不支持的请求方式"],
  param: [40010, "参数错误"],
  window: [40011, "查询时间跨度不能超过1天"],
  task: [40020, "工单不存在"],
  project: [40021, "群组不存在"],
  appId: [40022, "应用ID不匹配"],
  throttle: [7, "调用频率超限，请稍后再试"],
} as const satisfies Record<string, readonly [number, string]>;
type ErrorName = keyof typeof ERRORS;

const HTML_PAGE =
  '<!DOCTYPE html><html><head><meta charset="utf-8"><title>班牛</title></head><body><h1>系统维护中</h1><p>班牛开放平台正在升级，请稍后再试。</p></body></html>';
const NGINX_500 = "<html><head><title>500 Internal Server Error</title></head><body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>";

type Answer = { readonly response: Record<string, unknown> };
/** The outcome of one update: null on success, else the error. */
type UpdateError = { readonly code: number; readonly error_msg: string } | null;

/** Creates the Banniu sandbox over `ctx.records` tasks generated from `ctx.seed`, created in the two days before `ctx.now()`. */
export function createBanniuSandbox(ctx: SandboxContext): BanniuSandbox {
  const table = new TaskTable(ctx.seed, Math.max(0, Math.floor(ctx.records)), ctx.now());
  const expected = SANDBOX_CREDENTIALS.banniu;
  const written = new Map<number, Record<string, string>>();
  const saveCounts = new Map<number, number>();
  const calls = new Map<string, number>();
  const faults = new Map<string, number>();
  const errors = new Map<string, number>();
  const held = new HeldSockets();
  let saveTotal = 0;

  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  function refuse(name: ErrorName, detail?: string): Answer {
    const [code, message] = ERRORS[name];
    bump(errors, String(code));
    return { response: { code, error_msg: detail === undefined ? message : `${message}：${detail}` } };
  }

  /** Task `index` with its updated columns merged in. */
  function taskAt(index: number): BanniuTask {
    const task = table.task(index);
    const update = written.get(task.id);
    return update ? { ...task, columns: { ...task.columns, ...update } } : task;
  }

  /** The gateway's checks, in its order, then the method. Never throws. */
  function answer(req: IncomingMessage, query: URLSearchParams, body: Buffer, method: string): Answer {
    if (query.get("app_key") !== expected.FERRY_BANNIU_APP_KEY) return refuse("appKey");
    if (!verifyBanniu(query, expected.FERRY_BANNIU_APP_SECRET)) return refuse("sign");
    const sent = parseShanghai(query.get("timestamp"));
    if (sent === undefined || Math.abs(sent - ctx.now()) > BANNIU_TIMESTAMP_TOLERANCE_MS) return refuse("timestamp");
    if (query.get("v") !== "1") return refuse("version", `v=${query.get("v") ?? ""}`);
    if (query.get("access_token") !== expected.FERRY_BANNIU_ACCESS_TOKEN) return refuse("token");
    const post = method === TASK_UPDATE || method === TASK_BATCH_UPDATE;
    if (method !== TASK_LIST && method !== TASK_GET && method !== COLUMN_LIST && method !== PROJECT_LIST && !post) return refuse("method", method);
    if (req.method !== (post ? "POST" : "GET")) return refuse("httpMethod", `${method}请使用${post ? "POST" : "GET"}`);
    if (method === TASK_GET) return getTask(query);
    if (method === COLUMN_LIST) return columnList(query);
    // The one project the sandbox holds; a real tenant lists every project the token can see.
    if (method === PROJECT_LIST) return { response: { code: 0, error_msg: null, map: { result: [{ project_id: Number(BANNIU_PROJECT_ID), name: "售后工单" }] } } };
    if (!post) return taskList(query);
    if (req.headers.authorization !== `Bearer ${expected.FERRY_BANNIU_ACCESS_TOKEN}`) return refuse("bearer");
    const parsed = parseObject(body);
    if (parsed === undefined) return refuse("param", "请求体不是合法的JSON对象");
    return method === TASK_UPDATE ? taskUpdate(parsed) : taskBatchUpdate(parsed);
  }

  function taskList(query: URLSearchParams): Answer {
    const bad = (detail: string) => refuse("param", detail);
    const project = query.get("project_id");
    if (!project) return bad("project_id不能为空");
    if (project !== BANNIU_PROJECT_ID) return refuse("project", project);
    const startText = query.get("star_created");
    const endText = query.get("end_created");
    if (!startText || !endText) return bad("star_created和end_created不能为空");
    const start = parseShanghai(startText);
    const end = parseShanghai(endText);
    if (start === undefined || end === undefined) return bad(`时间格式应为${DATE_FORMAT}`);
    if (end < start) return bad("end_created不能早于star_created");
    if (end - start > DAY_MS) return refuse("window");
    const pageNum = intParam(query.get("page_num"), 1);
    if (pageNum === undefined || pageNum < 1) return bad("page_num必须是大于0的整数");
    const pageSize = intParam(query.get("page_size"), BANNIU_DEFAULT_PAGE_SIZE);
    if (pageSize === undefined || pageSize < 1) return bad("page_size必须是大于0的整数");
    if (pageSize > BANNIU_MAX_PAGE_SIZE) return bad(`page_size不能超过${BANNIU_MAX_PAGE_SIZE}`);
    const status = query.get("task_status");

    // Creation times rise with the index, so the window is the index range [lo, hi).
    const lo = table.firstAtOrAfter(start);
    const hi = table.firstAtOrAfter(end);
    let matching: number[] | undefined;
    if (status !== null && status !== "") {
      matching = [];
      for (let i = lo; i < hi; i++) if (taskAt(i).columns[BANNIU_COLUMNS.status] === status) matching.push(i);
    }
    const total = matching ? matching.length : hi - lo;
    const from = (pageNum - 1) * pageSize;
    const result: Record<string, string | number>[] = [];
    for (let k = from; k < Math.min(total, from + pageSize); k++) result.push({ ...taskAt(matching ? (matching[k] as number) : lo + k).columns });
    return {
      response: { code: 0, error_msg: null, total_results: total, page_no: pageNum, page_size: pageSize, has_next: from + pageSize < total, map: { result } },
    };
  }

  /** The project's columns: what `ferry systems pull banniu --project 27912` reads. */
  function columnList(query: URLSearchParams): Answer {
    const project = query.get("project_id");
    if (!project) return refuse("param", "project_id不能为空");
    if (project !== BANNIU_PROJECT_ID) return refuse("project", project);
    return { response: { code: 0, error_msg: null, map: { result: BANNIU_COLUMN_LIST.map((c) => ({ ...c, options: c.options.map((o) => ({ ...o })), relation_options: [], son_column_bos: [] })) } } };
  }

  /** One task with its updated columns, keyed by column id as task.list rows are. */
  function getTask(query: URLSearchParams): Answer {
    const project = query.get("project_id");
    if (!project) return refuse("param", "project_id不能为空");
    if (project !== BANNIU_PROJECT_ID) return refuse("project", project);
    const text = query.get("task_id") ?? "";
    if (!/^\d{1,15}$/.test(text)) return refuse("param", "task_id必须是整数");
    const index = table.indexOf(Number(text));
    if (index === undefined) return refuse("task", text);
    return { response: { code: 0, error_msg: null, map: { result: { ...taskAt(index).columns } } } };
  }

  /** Validates and applies one update; shared by task.update and each item of task.batchUpdate. */
  function update(item: Record<string, unknown>): UpdateError {
    const fail = (name: ErrorName, detail?: string): UpdateError => {
      const [code, message] = ERRORS[name];
      bump(errors, String(code));
      return { code, error_msg: detail === undefined ? message : `${message}：${detail}` };
    };
    const project = item.project_id;
    if (project === undefined || project === null || project === "") return fail("param", "project_id不能为空");
    if (String(project) !== BANNIU_PROJECT_ID) return fail("project", String(project));
    if (item.app_id === undefined || item.app_id === null || item.app_id === "") return fail("param", "app_id不能为空");
    if (String(item.app_id) !== expected.FERRY_BANNIU_APP_ID) return fail("appId");
    const id = typeof item.task_id === "string" && /^\d{1,15}$/.test(item.task_id) ? Number(item.task_id) : item.task_id;
    if (typeof id !== "number" || !Number.isSafeInteger(id)) return fail("param", "task_id必须是整数");
    if (table.indexOf(id) === undefined) return fail("task", String(id));
    const contents = item.contents;
    if (contents === null || typeof contents !== "object" || Array.isArray(contents) || Object.keys(contents).length === 0) return fail("param", "contents不能为空");
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(contents as Record<string, unknown>)) {
      // Column ids are numbers; a name here is a mapping mistake the real gateway also refuses.
      if (!/^\d+$/.test(key)) return fail("param", `字段ID无效：${key}`);
      if (value !== null && typeof value !== "string" && typeof value !== "number") return fail("param", `字段${key}的值必须是字符串`);
      values[key] = value === null ? "" : String(value);
    }
    written.set(id, { ...written.get(id), ...values });
    saveCounts.set(id, (saveCounts.get(id) ?? 0) + 1);
    saveTotal += 1;
    return null;
  }

  function taskUpdate(body: Record<string, unknown>): Answer {
    const error = update(body);
    return { response: error ? { ...error } : { code: 0, error_msg: null, map: { task_id: body.task_id } } };
  }

  function taskBatchUpdate(body: Record<string, unknown>): Answer {
    const data = body.data;
    if (!Array.isArray(data) || data.length === 0) return refuse("param", "data不能为空");
    if (data.length > BANNIU_MAX_BATCH) return refuse("param", `data不能超过${BANNIU_MAX_BATCH}条`);
    const result = data.map((item: unknown) => {
      // Items are throttled one by one too (fault spec `banniu.task.batchUpdate.item:throttle@N%`):
      // the call succeeds, that item is not applied and says so.
      const itemFault = ctx.dice.roll("banniu", `${TASK_BATCH_UPDATE}.item`);
      if (itemFault !== null) bump(faults, `${TASK_BATCH_UPDATE}.item:${itemFault}`);
      const throttled = itemFault === null ? null : { code: ERRORS.throttle[0], error_msg: ERRORS.throttle[1] };
      const error = throttled ?? (isObject(item) ? update(item) : { code: ERRORS.param[0], error_msg: `${ERRORS.param[1]}：data的元素必须是对象` });
      const taskId = isObject(item) ? (item.task_id ?? null) : null;
      return error ? { task_id: taskId, ...error } : { task_id: taskId, code: 0, error_msg: null };
    });
    return { response: { code: 0, error_msg: null, map: { result } } };
  }

  function inject(fault: Exclude<SandboxFault, "lost">, res: ServerResponse): void {
    if (isWireFault(fault)) {
      return answerWireFault(fault, res, held, {
        html: HTML_PAGE,
        jsonType: "application/json;charset=UTF-8",
        truncated: () => {
          const rows = Array.from({ length: Math.min(3, table.size) }, (_, i) => taskAt(i).columns);
          const whole = JSON.stringify({ response: { code: 0, error_msg: null, total_results: table.size, page_no: 1, page_size: 3, has_next: true, map: { result: rows } } });
          return whole.slice(0, Math.floor(whole.length / 2));
        },
      });
    }
    switch (fault) {
      case "500":
        return sendText(res, 500, "text/html", NGINX_500);
      case "throttle":
        return sendJson(res, refuse("throttle"));
      case "session-lost":
        return sendJson(res, refuse("tokenExpired"));
    }
  }

  return {
    system: "banniu",
    owns: (path) => path === BANNIU_GATEWAY_PATH,
    async handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
      const query = new URL(req.url ?? "/", "http://sandbox").searchParams;
      const method = query.get("method") || "(none)";
      bump(calls, method);
      const fault = ctx.dice.roll("banniu", method);
      if (fault !== null) bump(faults, `${method}:${fault}`);
      if (fault !== null && fault !== "lost") return inject(fault, res);
      let answered: Answer;
      try {
        answered = answer(req, query, body, method);
      } catch (error) {
        // A bug here must look like Banniu's own failure, not hang or kill the server.
        answered = { response: { code: 50000, error_msg: `系统内部错误：${String(error)}` } };
      }
      if (fault === "lost") return loseAnswer(res);
      sendJson(res, answered);
    },
    stats: () => ({
      calls: Object.fromEntries(calls),
      faults: Object.fromEntries(faults),
      errors: Object.fromEntries(errors),
      tasks: table.size,
      saves: saveTotal,
    }),
    tasks: () => Array.from({ length: table.size }, (_, i) => taskAt(i)),
    saves: (taskId) => saveCounts.get(taskId) ?? 0,
    totalSaves: () => saveTotal,
    contents: (taskId) => {
      const columns = written.get(taskId);
      return columns ? { ...columns } : undefined;
    },
    releaseHeld: () => {
      held.release();
    },
  };
}

/** Epoch ms of a `yyyy-MM-dd HH:mm:ss` Shanghai time; undefined when absent or unreadable. */
function parseShanghai(text: string | null): number | undefined {
  if (text === null) return undefined;
  const parsed = parseDateTime(text, DATE_FORMAT);
  return parsed ? instantOf(parsed.wall, SHANGHAI_UTC_OFFSET_MINUTES) : undefined;
}

/** A digit-string param, `fallback` when absent; undefined when not a whole number. */
function intParam(value: string | null, fallback: number): number | undefined {
  if (value === null || value === "") return fallback;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The body as a JSON object, or undefined. */
function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, answer: Answer): void {
  sendText(res, 200, "application/json;charset=UTF-8", JSON.stringify(answer));
}

