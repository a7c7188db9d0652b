/**
 * How the Kingdee sandbox decides who is calling: the three login services' parameters and the
 * nine signature headers, checked against SANDBOX_CREDENTIALS.kingdee with the same signature code
 * the client uses (./signature.ts), so a drift between the two shows up as a failed test.
 */
import type { IncomingHttpHeaders } from "node:http";
import { SANDBOX_CREDENTIALS } from "../sandbox/handler.js";
import { apiSigningText, hmacHexBase64, kdSignature, loginSign, splitAppId } from "./signature.js";

/** How far a signed timestamp may be from the sandbox's clock (Kingdee refused one ~13 minutes old). */
export const SIGNATURE_WINDOW_MS = 10 * 60_000;

const CREDENTIALS = SANDBOX_CREDENTIALS.kingdee;

/** A login's outcome: the user, or Kingdee's LoginResultType and message. */
export type LoginCheck = { readonly ok: true; readonly user: string } | { readonly ok: false; readonly type: 0 | -1; readonly message: string };

const refuse = (type: 0 | -1, message: string): LoginCheck => ({ ok: false, type, message });

/** Checks the positional `parameters` of a login service (ValidateUser, LoginByAppSecret, LoginBySign). */
export function checkLogin(service: string, parameters: unknown, now: number): LoginCheck {
  const counts: Readonly<Record<string, number>> = { ValidateUser: 4, LoginByAppSecret: 5, LoginBySign: 6 };
  if (!Array.isArray(parameters) || parameters.length !== counts[service]) return refuse(-1, `登录参数不正确：${service} 需要 ${counts[service] ?? "?"} 个参数`);
  const [acctId, username] = parameters.map((p) => (typeof p === "string" || typeof p === "number" ? String(p) : ""));
  if (acctId !== CREDENTIALS.FERRY_KINGDEE_ACCT_ID) return refuse(-1, `数据中心“${acctId ?? ""}”不存在，请检查账套ID`);
  const user = username ?? "";
  switch (service) {
    case "ValidateUser":
      return user === CREDENTIALS.FERRY_KINGDEE_USERNAME && parameters[2] === CREDENTIALS.FERRY_KINGDEE_PASSWORD ? { ok: true, user } : refuse(0, "用户名或密码错误！");
    case "LoginByAppSecret":
      return user === CREDENTIALS.FERRY_KINGDEE_USERNAME && parameters[2] === CREDENTIALS.FERRY_KINGDEE_APP_ID && parameters[3] === CREDENTIALS.FERRY_KINGDEE_APP_SECRET
        ? { ok: true, user }
        : refuse(0, "第三方系统登录授权验证失败：用户、应用ID或应用密钥不正确");
    default:
      return checkSign(user, parameters, now);
  }
}

/** LoginBySign: [acctId, username, appId, timestamp (seconds), sign, lcid]. */
function checkSign(user: string, parameters: readonly unknown[], now: number): LoginCheck {
  const [, , appId, timestamp, sign] = parameters;
  if (user !== CREDENTIALS.FERRY_KINGDEE_USERNAME || appId !== CREDENTIALS.FERRY_KINGDEE_APP_ID) return refuse(0, "第三方系统登录授权验证失败：用户或应用ID不正确");
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(seconds * 1000 - now) > SIGNATURE_WINDOW_MS) return refuse(-1, "时间戳已过期或不正确，请检查客户端时间");
  const expected = loginSign(CREDENTIALS.FERRY_KINGDEE_ACCT_ID, user, appId, CREDENTIALS.FERRY_KINGDEE_APP_SECRET, String(timestamp));
  return sign === expected ? { ok: true, user } : refuse(-1, "签名验证失败：sign 不正确");
}

/** A signed call's outcome: the user, or why the signature fails. */
export type HeaderCheck = { readonly ok: true; readonly user: string } | { readonly ok: false; readonly message: string };

/** Whether a request carries signature headers at all (Node lower-cases header names). */
export function isSigned(headers: IncomingHttpHeaders): boolean {
  return headers["x-kd-signature"] !== undefined || headers["x-api-signature"] !== undefined;
}

/** Checks the nine signature headers of a call to `pathAndQuery`. */
export function checkSignatureHeaders(headers: IncomingHttpHeaders, pathAndQuery: string, now: number): HeaderCheck {
  const get = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const names = ["x-api-clientid", "x-api-auth-version", "x-api-timestamp", "x-api-nonce", "x-api-signheaders", "x-api-signature", "x-kd-appkey", "x-kd-appdata", "x-kd-signature"];
  const absent = names.filter((n) => !get(n));
  if (absent.length > 0) return { ok: false, message: `签名验证失败：缺少请求头 ${absent.join(", ")}` };
  const appId = get("x-kd-appkey") ?? "";
  const { clientId, clientSecret } = splitAppId(appId);
  if (appId !== CREDENTIALS.FERRY_KINGDEE_APP_ID || get("x-api-clientid") !== clientId) return { ok: false, message: "签名验证失败：应用ID不存在" };
  const timestamp = get("x-api-timestamp") ?? "";
  if (!/^\d+$/.test(timestamp) || Math.abs(Number(timestamp) - now) > SIGNATURE_WINDOW_MS) return { ok: false, message: "签名验证失败：时间戳已过期，请检查客户端时间" };
  if (get("x-api-signature") !== hmacHexBase64(clientSecret, apiSigningText(pathAndQuery, get("x-api-nonce") ?? "", timestamp))) {
    return { ok: false, message: "签名验证失败：X-Api-Signature 不正确" };
  }
  // Kingdee signs the app data as text; the header carries its base64.
  const appText = Buffer.from(get("x-kd-appdata") ?? "", "base64").toString("utf8");
  if (get("x-kd-signature") !== kdSignature(appId, appText, CREDENTIALS.FERRY_KINGDEE_APP_SECRET)) return { ok: false, message: "签名验证失败：X-Kd-Signature 不正确" };
  const [acctId, user = ""] = appText.split(",");
  if (acctId !== CREDENTIALS.FERRY_KINGDEE_ACCT_ID) return { ok: false, message: `数据中心“${acctId ?? ""}”不存在，请检查账套ID` };
  if (user !== CREDENTIALS.FERRY_KINGDEE_USERNAME) return { ok: false, message: `用户“${user}”不存在或未授权登录` };
  return { ok: true, user };
}
