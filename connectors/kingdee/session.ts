/**
 * Who the connector is to Kingdee: a logged-in session (cookies kept here, since fetch has no cookie
 * jar) or, in `headers` mode, fresh signature headers on every call. Logs in lazily, once for all
 * concurrent callers, and again only when a call reports the session lost.
 */
import { randomBytes } from "node:crypto";
import { CallError } from "../../runtime/faults.js";
import { kindOf, quote } from "../http/answer.js";
import type { KingdeeSettings, LoginMode } from "./config.js";
import { loginSign, signatureHeaders } from "./signature.js";
import { callFailure, readStatus } from "./status.js";
import { postKingdee, scrub, servicePath, type KingdeeWire } from "./wire.js";

const AUTH_SERVICE = "Kingdee.BOS.WebApi.ServicesStub.AuthService";

/** The session cookie; without it the login did not take. */
export const SESSION_COOKIE = "kdservice-sessionid";

/** What to send on one call, and which login it belongs to (for {@link KingdeeSession.invalidate}). */
export interface Credentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly generation: number;
}

interface Jar {
  readonly generation: number;
  readonly cookies: Map<string, string>;
}

/** The variables a failed login points at, per mode. */
const LOGIN_VARIABLES: Readonly<Record<LoginMode, string>> = {
  password: "FERRY_KINGDEE_ACCT_ID, FERRY_KINGDEE_USERNAME and FERRY_KINGDEE_PASSWORD",
  appsecret: "FERRY_KINGDEE_ACCT_ID, FERRY_KINGDEE_USERNAME, FERRY_KINGDEE_APP_ID and FERRY_KINGDEE_APP_SECRET",
  sign: "FERRY_KINGDEE_ACCT_ID, FERRY_KINGDEE_USERNAME, FERRY_KINGDEE_APP_ID, FERRY_KINGDEE_APP_SECRET and this machine's clock",
  headers: "FERRY_KINGDEE_ACCT_ID, FERRY_KINGDEE_USERNAME, FERRY_KINGDEE_APP_ID, FERRY_KINGDEE_APP_SECRET and this machine's clock",
};

/** Kingdee's login services, by mode. */
const LOGIN_SERVICE: Readonly<Record<Exclude<LoginMode, "headers">, string>> = {
  password: "ValidateUser",
  appsecret: "LoginByAppSecret",
  sign: "LoginBySign",
};

/** A connector's identity towards Kingdee. */
export class KingdeeSession {
  private jar: Jar | undefined;
  private pending: Promise<Jar> | undefined;
  private generation = 0;

  constructor(
    private readonly settings: KingdeeSettings,
    private readonly wire: KingdeeWire,
    /** Milliseconds since the epoch: signature timestamps must be close to Kingdee's clock. */
    private readonly now: () => number,
  ) {}

  /** The variables to check when Kingdee refuses who we are. */
  get loginVariables(): string {
    return LOGIN_VARIABLES[this.settings.mode];
  }

  /** Session ids, for redaction: a message must not hand out a live session. */
  secrets(): string[] {
    return this.jar ? [...this.jar.cookies.values()] : [];
  }

  /** Headers that make a call to `path` ours; logs in first when there is no session yet. */
  async authorize(path: string, timeoutMs: number, signal?: AbortSignal): Promise<Credentials> {
    if (this.settings.mode === "headers") return { headers: this.signed(path), generation: 0 };
    if (signal?.aborted) throw signal.reason;
    const jar = this.jar ?? (await this.login(timeoutMs));
    return { headers: { cookie: [...jar.cookies].map(([name, value]) => `${name}=${value}`).join("; ") }, generation: jar.generation };
  }

  /** Keeps cookies a data call's answer sets (Kingdee may renew ASP.NET_SessionId), if still the same login. */
  absorb(generation: number, setCookies: readonly string[]): void {
    if (this.jar && this.jar.generation === generation) applySetCookies(this.jar.cookies, setCookies);
  }

  /** Kingdee said the session of `generation` is lost: the next call logs in again (unless a newer login already did). */
  invalidate(generation: number): void {
    if (this.jar && this.jar.generation === generation) this.jar = undefined;
  }

  private signed(path: string): Record<string, string> {
    const { appId = "", appSecret = "", acctId, username, lcid, orgNum } = this.settings;
    return signatureHeaders({ appId, appSecret, acctId, username, lcid, orgNum, pathAndQuery: path, timestamp: this.now(), nonce: randomBytes(16).toString("hex") });
  }

  /**
   * One login at a time: concurrent callers share it. It runs without any caller's abort signal,
   * so one caller stopping does not fail the login the others wait for.
   */
  private login(timeoutMs: number): Promise<Jar> {
    this.pending ??= this.logIn(timeoutMs).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async logIn(timeoutMs: number): Promise<Jar> {
    const mode = this.settings.mode as Exclude<LoginMode, "headers">;
    const service = LOGIN_SERVICE[mode];
    const call = `kingdee ${service}`;
    const reply = await postKingdee(this.wire, {
      call,
      path: servicePath(this.wire, `${AUTH_SERVICE}.${service}`),
      body: { parameters: this.parameters(mode) },
      headers: {},
      timeoutMs,
    });
    checkLogin(call, reply.json, this.loginVariables, (text) => scrub(this.wire, text));
    const cookies = new Map<string, string>();
    applySetCookies(cookies, reply.setCookies);
    // Some gateways strip Set-Cookie; the answer carries the same session id.
    const bodyId = (reply.json as { KDSVCSessionId?: unknown }).KDSVCSessionId;
    if (!cookies.has(SESSION_COOKIE) && typeof bodyId === "string" && bodyId !== "") cookies.set(SESSION_COOKIE, bodyId);
    if (!cookies.has(SESSION_COOKIE)) throw new CallError(call, "malformed", `the login succeeded but Kingdee set no ${SESSION_COOKIE} cookie`);
    this.generation += 1;
    this.jar = { generation: this.generation, cookies };
    return this.jar;
  }

  /** The login service's positional parameters (SYSTEMS.md). */
  private parameters(mode: Exclude<LoginMode, "headers">): unknown[] {
    const { acctId, username, lcid, password = "", appId = "", appSecret = "" } = this.settings;
    switch (mode) {
      case "password":
        return [acctId, username, password, lcid];
      case "appsecret":
        return [acctId, username, appId, appSecret, lcid];
      case "sign": {
        // LoginBySign takes seconds, as the official SDKs send them.
        const timestamp = Math.floor(this.now() / 1000);
        return [acctId, username, appId, timestamp, loginSign(acctId, username, appId, appSecret, String(timestamp)), lcid];
      }
    }
  }
}

/**
 * Throws the CallError a login answer means, unless it is a success (LoginResultType 1, or -5:
 * success with a notice). Only a busy or throttled Kingdee is worth another login; any other refusal
 * is about who we are, including a "session lost" (MsgCode 1) in the data services' envelope, which
 * to a login means it was not accepted: retrying it as a lost session only logs in again and again.
 */
function checkLogin(call: string, answer: unknown, variables: string, clean: (text: string) => string): void {
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) throw new CallError(call, "malformed", `the login answer is ${kindOf(answer)}, not an object`);
  const { LoginResultType: type, Message: message } = answer as { LoginResultType?: unknown; Message?: unknown };
  if (type === 1 || type === -5) return;
  if (type === undefined) {
    // Faults before the login ran (limit reached, an exception) come in the data services' envelope.
    const status = readStatus(answer);
    if (!status || status.isSuccess) throw new CallError(call, "malformed", "the login answer has no LoginResultType");
    const failure = callFailure(call, status, 0, `check ${variables}`, clean);
    if (failure && (failure.kind === "throttled" || failure.kind === "server")) throw failure;
    const said = status.errors.map((e) => e.message).join("; ");
    throw new CallError(call, "credentials", `Kingdee refused the login (MsgCode ${status.msgCode}${said ? `: "${quote(clean(said), 200)}"` : ""}); check ${variables}`);
  }
  const said = typeof message === "string" && message.trim() !== "" ? ` ("${quote(clean(message), 200)}")` : "";
  const meaning = type === 0 ? "wrong credentials (LoginResultType 0)" : `login failed (LoginResultType ${quote(String(type), 20)})`;
  throw new CallError(call, "credentials", `Kingdee refused the login: ${meaning}${said}; check ${variables}`);
}

/**
 * Applies Set-Cookie headers to `cookies` (name → value): attributes are ignored, since the jar
 * serves one host, and a cookie set to expire is removed.
 */
export function applySetCookies(cookies: Map<string, string>, setCookies: readonly string[]): void {
  for (const header of setCookies) {
    const [pair = "", ...attributes] = header.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => {
      const [key = "", val = ""] = a.split("=").map((s) => s.trim());
      if (key.toLowerCase() === "max-age") return Number(val) <= 0;
      if (key.toLowerCase() === "expires") return Date.parse(val) < Date.now();
      return false;
    });
    if (expired || value === "") cookies.delete(name);
    else cookies.set(name, value);
  }
}
