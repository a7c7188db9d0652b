/**
 * Banniu's answer envelope, `{"response":{"code":0,"error_msg":null,…}}`, and what a non-zero code
 * means to the runtime. Banniu publishes no code table, so errors are classified mostly by their
 * message (the gateway's Chinese wording) plus the few codes that are conventional (7 and 429 for
 * throttling, 5xx for the system); anything unrecognised is `rejected`, so it surfaces instead of
 * being retried blindly.
 */
import { CallError, type FaultKind } from "../../runtime/faults.js";
import type { SecretMasker } from "../../runtime/secrets.js";
import { kindOf, quote } from "../http/answer.js";

/** Longest error_msg kept in a message or a row's reason. */
const MESSAGE_CHARS = 200;

/** A non-zero `code` with its `error_msg`. */
export interface BanniuError {
  readonly code: number;
  readonly message: string;
}

/** The `response` object of a successful answer; throws CallError for a malformed one, returns the error otherwise. */
export function openEnvelope(call: string, answer: unknown): { readonly response: Record<string, unknown> } | { readonly error: BanniuError } {
  const response = isObject(answer) ? answer.response : undefined;
  if (!isObject(response)) {
    throw new CallError(call, "malformed", `answer has no "response" object (found ${kindOf(response)} there): not Banniu's envelope`);
  }
  const code = codeOf(response.code);
  if (code === undefined) throw new CallError(call, "malformed", `answer has ${kindOf(response.code)} at response.code, not a number`);
  if (code === 0) return { response };
  const said = response.error_msg;
  return { error: { code, message: typeof said === "string" && said.trim() !== "" ? said : "(no error_msg)" } };
}

/** Codes arrive as numbers; a numeric string is accepted, since gateways differ. */
function codeOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/**
 * Checked in order: a message naming the clock is about the timestamp, not the credentials. `call`
 * marks refusals of the request itself (clock, method, version), which no row can be blamed for.
 */
const RULES: readonly { readonly kind: FaultKind; readonly test: (e: BanniuError) => boolean; readonly hint?: string; readonly call?: true }[] = [
  {
    kind: "throttled",
    test: (e) => e.code === 7 || e.code === 429 || /限流|频繁|频率|请求过多|调用次数|too many|rate.?limit|call.?limit/i.test(e.message),
  },
  { kind: "rejected", test: (e) => /时间戳|timestamp/i.test(e.message), hint: "check this machine's clock (Banniu compares it with its own)", call: true },
  {
    kind: "credentials",
    test: (e) => e.code === 401 || e.code === 403 || /token|签名|sign|app_?key|授权|认证|鉴权|过期|expired|unauthori[sz]ed/i.test(e.message),
    hint: "check FERRY_BANNIU_APP_KEY, FERRY_BANNIU_APP_SECRET and FERRY_BANNIU_ACCESS_TOKEN",
  },
  { kind: "rejected", test: (e) => /方法不存在|请求方式|API版本|unknown method|version/i.test(e.message), call: true },
  { kind: "rejected", test: (e) => /参数|不能为空|不能超过|跨度|格式|不存在|不支持|不匹配|无效|invalid|missing|required/i.test(e.message) },
  { kind: "server", test: (e) => (e.code >= 500 && e.code <= 599) || /系统|服务|内部|繁忙|异常|稍后|超时|busy|internal|unavailable/i.test(e.message) },
];

const ruleOf = (error: BanniuError) => RULES.find((rule) => rule.test(error));

/** What a non-zero code means to the runtime. */
export function classify(error: BanniuError): FaultKind {
  return ruleOf(error)?.kind ?? "rejected";
}

/**
 * Whether a write's error is about the row sent (unknown task, bad column: the row's `{ok:false}`)
 * rather than the call (clock, credentials, throttling: a thrown CallError).
 */
export function isRowRefusal(error: BanniuError): boolean {
  const rule = ruleOf(error);
  return rule === undefined || (rule.kind === "rejected" && rule.call !== true);
}

/** `code 40020 "工单不存在"`, masked, then quoted and cut short: for messages and per-row reasons. */
export function describe(error: BanniuError, masker: SecretMasker): string {
  return `code ${error.code} "${quote(masker.mask(error.message), MESSAGE_CHARS)}"`;
}

/** The CallError a non-zero code becomes. */
export function envelopeError(call: string, error: BanniuError, masker: SecretMasker): CallError {
  const rule = ruleOf(error);
  const kind = rule?.kind ?? "rejected";
  const hint = rule?.hint ? `: ${rule.hint}` : "";
  return new CallError(call, kind, `Banniu answered ${describe(error, masker)}${hint}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
