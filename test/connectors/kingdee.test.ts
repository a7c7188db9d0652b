import { createHash, createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { kingdeeConnector } from "../../connectors/kingdee/client.js";
import { createKingdeeSandbox, type KingdeeSandbox } from "../../connectors/kingdee/sandbox.js";
import { clientSecretOf, formUrlEncode, hmacHexBase64, loginSign, signatureHeaders } from "../../connectors/kingdee/signature.js";
import { LIMIT_RETRY_AFTER_MS } from "../../connectors/kingdee/status.js";
import { FaultDice, parseFaultSpec } from "../../connectors/sandbox/faults.js";
import { SANDBOX_CREDENTIALS, type SandboxHandler } from "../../connectors/sandbox/handler.js";
import type { ConnectorContext, LookupRequest, RowResult, TargetConnector, WriteRequest } from "../../runtime/connector.js";
import { CallError, type FaultKind } from "../../runtime/faults.js";
import type { FlowSpec } from "../../runtime/types.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { withRetry } from "../../runtime/retry.js";
import { serveSandboxes, type SandboxServer } from "../support/sandbox-server.js";

const NOW = Date.UTC(2025, 0, 1, 8, 0, 0);
const CREDS = SANDBOX_CREDENTIALS.kingdee;
const SECRETS = [CREDS.FERRY_KINGDEE_PASSWORD, CREDS.FERRY_KINGDEE_APP_SECRET];
const BATCH_SAVE = "/K3Cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave.common.kdsvc";

let server: SandboxServer | undefined;
let sandbox: KingdeeSandbox;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A sandbox with `faults` on loopback. */
async function start(faults = ""): Promise<void> {
  sandbox = createKingdeeSandbox({ seed: 1, records: 0, dice: new FaultDice(parseFaultSpec(faults), 7), now: () => NOW });
  server = await serveSandboxes([sandbox]);
}

/** A stand-in Kingdee that answers every call with `answer` (for answers the sandbox never gives). */
async function startCanned(answer: (path: string, body: string) => { status?: number; headers?: Record<string, string>; body: string }): Promise<void> {
  const handler: SandboxHandler = {
    system: "kingdee",
    owns: (path) => path.startsWith("/K3Cloud/"),
    handle: async (req, body, res) => {
      const path = req.url ?? "";
      // Logins succeed, so the canned answer is what the data call sees.
      const canned = path.includes("AuthService")
        ? { status: 200, headers: { "set-cookie": "kdservice-sessionid=s-1; path=/" }, body: JSON.stringify({ LoginResultType: 1 }) }
        : answer(path, body.toString("utf8"));
      res.writeHead(canned.status ?? 200, { "content-type": "application/json; charset=utf-8", ...canned.headers });
      res.end(canned.body);
    },
    stats: () => ({}),
  };
  server = await serveSandboxes([handler]);
}

function context(env: Record<string, string | undefined>, now = NOW): ConnectorContext {
  // The connector reads env and clock only.
  return { env, clock: { now: () => now, sleep: async () => undefined }, flow: {} as FlowSpec };
}

function env(over: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { FERRY_KINGDEE_URL: server?.url, ...CREDS, ...over };
}

function target(over: Record<string, string | undefined> = {}, now = NOW): TargetConnector {
  return kingdeeConnector().target!(context(env(over), now));
}

function customer(n: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { FNumber: `C${String(n).padStart(3, "0")}`, FName: `客户${n}`, FCreateOrgId: { FNumber: "100" }, ...over };
}

function writeRequest(rows: readonly unknown[], over: Partial<WriteRequest> = {}): WriteRequest {
  return { operation: "batchSave", form: "BD_Customer", options: {}, rows: rows.map((row, i) => ({ sourceId: `s${i + 1}`, row })), key: "FNumber", timeoutMs: 5000, ...over };
}

function lookupRequest(values: readonly string[], fields: readonly string[], over: Partial<LookupRequest> = {}): LookupRequest {
  return { operation: "batchSave", form: "BD_Customer", key: "FNumber", values, rows: [], fields, timeoutMs: 5000, ...over };
}

/** The CallError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
async function failure(promise: Promise<unknown>): Promise<CallError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected a CallError, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof CallError)) throw outcome.error;
  return outcome.error;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectNoSecrets(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

const calls = () => sandbox.stats().calls as Record<string, number>;

describe("kingdee signature", () => {
  /**
   * Vectors of the official Python SDK (kingdee.cdp.webapi.sdk 8.2.0), as quoted ("Golden values
   * generated with the official Python SDK") in a public Go port's tests: autable/autable,
   * internal/kingdee/client_test.go (commit 48bb198b11f6ffcdebc2d3fdedaaf0f3312d6d23),
   * TestDecodeAppSecretMatchesPythonSDK, TestSignHMACMatchesPythonSDK, TestQuotePathMatchesPythonSDK
   * and TestHeadersMatchPythonSDK. The SDK sends timestamp and nonce as the same epoch-seconds text.
   */
  const SDK = {
    appId: "123456_YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4",
    appSecret: "test-app-secret-value",
    acctId: "dcid-1",
    username: "user-1",
    lcid: 2052,
    orgNum: "100",
    pathAndQuery: "/K3Cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc",
    timestamp: 1700000000,
    nonce: "1700000000",
  };

  it("computes the nine headers exactly as the official Python SDK 8.2.0 does", () => {
    expect(signatureHeaders(SDK)).toEqual({
      "X-Api-ClientID": "123456",
      "X-Api-Auth-Version": "2.0",
      "x-api-timestamp": "1700000000",
      "x-api-nonce": "1700000000",
      "x-api-signheaders": "x-api-timestamp,x-api-nonce",
      "X-Api-Signature": "MjNhMzg5MmZiMWE1MTQ1ZGE5NWFkYmZiZWYxYzhlY2NjNzcwM2ZjNDJlZTczMzBhNzkxOTk1ODhjNDZkMTEzYw==",
      "X-Kd-Appkey": "123456_YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4",
      "X-Kd-Appdata": "ZGNpZC0xLHVzZXItMSwyMDUyLDEwMA==",
      "X-Kd-Signature": "NjI5MzRiZGVhNGJhOWY2N2Y2YzQ2MzQ5ODA3N2JiZTRiMDRmOTUwNjI3YWIzODU1ODBkZDdhNzgwMzdmMDgxMg==",
    });
  });

  it("decodes a 32-character AppID secret part, signs and encodes the path as the official Python SDK 8.2.0 does", () => {
    expect(clientSecretOf("YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4")).toBe("UVJWUANVXl8KXFlfWV1YSBNCShcUQRNL");
    expect(hmacHexBase64("key123", "POST\n%2Ftest\n\nx-api-nonce:1\nx-api-timestamp:1\n")).toBe(
      "MThmZGFiM2U5MGZhNmU0MDQ0MWI1NTNkNmNmMjY2MDY0YzEzZTllNTA0OTBmM2M0NDI2NzFiMTI3NTFkZmU1ZQ==",
    );
    expect(formUrlEncode(SDK.pathAndQuery)).toBe("%2FK3Cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc");
  });

  it("signs the plain app data text of a Chinese user, not its base64", () => {
    const headers = signatureHeaders({ ...SDK, username: "集成用户" });
    const text = "dcid-1,集成用户,2052,100";
    expect(Buffer.from(headers["X-Kd-Appdata"] ?? "", "base64").toString("utf8")).toBe(text);
    const hex = createHmac("sha256", SDK.appSecret).update(SDK.appId + text, "utf8").digest("hex");
    expect(headers["X-Kd-Signature"]).toBe(Buffer.from(hex).toString("base64"));
  });

  it.each([
    ["32 characters: base64, XOR with the SDK key", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", "cXJ2cCN1fn8qfHl/eX14aDNiajc0YTNr"],
    ["other lengths: ROT13", "id", "vq"],
    ["ROT13 keeps digits and case", "Ab9-z", "No9-m"],
  ])("derives the client secret (%s)", (_, part, secret) => {
    expect(clientSecretOf(part)).toBe(secret);
    // Both derivations are their own inverse: a cheap check that nothing else slipped in.
    expect(clientSecretOf(secret)).toBe(part);
  });

  it("signs as base64 of the lowercase hex HMAC, over the form-encoded path", () => {
    const hex = createHmac("sha256", "key").update("text").digest("hex");
    expect(hmacHexBase64("key", "text")).toBe(Buffer.from(hex).toString("base64"));
    expect(formUrlEncode("/K3Cloud/a b~中*")).toBe("%2FK3Cloud%2Fa+b%7E%E4%B8%AD*");
  });

  it("LoginBySign's sign is SHA-256 of the sorted concatenation", () => {
    const parts = ["sandbox-acct", "sandbox-user", "sandbox-app_id", "sandbox-app-secret", "1735718400"];
    const expected = createHash("sha256").update([...parts].sort().join("")).digest("hex");
    expect(loginSign("sandbox-acct", "sandbox-user", "sandbox-app_id", "sandbox-app-secret", "1735718400")).toBe(expected);
    expect(expected).toBe("723f5384b89aa7a27976a22ccfabfbcaaf2dc911cec5d2dcaba418087095d895");
  });
});

describe("kingdee configuration", () => {
  const base = { FERRY_KINGDEE_URL: "https://xxx.ik3cloud.com", ...CREDS };
  it.each([
    ["no URL", { FERRY_KINGDEE_URL: undefined }, ["FERRY_KINGDEE_URL is not set"]],
    ["no data center", { FERRY_KINGDEE_ACCT_ID: undefined }, ["FERRY_KINGDEE_ACCT_ID is not set"]],
    ["no user nor data center", { FERRY_KINGDEE_ACCT_ID: "", FERRY_KINGDEE_USERNAME: " " }, ["FERRY_KINGDEE_ACCT_ID and FERRY_KINGDEE_USERNAME are not set"]],
    ["password login without a password", { FERRY_KINGDEE_LOGIN: "password", FERRY_KINGDEE_PASSWORD: undefined }, ["FERRY_KINGDEE_PASSWORD is not set"]],
    ["sign login without the secret", { FERRY_KINGDEE_LOGIN: "sign", FERRY_KINGDEE_APP_SECRET: undefined }, ["FERRY_KINGDEE_APP_SECRET is not set (login mode sign)"]],
    [
      "nothing to log in with",
      { FERRY_KINGDEE_APP_ID: undefined, FERRY_KINGDEE_APP_SECRET: undefined, FERRY_KINGDEE_PASSWORD: undefined },
      ["FERRY_KINGDEE_APP_ID and FERRY_KINGDEE_APP_SECRET are not set", "FERRY_KINGDEE_PASSWORD"],
    ],
    ["an unknown login mode", { FERRY_KINGDEE_LOGIN: "oauth" }, ["FERRY_KINGDEE_LOGIN must be one of password, appsecret, sign, headers"]],
    ["a URL that is not one", { FERRY_KINGDEE_URL: "xxx.ik3cloud.com" }, ["FERRY_KINGDEE_URL is not a URL"]],
    ["a URL with a password in it", { FERRY_KINGDEE_URL: "https://u:hunter2@xxx.ik3cloud.com" }, ["must not carry a user or password"]],
    ["a locale that is not a number", { FERRY_KINGDEE_LCID: "zh-CN" }, ["FERRY_KINGDEE_LCID must be a locale id"]],
  ])("refuses %s at construction, naming the variable", (_, over, parts) => {
    const error = thrown(() => kingdeeConnector().target!(context({ ...base, ...over })));
    expect(error).toBeInstanceOf(CallError);
    const callError = error as CallError;
    expect(callError.kind).toBe("credentials");
    for (const part of parts) expect(callError.message).toContain(part);
    expect(callError.message).not.toContain("hunter2");
    expectNoSecrets(callError.message);
  });

  it("offers a target (batchSave) and a source (executeBillQuery)", () => {
    const factory = kingdeeConnector();
    expect(factory.name).toBe("kingdee");
    expect(factory.target).toBeDefined();
    expect(factory.source).toBeDefined();
  });
});

describe("kingdee login modes", () => {
  it.each([
    ["password", { FERRY_KINGDEE_LOGIN: "password" }, "ValidateUser"],
    ["app secret (the default when an app is set)", {}, "LoginByAppSecret"],
    ["app secret without a password set", { FERRY_KINGDEE_PASSWORD: undefined }, "LoginByAppSecret"],
    ["password when no app is set", { FERRY_KINGDEE_APP_ID: undefined, FERRY_KINGDEE_APP_SECRET: undefined }, "ValidateUser"],
    ["sign", { FERRY_KINGDEE_LOGIN: "sign" }, "LoginBySign"],
    ["signature headers", { FERRY_KINGDEE_LOGIN: "headers" }, null],
  ])("writes after logging in by %s", async (_, over, service) => {
    await start();
    const kingdee = target(over);
    expect(await kingdee.write(writeRequest([customer(1)]))).toEqual([{ ok: true, targetId: "100001" }]);
    expect(await kingdee.write(writeRequest([customer(2)]))).toEqual([{ ok: true, targetId: "100002" }]);
    const seen = calls();
    expect(seen.BatchSave).toBe(2);
    // One login serves every later call; signature headers need none at all.
    const logins = (seen.ValidateUser ?? 0) + (seen.LoginByAppSecret ?? 0) + (seen.LoginBySign ?? 0);
    if (service === null) expect(logins).toBe(0);
    else expect(seen[service]).toBe(1);
    expect(logins).toBe(service === null ? 0 : 1);
  });

  it("accepts the SDKs' server address ending in /K3Cloud/", async () => {
    await start();
    expect(await target({ FERRY_KINGDEE_URL: `${server?.url}/K3Cloud/` }).write(writeRequest([customer(1)]))).toEqual([{ ok: true, targetId: "100001" }]);
  });

  const envelope = (msgCode: number, message: string) =>
    JSON.stringify({ Result: { ResponseStatus: { ErrorCode: 500, IsSuccess: false, MsgCode: msgCode, Errors: [{ FieldName: null, Message: message, DIndex: 0 }] } } });
  it.each([
    ["LoginResultType 0", JSON.stringify({ Message: "用户名或密码错误！", LoginResultType: 0, Context: null, KDSVCSessionId: null })],
    ["LoginResultType -1", JSON.stringify({ Message: "数据中心不存在", LoginResultType: -1, Context: null })],
    // Some servers refuse a login in the data services' envelope, saying the session is lost.
    ["MsgCode 1 (session lost) in the data envelope", envelope(1, "会话信息已丢失，请重新登录")],
    ["MsgCode 2 (no permission) in the data envelope", envelope(2, "没有权限")],
  ])("stops at a refused login (%s) with a credentials error after one login call, however many retries the flow allows", async (_, answer) => {
    const seen: Record<string, number> = {};
    server = await serveSandboxes([
      {
        system: "kingdee",
        owns: (path) => path.startsWith("/K3Cloud/"),
        handle: async (req, _body, res) => {
          const op = (req.url ?? "").split(".").at(-3) ?? "";
          seen[op] = (seen[op] ?? 0) + 1;
          res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
          res.end(answer);
        },
        stats: () => ({}),
      },
    ]);
    const clock = new FakeClock({ start: NOW, auto: true });
    const kingdee = target();
    const error = await failure(withRetry(() => kingdee.write(writeRequest([customer(1)])), { attempts: 12, minMs: 1000, maxMs: 30_000 }, { clock }));
    expect(error.kind).toBe("credentials");
    expect(error.message).toMatch(/refused the login.*check FERRY_KINGDEE_ACCT_ID/);
    expect(seen).toEqual({ LoginByAppSecret: 1 });
  });

  it("stops with a credentials error when signed calls are answered \"session lost\": headers have no session to renew", async () => {
    let calls = 0;
    await startCanned(() => {
      calls++;
      return { body: envelope(1, "会话信息已丢失，请重新登录") };
    });
    const kingdee = target({ FERRY_KINGDEE_LOGIN: "headers" });
    const error = await failure(withRetry(() => kingdee.write(writeRequest([customer(1)])), { attempts: 12, minMs: 1000, maxMs: 30_000 }, { clock: new FakeClock({ start: NOW, auto: true }) }));
    expect(error.kind).toBe("credentials");
    // The first refusal is answered with freshly signed headers once, as a lost session would be.
    expect(calls).toBe(2);
  });

  it("logs in once for concurrent first calls", async () => {
    await start();
    const kingdee = target();
    await Promise.all([1, 2, 3, 4].map((n) => kingdee.write(writeRequest([customer(n)]))));
    expect(calls().LoginByAppSecret).toBe(1);
    expect(sandbox.customers().size).toBe(4);
  });

  it.each([
    ["a wrong password", { FERRY_KINGDEE_LOGIN: "password", FERRY_KINGDEE_PASSWORD: "wrong-password-1" }, "用户名或密码错误", "LoginResultType 0"],
    ["a wrong app secret", { FERRY_KINGDEE_APP_SECRET: "wrong-app-secret-1" }, "应用密钥不正确", "LoginResultType 0"],
    ["a wrong data center", { FERRY_KINGDEE_ACCT_ID: "other-acct" }, "数据中心", "LoginResultType -1"],
    ["a sign made with the wrong secret", { FERRY_KINGDEE_LOGIN: "sign", FERRY_KINGDEE_APP_SECRET: "wrong-app-secret-1" }, "签名验证失败", "LoginResultType -1"],
    ["signature headers with the wrong secret", { FERRY_KINGDEE_LOGIN: "headers", FERRY_KINGDEE_APP_SECRET: "wrong-app-secret-1" }, "X-Kd-Signature 不正确", "MsgCode 2"],
    ["signature headers from a wrong data center", { FERRY_KINGDEE_LOGIN: "headers", FERRY_KINGDEE_ACCT_ID: "other-acct" }, "数据中心", "MsgCode 2"],
  ])("refuses %s as credentials, with Kingdee's message", async (_, over, said, code) => {
    await start();
    const error = await failure(target(over).write(writeRequest([customer(1)])));
    expect(error.kind).toBe("credentials");
    expect(error.message).toContain(said);
    expect(error.message).toContain(code);
    expect(error.message).toMatch(/FERRY_KINGDEE_/);
    expect(error.message).not.toContain("wrong-password-1");
    expect(error.message).not.toContain("wrong-app-secret-1");
    expectNoSecrets(error.message);
    expect(sandbox.customers().size).toBe(0);
  });

  it.each([
    ["sign", "LoginBySign", "时间戳"],
    ["headers", "BatchSave", "时间戳已过期"],
  ])("refuses a %s login from a clock 20 minutes off", async (mode, _, said) => {
    await start();
    const error = await failure(target({ FERRY_KINGDEE_LOGIN: mode }, NOW - 20 * 60_000).write(writeRequest([customer(1)])));
    expect(error.kind).toBe("credentials");
    expect(error.message).toContain(said);
    expect(error.message).toContain("clock");
  });

  const overBase64 = (h: Record<string, string>) => hmacHexBase64(CREDS.FERRY_KINGDEE_APP_SECRET, CREDS.FERRY_KINGDEE_APP_ID + (h["X-Kd-Appdata"] ?? ""));
  it.each<[string, string, (h: Record<string, string>) => string]>([
    ["X-Kd-Signature", "X-Kd-Signature 不正确", (h) => `${h["X-Kd-Signature"] ?? ""}x`],
    // The mistake the SDKs do not make: signing the base64 of the app data instead of its text.
    ["X-Kd-Signature", "X-Kd-Signature 不正确", overBase64],
    ["X-Api-Signature", "X-Api-Signature 不正确", (h) => `${h["X-Api-Signature"] ?? ""}x`],
    ["x-api-nonce", "X-Api-Signature 不正确", (h) => `${h["x-api-nonce"] ?? ""}x`],
  ])("answers a call whose %s was tampered with in Kingdee's own envelope (%s)", async (header, said, tamper) => {
    await start();
    const headers = signatureHeaders({
      appId: CREDS.FERRY_KINGDEE_APP_ID,
      appSecret: CREDS.FERRY_KINGDEE_APP_SECRET,
      acctId: CREDS.FERRY_KINGDEE_ACCT_ID,
      username: CREDS.FERRY_KINGDEE_USERNAME,
      lcid: 2052,
      orgNum: "0",
      pathAndQuery: BATCH_SAVE,
      timestamp: NOW,
      nonce: "abc123",
    });
    headers[header] = tamper(headers);
    const response = await fetch(`${server?.url}${BATCH_SAVE}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ formid: "BD_Customer", data: { Model: [customer(1)] } }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      Result: { ResponseStatus: { IsSuccess: false, ErrorCode: 500, MsgCode: 2, Errors: [{ FieldName: null, Message: `签名验证失败：${said}`, DIndex: 0 }] } },
    });
    expect(sandbox.customers().size).toBe(0);
  });

  it("answers a data call without a session as Kingdee does", async () => {
    await start();
    const response = await fetch(`${server?.url}${BATCH_SAVE}`, { method: "POST", body: JSON.stringify({ formid: "BD_Customer", data: { Model: [customer(1)] } }) });
    expect(await response.json()).toEqual({
      Result: { ResponseStatus: { IsSuccess: false, ErrorCode: 500, MsgCode: 1, Errors: [{ FieldName: null, Message: "会话信息已丢失，请重新登录", DIndex: 0 }] } },
    });
  });
});

describe("kingdee BatchSave", () => {
  it("maps a partly failed batch to per-row results by DIndex, storing the valid rows", async () => {
    await start();
    const rows = [customer(1), customer(2, { FName: "" }), customer(3), customer(4, { FNumber: "C 004!" }), customer(5)];
    const results = await target().write(writeRequest(rows));
    expect(results).toEqual<RowResult[]>([
      { ok: true, targetId: "100001" },
      { ok: false, reason: "FName: 客户名称 字段是必填项" },
      { ok: true, targetId: "100002" },
      { ok: false, reason: "FNumber: 编码“C 004!”含有非法字符，只能使用字母、数字、下划线和短横线" },
      { ok: true, targetId: "100003" },
    ]);
    expect([...sandbox.customers().keys()]).toEqual(["C001", "C003", "C005"]);
    expect(sandbox.customers().get("C003")).toMatchObject({ FCUSTID: 100002, FName: "客户3", FCreateOrgId: { FNumber: "100" } });
  });

  it("lists every problem of a row, joined", async () => {
    await start();
    const [result] = await target().write(writeRequest([{ FNumber: "C001" }]));
    expect(result).toEqual({ ok: false, reason: "FName: 客户名称 字段是必填项; FCreateOrgId: 创建组织 字段是必填项" });
  });

  it("updates a customer saved again under the same FNumber", async () => {
    await start();
    const kingdee = target();
    const [first] = await kingdee.write(writeRequest([customer(1, { FTEL: "0571-1" })]));
    const [second] = await kingdee.write(writeRequest([customer(1, { FName: "客户一（改）" })]));
    expect(second).toEqual(first);
    expect(sandbox.saves("C001")).toBe(2);
    expect(sandbox.customers().size).toBe(1);
    expect(sandbox.customers().get("C001")).toMatchObject({ FName: "客户一（改）", FTEL: "0571-1" });
  });

  it.each([
    [true, "FCreateOrgId: 创建组织 字段的值“999”在系统中不存在"],
    [false, "FCreateOrgId: 创建组织 字段是必填项"],
  ])("honours IsVerifyBaseDataField=%s for an unknown organisation", async (verify, reason) => {
    await start();
    const results = await target().write(writeRequest([customer(1, { FCreateOrgId: { FNumber: "999" } }), customer(2)], { options: { IsVerifyBaseDataField: verify } }));
    expect(results).toEqual([{ ok: false, reason }, { ok: true, targetId: "100001" }]);
  });

  it("passes options through, comma lists as arrays", async () => {
    await start();
    const kingdee = target();
    await kingdee.write(writeRequest([customer(1, { FTEL: "0571-1" })], { options: { IsAutoSubmitAndAudit: true } }));
    // The sandbox refuses NeedUpDateFields as a string, so this also proves the split.
    const results = await kingdee.write(writeRequest([customer(1, { FName: "新名字", FTEL: "0571-2" })], { options: { NeedUpDateFields: "FName, FNumber", NeedReturnFields: "" } }));
    expect(results).toEqual([{ ok: true, targetId: "100001" }]);
    expect(sandbox.customers().get("C001")).toMatchObject({ FName: "新名字", FTEL: "0571-1", FDocumentStatus: "C" });
  });

  it("refuses an unknown form as a whole", async () => {
    await start();
    const error = await failure(target().write(writeRequest([customer(1), customer(2)], { form: "BD_Nothing" })));
    expect(error.kind).toBe("rejected");
    expect(error.message).toContain("MsgCode 8");
    expect(error.message).toContain("业务对象“BD_Nothing”不存在");
  });

  it("writes nothing for an empty batch, without logging in", async () => {
    await start();
    expect(await target().write(writeRequest([]))).toEqual([]);
    expect(calls()).toEqual({});
  });

  it("survives session expiry mid-run: logs in again and writes the batch once", async () => {
    await start();
    const kingdee = target();
    expect((await kingdee.write(writeRequest([customer(1), customer(2)]))).every((r) => r.ok)).toBe(true);
    sandbox.expireSessions();
    expect(await kingdee.write(writeRequest([customer(3), customer(4)]))).toEqual([
      { ok: true, targetId: "100003" },
      { ok: true, targetId: "100004" },
    ]);
    expect(calls()).toEqual({ LoginByAppSecret: 2, BatchSave: 3 });
    for (const n of ["C001", "C002", "C003", "C004"]) expect(sandbox.saves(n)).toBe(1);
    expect(sandbox.totalSaves()).toBe(4);
  });

  it("logs in again once when concurrent calls all find the session lost", async () => {
    await start();
    const kingdee = target();
    await kingdee.write(writeRequest([customer(1)]));
    sandbox.expireSessions();
    const results = await Promise.all([2, 3, 4, 5].map((n) => kingdee.write(writeRequest([customer(n)]))));
    expect(results.flat().every((r) => r.ok)).toBe(true);
    expect(calls().LoginByAppSecret).toBe(2);
    expect(sandbox.totalSaves()).toBe(5);
  });

  it("gives up with a session error when the session is lost again right after a new login", async () => {
    await start("kingdee.batchSave:session-lost@100%");
    const error = await failure(target().write(writeRequest([customer(1)])));
    expect(error.kind).toBe("session");
    expect(calls()).toEqual({ LoginByAppSecret: 2, BatchSave: 2 });
    expect(sandbox.customers().size).toBe(0);
  });

  it("backs off on MsgCode 14", async () => {
    await start("kingdee.batchSave:throttle@100%");
    const error = await failure(target().write(writeRequest([customer(1)])));
    expect(error.kind).toBe("throttled");
    expect(error.retryAfterMs).toBe(LIMIT_RETRY_AFTER_MS);
    expect(error.message).toContain("MsgCode 14");
  });
});

describe("kingdee faults", () => {
  const kinds: [string, FaultKind][] = [
    ["500", "server"],
    ["timeout", "timeout"],
    ["throttle", "throttled"],
    ["session-lost", "session"],
    ["html", "malformed"],
    ["truncated", "malformed"],
    ["reset", "network"],
  ];

  it.each(kinds)("BatchSave %s → %s", async (fault, kind) => {
    await start(`kingdee.batchSave:${fault}@100%`);
    const error = await failure(target().write(writeRequest([customer(1)], { timeoutMs: 300 })));
    expect(error.kind).toBe(kind);
    expect(error.call).toBe("kingdee BatchSave");
    expect(sandbox.customers().size).toBe(0);
    expect((sandbox.stats().faults as Record<string, number>)[`kingdee.BatchSave:${fault}`]).toBeGreaterThan(0);
  });

  it.each(kinds)("ExecuteBillQuery %s → %s", async (fault, kind) => {
    await start(`kingdee.executeBillQuery:${fault}@100%`);
    const error = await failure(target().lookup!(lookupRequest(["C001"], ["FNumber"], { timeoutMs: 300 })));
    expect(error.kind).toBe(kind);
    expect(error.call).toBe("kingdee ExecuteBillQuery");
  });

  it.each(kinds.filter(([fault]) => fault !== "session-lost"))("LoginByAppSecret %s → %s", async (fault, kind) => {
    await start(`kingdee.LoginByAppSecret:${fault}@100%`);
    const error = await failure(target().write(writeRequest([customer(1)], { timeoutMs: 300 })));
    expect(error.kind).toBe(kind);
    expect(error.call).toBe("kingdee LoginByAppSecret");
  });

  it("faults only the share of calls the spec names, reproducibly", async () => {
    const outcomes = async () => {
      await start("kingdee.batchSave:500@50%");
      const kingdee = target();
      const seen: string[] = [];
      for (let n = 1; n <= 30; n++) seen.push(await kingdee.write(writeRequest([customer(n)])).then(() => "ok", (e: CallError) => e.kind));
      await server?.close();
      server = undefined;
      return seen;
    };
    const first = await outcomes();
    expect(first).toContain("ok");
    expect(first).toContain("server");
    expect(await outcomes()).toEqual(first);
  });
});

describe("kingdee answers the sandbox never gives", () => {
  const status = (msgCode: number, errors: unknown[], successes: unknown[] = []) =>
    JSON.stringify({ Result: { ResponseStatus: { IsSuccess: false, ErrorCode: 500, MsgCode: msgCode, Errors: errors, SuccessEntitys: successes } } });
  const callLevel = [{ FieldName: null, Message: "出错了", DIndex: 0 }];

  it.each([
    ["MsgCode 2 (no permission)", status(2, callLevel), "credentials"],
    ["MsgCode 4 (exception)", status(4, callLevel), "server"],
    ["MsgCode 6 (database)", status(6, callLevel), "server"],
    ["MsgCode 13 (concurrent edit)", status(13, callLevel), "server"],
    ["MsgCode 8 without row errors", status(8, callLevel), "rejected"],
    ["MsgCode 9 without row errors", status(9, []), "rejected"],
    ["MsgCode 12 without row errors", status(12, callLevel), "rejected"],
    ["an answer without ResponseStatus", JSON.stringify({ Result: {} }), "malformed"],
  ])("%s → %s", async (_, body, kind) => {
    await startCanned(() => ({ body }));
    const error = await failure(target().write(writeRequest([customer(1), customer(2)])));
    expect(error.kind).toBe(kind);
  });

  it("reads row errors under MsgCode 12 by DIndex, and rows with no result", async () => {
    await startCanned(() => ({ body: status(12, [{ FieldName: null, Message: "不允许修改", DIndex: 1 }], [{ Id: 7, Number: "C001", DIndex: 0 }]) }));
    expect(await target().write(writeRequest([customer(1), customer(2), customer(3)]))).toEqual([
      { ok: true, targetId: "7" },
      { ok: false, reason: "不允许修改" },
      { ok: false, reason: "Kingdee gave no result for this row" },
    ]);
  });

  it("takes HTTP 429 as throttled with its Retry-After", async () => {
    await startCanned(() => ({ status: 429, headers: { "retry-after": "7" }, body: "{}" }));
    const error = await failure(target().write(writeRequest([customer(1)])));
    expect(error.kind).toBe("throttled");
    expect(error.retryAfterMs).toBe(7000);
  });

  it("keeps secrets out of messages even when Kingdee quotes them back", async () => {
    // The secret straddles the point where the quoted excerpt is cut: not even its start may show.
    await startCanned(() => ({ status: 500, body: `${"x".repeat(55)}${CREDS.FERRY_KINGDEE_APP_SECRET} echoed` }));
    const error = await failure(target().write(writeRequest([customer(1)])));
    expect(error.kind).toBe("server");
    expectNoSecrets(error.message);
    expect(error.message).not.toContain("sandbox");
    expect(error.message).toContain("***");
  });

  it("keeps secrets out of row reasons", async () => {
    await startCanned(() => ({ body: status(11, [{ FieldName: "FName", Message: `bad ${CREDS.FERRY_KINGDEE_PASSWORD}`, DIndex: 0 }]) }));
    const [result] = await target({ FERRY_KINGDEE_LOGIN: "password" }).write(writeRequest([customer(1)]));
    expect(result).toEqual({ ok: false, reason: "FName: bad ***" });
  });
});

describe("kingdee lookup", () => {
  const fields = ["FNumber", "FName", "FCreateOrgId", "FUseOrgId", "FTEL"];

  it("returns rows in the shape they were written, references as objects", async () => {
    await start();
    const kingdee = target();
    const rows = [customer(1, { FUseOrgId: { FNumber: "101" }, FTEL: "0571-1" }), customer(2, { FUseOrgId: { FNumber: "102" }, FTEL: "0571-2" })];
    await kingdee.write(writeRequest(rows));
    const states = await kingdee.lookup!(lookupRequest(["C001", "C002", "C404", "O'Brien"], fields));
    expect(states).toEqual([
      { key: "C001", targetId: "100001", row: rows[0] },
      { key: "C002", targetId: "100002", row: rows[1] },
    ]);
  });

  it("answers empty references as null", async () => {
    await start();
    const kingdee = target();
    await kingdee.write(writeRequest([customer(1)]));
    const [state] = await kingdee.lookup!(lookupRequest(["C001"], ["FName", "FUseOrgId"]));
    expect(state).toEqual({ key: "C001", targetId: "100001", row: { FName: "客户1", FUseOrgId: null } });
  });

  it("asks in chunks of 500 values", async () => {
    await start();
    const kingdee = target();
    await kingdee.write(writeRequest([customer(1), customer(2)]));
    const values = Array.from({ length: 1200 }, (_, i) => `C${String(i + 1).padStart(3, "0")}`);
    const states = await kingdee.lookup!(lookupRequest(values, ["FNumber"]));
    expect(states.map((s) => s.key)).toEqual(["C001", "C002"]);
    expect(calls().ExecuteBillQuery).toBe(3);
  });

  it("logs in again when the session expired", async () => {
    await start();
    const kingdee = target();
    await kingdee.write(writeRequest([customer(1)]));
    sandbox.expireSessions();
    expect(await kingdee.lookup!(lookupRequest(["C001"], ["FNumber"]))).toEqual([{ key: "C001", targetId: "100001", row: { FNumber: "C001" } }]);
    expect(calls().LoginByAppSecret).toBe(2);
  });

  it("works with signature headers", async () => {
    await start();
    const kingdee = target({ FERRY_KINGDEE_LOGIN: "headers" });
    await kingdee.write(writeRequest([customer(1)]));
    expect(await kingdee.lookup!(lookupRequest(["C001"], ["FName"]))).toEqual([{ key: "C001", targetId: "100001", row: { FName: "客户1" } }]);
  });

  it("answers a filter the sandbox cannot read with Kingdee's error, wrapped in the 2-D array", async () => {
    await start();
    const kingdee = target({ FERRY_KINGDEE_LOGIN: "headers" });
    const error = await failure(kingdee.lookup!(lookupRequest(["C001"], ["FNoSuchField"])));
    expect(error.kind).toBe("rejected");
    expect(error.message).toContain("FNoSuchField");
  });

  it("refuses a query answer of the wrong width as malformed", async () => {
    await startCanned(() => ({ body: JSON.stringify([["C001"]]) }));
    const error = await failure(target().lookup!(lookupRequest(["C001"], ["FNumber", "FName"])));
    expect(error.kind).toBe("malformed");
  });
});
