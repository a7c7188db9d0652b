/**
 * The Kingdee connector's settings, read once from the environment when a target is created, so a
 * run with a missing or mistyped variable stops before its first call and says which variable to set.
 */
import { CallError } from "../../runtime/faults.js";
import { quote } from "../http/answer.js";
import { checkBaseUrl } from "../http/base-url.js";

/**
 * How the connector proves who it is (SYSTEMS.md, Kingdee "Login services"):
 * - `password`: AuthService.ValidateUser with the user's password;
 * - `appsecret`: AuthService.LoginByAppSecret with a 第三方系统登录授权 app;
 * - `sign`: AuthService.LoginBySign, the same app but the secret never leaves this machine;
 * - `headers`: no login and no session, every call signed with the nine signature headers.
 */
export type LoginMode = "password" | "appsecret" | "sign" | "headers";

export const LOGIN_MODES: readonly LoginMode[] = ["password", "appsecret", "sign", "headers"];

/** Everything the connector needs to reach and log in to one Kingdee data center. */
export interface KingdeeSettings {
  /** `https://host[/prefix]`, without `/K3Cloud` and without a trailing slash. */
  readonly baseUrl: string;
  readonly acctId: string;
  readonly username: string;
  readonly lcid: number;
  /** Organisation number for signature headers (X-Kd-Appdata); "0" when unset, as the official SDKs. */
  readonly orgNum: string;
  readonly mode: LoginMode;
  readonly password: string | undefined;
  readonly appId: string | undefined;
  readonly appSecret: string | undefined;
}

/** What each variable is, for "X is not set: …" messages. */
const MEANING: Readonly<Record<string, string>> = {
  FERRY_KINGDEE_URL: "the server address, e.g. https://xxx.ik3cloud.com",
  FERRY_KINGDEE_ACCT_ID: "the data center id (账套 ID / acctId)",
  FERRY_KINGDEE_USERNAME: "the integration user's name",
  FERRY_KINGDEE_PASSWORD: "that user's password",
  FERRY_KINGDEE_APP_ID: "the AppID of a 第三方系统登录授权 app",
  FERRY_KINGDEE_APP_SECRET: "that app's AppSecret",
};

function credentials(message: string): CallError {
  return new CallError("kingdee", "credentials", message);
}

/** `A`, `A and B`, `A, B and C`. */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function missing(names: readonly string[], context = ""): CallError {
  const verb = names.length === 1 ? "is" : "are";
  return credentials(`${listed(names)} ${verb} not set${context}: ${names.map((n) => MEANING[n] ?? n).join("; ")}`);
}

/**
 * Reads the Kingdee settings from `env`. Throws CallError "credentials" naming exactly the
 * variables to set; values of secrets never appear in a message.
 */
export function readSettings(env: Readonly<Record<string, string | undefined>>): KingdeeSettings {
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const raw = get("FERRY_KINGDEE_URL");
  if (!raw) throw missing(["FERRY_KINGDEE_URL"]);
  const baseUrl = readUrl(raw);

  const acctId = get("FERRY_KINGDEE_ACCT_ID");
  const username = get("FERRY_KINGDEE_USERNAME");
  const password = get("FERRY_KINGDEE_PASSWORD");
  const appId = get("FERRY_KINGDEE_APP_ID");
  const appSecret = get("FERRY_KINGDEE_APP_SECRET");
  const chosen = readMode(get("FERRY_KINGDEE_LOGIN"), { password, appId, appSecret });
  // Nothing to log in with at all: ask for an app, the recommended way, and mention the password.
  const mode = chosen ?? "appsecret";

  const needed = ["FERRY_KINGDEE_ACCT_ID", "FERRY_KINGDEE_USERNAME"];
  needed.push(...(mode === "password" ? ["FERRY_KINGDEE_PASSWORD"] : ["FERRY_KINGDEE_APP_ID", "FERRY_KINGDEE_APP_SECRET"]));
  const absent = needed.filter((name) => get(name) === undefined);
  if (absent.length > 0) {
    const context = chosen === undefined ? " (or set FERRY_KINGDEE_PASSWORD instead of the app)" : mode === "password" ? "" : ` (login mode ${mode})`;
    throw missing(absent, context);
  }

  const lcidText = get("FERRY_KINGDEE_LCID") ?? "2052";
  if (!/^\d{1,5}$/.test(lcidText)) throw credentials(`FERRY_KINGDEE_LCID must be a locale id such as 2052 (zh-CN), not "${quote(lcidText, 20)}"`);

  return {
    baseUrl,
    acctId: acctId ?? "",
    username: username ?? "",
    lcid: Number(lcidText),
    orgNum: get("FERRY_KINGDEE_ORG_NUM") ?? "0",
    mode,
    password,
    appId,
    appSecret,
  };
}

/**
 * The login mode: FERRY_KINGDEE_LOGIN when set, else an app login when an app is configured
 * (Kingdee recommends apps over user passwords), else the password.
 */
function readMode(value: string | undefined, given: { password?: string | undefined; appId?: string | undefined; appSecret?: string | undefined }): LoginMode | undefined {
  if (value !== undefined) {
    const mode = LOGIN_MODES.find((m) => m === value.toLowerCase());
    if (!mode) throw credentials(`FERRY_KINGDEE_LOGIN must be one of ${LOGIN_MODES.join(", ")}, not "${quote(value, 20)}"`);
    return mode;
  }
  if (given.appId !== undefined || given.appSecret !== undefined) return "appsecret";
  if (given.password !== undefined) return "password";
  return undefined;
}

/** The base address, checked once so every call can append `/K3Cloud/<Service>.common.kdsvc` to it. */
function readUrl(raw: string): string {
  const base = checkBaseUrl("kingdee", "FERRY_KINGDEE_URL", raw, {
    example: "https://host, e.g. https://xxx.ik3cloud.com",
    credentials: "set FERRY_KINGDEE_USERNAME and FERRY_KINGDEE_PASSWORD",
    query: "service paths are appended to it",
  });
  // The SDKs' ServerUrl ends in K3Cloud/; accept that spelling too rather than calling /K3Cloud/K3Cloud/.
  return base.replace(/\/k3cloud$/i, "");
}
