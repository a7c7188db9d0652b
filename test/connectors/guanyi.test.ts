import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { guanyiConnector, refusalKind } from "../../connectors/guanyi/client.js";
import { createGuanyiSandbox, type GuanyiSandbox, type GuanyiShop } from "../../connectors/guanyi/sandbox.js";
import { FIRST_SHOP_ID } from "../../connectors/guanyi/sandbox-shops.js";
import { signGuanyi, verifyGuanyi } from "../../connectors/guanyi/sign.js";
import { FaultDice, parseFaultSpec, type SandboxFault } from "../../connectors/sandbox/faults.js";
import { SANDBOX_CREDENTIALS, type SandboxHandler } from "../../connectors/sandbox/handler.js";
import type { ConnectorContext, ReadRequest, SourceConnector } from "../../runtime/connector.js";
import { CallError, type FaultKind } from "../../runtime/faults.js";
import type { FlowSpec, Scalar } from "../../runtime/types.js";
import { serveSandboxes, type SandboxServer } from "../support/sandbox-server.js";

/** 2025-01-01 12:00:00 in Shanghai (04:00 UTC): the sandbox's "now". */
const NOW = Date.UTC(2025, 0, 1, 4, 0, 0);
const CREDS = SANDBOX_CREDENTIALS.guanyi;
const SECRETS = Object.values(CREDS);
const SHOP_KEYS = ["id", "nick", "code", "name", "create_date", "modify_date", "note", "type_name"];
const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const KINGDEE_CODE = /^[A-Za-z0-9_-]+$/;

function context(env: Record<string, string | undefined>): ConnectorContext {
  // The connector reads env and clock only; the flow is not consulted.
  return { env, clock: { now: () => NOW, sleep: async () => undefined }, flow: {} as FlowSpec };
}

function sandbox(options: { seed?: number; records?: number; faults?: string } = {}): GuanyiSandbox {
  const seed = options.seed ?? 42;
  return createGuanyiSandbox({ seed, records: options.records ?? 250, dice: new FaultDice(parseFaultSpec(options.faults ?? ""), seed), now: () => NOW });
}

function source(url: string, env: Record<string, string> = {}): SourceConnector {
  return guanyiConnector().source!(context({ ...CREDS, FERRY_GUANYI_URL: url, ...env }));
}

function shopRequest(params: Record<string, Scalar> = {}, over: Partial<ReadRequest> = {}): ReadRequest {
  return { operation: "gy.erp.shop.get", params, recordsPath: "shops", totalPath: "total", cursorPath: null, timeoutMs: 5000, ...over };
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

function expectNoSecrets(text: string, secrets: readonly string[] = SECRETS): void {
  for (const s of secrets) expect(text).not.toContain(s);
}

/** POSTs raw text to the gateway, as a hand-rolled client would. */
async function post(url: string, text: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}/rest/erp_open`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function signedText(body: Record<string, unknown>, secret: string = CREDS.FERRY_GUANYI_SECRET): string {
  return JSON.stringify({ ...body, sign: signGuanyi(body, secret) });
}

const servers: SandboxServer[] = [];
async function serve(...handlers: SandboxHandler[]): Promise<string> {
  const server = await serveSandboxes(handlers);
  servers.push(server);
  return server.url;
}

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A stand-in gateway that answers every request with `answer`, for odd answers the sandbox never gives. */
function canned(answer: { status?: number; type?: string; headers?: Record<string, string>; body: string }): SandboxHandler {
  return {
    system: "guanyi",
    owns: (path) => path === "/rest/erp_open",
    async handle(_req: IncomingMessage, _body: Buffer, res: ServerResponse) {
      res.writeHead(answer.status ?? 200, { "content-type": answer.type ?? "application/json", ...answer.headers });
      res.end(answer.body);
    },
    stats: () => ({}),
  };
}

const BASE = { appkey: CREDS.FERRY_GUANYI_APPKEY, sessionkey: CREDS.FERRY_GUANYI_SESSIONKEY, method: "gy.erp.shop.get" };

describe("guanyi sign", () => {
  const fixed = { ...BASE, page_no: 1, page_size: 10, modify_start_date: "2024-09-07 00:00:00", code: "天猫店" };

  it("is the upper-case MD5 of secret + body JSON (Chinese unescaped) + secret, pinned", () => {
    // Computed outside Node: printf 'sandbox-secret{…}sandbox-secret' | md5sum.
    expect(signGuanyi(fixed, "sandbox-secret")).toBe("4ADD4AD4695C08F9C74A2FCFABA21F25");
    const json = JSON.stringify(fixed);
    expect(json).toContain("天猫店");
    expect(signGuanyi(fixed, "sandbox-secret")).toBe(createHash("md5").update(`sandbox-secret${json}sandbox-secret`).digest("hex").toUpperCase());
  });

  it("leaves an existing sign out of what it signs", () => {
    expect(signGuanyi({ ...fixed, sign: "OLD" }, "sandbox-secret")).toBe("4ADD4AD4695C08F9C74A2FCFABA21F25");
  });

  it.each([
    ["a signed body", signedText(fixed), true],
    ["a changed param", signedText(fixed).replace('"page_no":1', '"page_no":2'), false],
    ["another secret", signedText(fixed, "other-secret"), false],
    ["no sign", JSON.stringify(fixed), false],
    ["a lower-case sign", JSON.stringify({ ...fixed, sign: signGuanyi(fixed, "sandbox-secret").toLowerCase() }), false],
    ["a numeric sign", JSON.stringify({ ...fixed, sign: 1 }), false],
    ["not JSON", "appkey=x&sign=y", false],
    ["a JSON array", "[1,2]", false],
  ])("verifies %s: %s", (_name, raw, ok) => {
    expect(verifyGuanyi(raw, "sandbox-secret")).toBe(ok);
  });

  it("refuses a sign computed over escaped Chinese, since the server re-serialises unescaped", () => {
    const escaped = JSON.stringify(fixed).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const sign = createHash("md5").update(`sandbox-secret${escaped}sandbox-secret`).digest("hex").toUpperCase();
    expect(verifyGuanyi(`${escaped.slice(0, -1)},"sign":"${sign}"}`, "sandbox-secret")).toBe(false);
  });
});

describe("guanyi sandbox data", () => {
  const shops = sandbox({ records: 3000 }).shops();

  it("has Guanyi's shop shape, ids from 55370664060, ordered by modify_date then id", () => {
    expect(shops).toHaveLength(3000);
    // Problems are collected rather than asserted one by one: 3000 rows × 10 expects is slow.
    const problems: string[] = [];
    const types = new Set(["天猫", "京东", "门店", "其他"]);
    shops.forEach((shop, i) => {
      const at = `shop ${i}`;
      if (Object.keys(shop).join() !== SHOP_KEYS.join()) problems.push(`${at} keys ${Object.keys(shop).join()}`);
      if (shop.id !== FIRST_SHOP_ID + i || !/^\d{11}$/.test(String(shop.id))) problems.push(`${at} id ${shop.id}`);
      if (!DATE.test(shop.create_date) || !DATE.test(shop.modify_date)) problems.push(`${at} dates ${shop.create_date} ${shop.modify_date}`);
      if (shop.create_date > shop.modify_date) problems.push(`${at} created after modified`);
      if (!types.has(shop.type_name)) problems.push(`${at} type ${shop.type_name}`);
      if (!/[\u4e00-\u9fff]/.test(shop.name)) problems.push(`${at} name ${shop.name}`);
      const prev = shops[i - 1];
      if (prev && !(prev.modify_date < shop.modify_date || (prev.modify_date === shop.modify_date && prev.id < shop.id))) problems.push(`${at} out of order`);
    });
    expect(problems).toEqual([]);
  });

  it("dates fall in the 3 days before now, in Shanghai time whatever the machine's zone", () => {
    // NOW is 12:00 in Shanghai but 04:00 UTC: a UTC formatter would put every date 8 hours earlier.
    for (const shop of shops) {
      expect(shop.create_date >= "2024-12-29 12:00:00").toBe(true);
      expect(shop.modify_date < "2025-01-01 12:00:00").toBe(true);
    }
    expect(shops.at(-1)!.modify_date > "2025-01-01 11:00:00").toBe(true);
  });

  it("has codes Kingdee accepts except about 1% (a space or Chinese), all unique", () => {
    const bad = shops.filter((s) => !KINGDEE_CODE.test(s.code));
    expect(bad.length).toBeGreaterThan(10);
    expect(bad.length).toBeLessThan(60);
    for (const s of bad) expect(s.code).toMatch(/^(gsh \d{5,}|店铺\d{5,})$/);
    expect(shops.filter((s) => KINGDEE_CODE.test(s.code)).every((s) => /^gsh_\d{5,}$/.test(s.code))).toBe(true);
    expect(new Set(shops.map((s) => s.code)).size).toBe(shops.length);
  });

  it("leaves note empty for about a third, nick empty for stores, and uses every channel", () => {
    const empty = shops.filter((s) => s.note === "").length / shops.length;
    expect(empty).toBeGreaterThan(0.28);
    expect(empty).toBeLessThan(0.39);
    for (const s of shops) expect(s.nick === "").toBe(s.type_name === "门店");
    expect(new Set(shops.map((s) => s.type_name))).toEqual(new Set(["天猫", "京东", "门店", "其他"]));
    expect(shops.some((s) => s.name.endsWith("京东自营店"))).toBe(true);
  });

  it("is the same for the same seed and differs for another", () => {
    expect(sandbox({ seed: 42 }).shops()).toEqual(sandbox({ seed: 42 }).shops());
    expect(sandbox({ seed: 43 }).shops()).not.toEqual(sandbox({ seed: 42 }).shops());
  });
});

describe("guanyi client against the sandbox", () => {
  it("reads every page of a window: exactly the shops in it, with the right total", async () => {
    const box = sandbox();
    const all = box.shops();
    const start = all[40]!.modify_date;
    const end = all[190]!.modify_date;
    const expected = all.filter((s) => s.modify_date >= start && s.modify_date < end);
    const client = source(await serve(box));
    const got: GuanyiShop[] = [];
    for (let page = 1; page < 100; page++) {
      const answer = await client.read(shopRequest({ page_no: page, page_size: 25, modify_start_date: start, modify_end_date: end }));
      expect(answer.total).toBe(expected.length);
      got.push(...(answer.records as GuanyiShop[]));
      if (answer.records.length < 25) break;
    }
    expect(got.map((s) => s.id)).toEqual(expected.map((s) => s.id));
    expect(got).toEqual(expected);
    expect(box.stats()).toMatchObject({ calls: { "gy.erp.shop.get": Math.ceil((expected.length + 1) / 25) }, shops: 250 });
  });

  it.each([
    ["no params: page 1 of 10 over everything", {}, 10, 250, 0],
    ["page 3 of 100", { page_no: 3, page_size: 100 }, 50, 250, 200],
    ["a page past the end", { page_no: 9, page_size: 100 }, 0, 250, 0],
    ["page numbers as strings", { page_no: "2", page_size: "20" }, 20, 250, 20],
    ["a start only", { modify_start_date: "@200" }, 10, 50, 200],
    ["an end only", { modify_end_date: "@5", page_size: 100 }, 5, 5, 0],
    ["an empty window", { modify_start_date: "@9", modify_end_date: "@9" }, 0, 0, 0],
  ])("pages and filters: %s", async (_name, params: Record<string, Scalar>, rows, total, first) => {
    const box = sandbox();
    const all = box.shops();
    // "@i" stands for shop i's modify_date; ids rise with modify_date, so each window is a range.
    const resolved = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === "string" && v.startsWith("@") ? all[Number(v.slice(1))]!.modify_date : v]));
    const answer = await source(await serve(box)).read(shopRequest(resolved));
    expect(answer.total).toBe(total);
    expect(answer.records).toHaveLength(rows);
    if (rows > 0) expect((answer.records[0] as GuanyiShop).id).toBe(FIRST_SHOP_ID + first);
  });

  it("finds one shop by code, Kingdee-invalid codes included", async () => {
    const box = sandbox({ records: 1000 });
    const client = source(await serve(box));
    const bad = box.shops().find((s) => !KINGDEE_CODE.test(s.code))!;
    const good = box.shops()[7]!;
    for (const shop of [bad, good]) {
      const answer = await client.read(shopRequest({ code: shop.code }));
      expect(answer).toEqual({ records: [shop], total: 1, cursor: null });
    }
    expect((await client.read(shopRequest({ code: "gsh_99999" }))).total).toBe(0);
  });

  it("answers exactly SYSTEMS.md's envelope", async () => {
    const url = await serve(sandbox());
    const { status, json } = await post(url, signedText({ ...BASE, page_size: 1 }));
    expect(status).toBe(200);
    expect(Object.keys(json)).toEqual(["success", "errorCode", "subErrorCode", "errorDesc", "subErrorDesc", "requestMethod", "shops", "total"]);
    expect(json).toMatchObject({ success: true, errorCode: "", requestMethod: "gy.erp.shop.get", total: 250 });
  });

  it.each([
    ["page_size 101", { page_size: 101 }, "page_size不能大于100"],
    ["page_size 0", { page_size: 0 }, "page_size"],
    ["page_no 0", { page_no: 0 }, "page_no"],
    ["page_no 1.5", { page_no: 1.5 }, "page_no"],
    ["a start date without seconds", { modify_start_date: "2024-12-30 10:00" }, "modify_start_date"],
    ["an ISO end date", { modify_end_date: "2024-12-30T10:00:00Z" }, "modify_end_date"],
    ["an impossible date", { modify_start_date: "2024-02-30 00:00:00" }, "modify_start_date"],
    ["a numeric code", { code: 42 }, "code"],
  ])("refuses %s as rejected, with Guanyi's own answer", async (_name, params: Record<string, Scalar>, words) => {
    const error = await failure(source(await serve(sandbox())).read(shopRequest(params)));
    expect(error.kind).toBe("rejected");
    expect(error.message).toContain('errorCode "0006" 参数错误');
    expect(error.message).toContain(words);
  });

  it("refuses an unknown method as rejected", async () => {
    const error = await failure(source(await serve(sandbox())).read(shopRequest({}, { operation: "gy.erp.nothing.get" })));
    expect(error).toMatchObject({ kind: "rejected", call: "guanyi gy.erp.nothing.get" });
    expect(error.message).toContain("接口方法不存在");
  });

  it("refuses a param that would overwrite the envelope, before calling", async () => {
    const box = sandbox();
    const error = await failure(source(await serve(box)).read(shopRequest({ sign: "x" })));
    expect(error.kind).toBe("rejected");
    expect(box.stats()).toMatchObject({ calls: {} });
  });
});

describe("guanyi authentication", () => {
  const good = { ...BASE, page_no: 1, page_size: 5, modify_start_date: "2024-12-30 00:00:00" };

  it.each([
    ["a param changed after signing", () => signedText(good).replace('"page_size":5', '"page_size":6'), "0004", "签名错误"],
    ["the wrong secret", () => signedText(good, "wrong-secret"), "0004", "签名错误"],
    ["no sign", () => JSON.stringify(good), "0004", "签名错误"],
    ["an empty sign", () => JSON.stringify({ ...good, sign: "" }), "0004", "签名错误"],
    ["a wrong appkey", () => signedText({ ...good, appkey: "nope" }), "0002", "appkey不存在或已停用"],
    ["a wrong sessionkey", () => signedText({ ...good, sessionkey: "nope" }), "0003", "sessionkey无效"],
    ["a body that is not JSON", () => "{not json", "0001", "请求格式错误"],
  ])("answers %s with Guanyi's own error, HTTP 200", async (_name, text, code, desc) => {
    const { status, json } = await post(await serve(sandbox()), text());
    expect(status).toBe(200);
    expect(json).toMatchObject({ success: false, errorCode: code, errorDesc: desc });
    expect(json).not.toHaveProperty("shops");
  });

  it.each([
    ["secret", { FERRY_GUANYI_SECRET: "wrong-secret-value" }, "签名错误"],
    // Values that share no 6 characters with Guanyi's words: those would be masked as fragments.
    ["appkey", { FERRY_GUANYI_APPKEY: "wrong-ak-7f3e9c" }, "appkey"],
    ["sessionkey", { FERRY_GUANYI_SESSIONKEY: "wrong-sk-5a8b0c" }, "sessionkey无效"],
  ])("classifies a wrong %s as credentials, naming no secret", async (_name, env: Record<string, string>, words) => {
    const error = await failure(source(await serve(sandbox()), env).read(shopRequest()));
    expect(error.kind).toBe("credentials");
    expect(error.transient).toBe(false);
    expect(error.message).toContain(words);
    expect(error.message).toContain("check FERRY_GUANYI_APPKEY");
    expectNoSecrets(error.message, [...SECRETS, ...Object.values(env)]);
  });

  it.each([
    ["FERRY_GUANYI_APPKEY", "the Guanyi app key"],
    ["FERRY_GUANYI_SESSIONKEY", "the Guanyi session key"],
    ["FERRY_GUANYI_SECRET", "the Guanyi app secret"],
  ])("refuses to start without %s", (name, what) => {
    for (const value of [undefined, "", "   "]) {
      let error: unknown;
      try {
        guanyiConnector().source!(context({ ...CREDS, [name]: value }));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CallError);
      expect(error).toMatchObject({ kind: "credentials", call: "guanyi", message: `guanyi: ${name} is not set: ${what}` });
    }
  });

  it.each([
    ["not a URL", "::nope"],
    ["ftp", "ftp://example.com"],
    ["a user in it", "http://sandbox-appkey:pw@example.com"],
    ["a query", "http://example.com/?appkey=x"],
  ])("refuses FERRY_GUANYI_URL with %s, without echoing it", (_name, url) => {
    let error: unknown;
    try {
      source(url);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: "credentials" });
    expect((error as Error).message).toContain("FERRY_GUANYI_URL");
    expect((error as Error).message).not.toContain(url);
  });

  it("defaults to Guanyi's production gateway", () => {
    expect(guanyiConnector()).toMatchObject({ name: "guanyi" });
    expect(guanyiConnector().target).toBeDefined();
    expect(() => guanyiConnector().source!(context({ ...CREDS }))).not.toThrow();
  });
});

describe("guanyi faults", () => {
  it.each<[SandboxFault, FaultKind, string]>([
    ["500", "server", "HTTP 500"],
    ["timeout", "timeout", "no answer within 100 ms"],
    ["throttle", "throttled", "接口调用过于频繁"],
    ["html", "malformed", "not JSON"],
    ["truncated", "malformed", "truncated JSON"],
    ["reset", "network", ""],
    ["session-lost", "server", "系统繁忙"],
  ])("maps the sandbox's %s fault to %s", async (fault, kind, words) => {
    const box = sandbox({ faults: `guanyi.gy.erp.shop.get:${fault}@100%` });
    const client = source(await serve(box));
    const error = await failure(client.read(shopRequest({}, { timeoutMs: fault === "timeout" ? 100 : 5000 })));
    expect(error.kind).toBe(kind);
    expect(error.transient).toBe(true);
    expect(error.message).toContain(words);
    expectNoSecrets(error.message);
    expect(box.stats()).toMatchObject({ faults: { [`gy.erp.shop.get:${fault}`]: 1 } });
  });

  it("injects faults before checking anything, and per the dice only", async () => {
    const box = sandbox({ faults: "guanyi:throttle@50%" });
    const url = await serve(box);
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { json } = await post(url, "{garbage");
      outcomes.push(String(json.errorCode));
    }
    expect(new Set(outcomes)).toEqual(new Set(["0008", "0001"]));
    const again = sandbox({ faults: "guanyi:throttle@50%" });
    const url2 = await serve(again);
    const replay: string[] = [];
    for (let i = 0; i < 20; i++) replay.push(String((await post(url2, "{garbage")).json.errorCode));
    expect(replay).toEqual(outcomes);
  });

  it("frees a held request on releaseHeld", async () => {
    const box = sandbox({ faults: "guanyi:timeout@100%" });
    const url = await serve(box);
    const pending = fetch(`${url}/rest/erp_open`, { method: "POST", body: signedText(BASE) }).then(
      () => "answered",
      () => "dropped",
    );
    // Wait until the sandbox has seen the request, then release it.
    const seen = () => (box.stats().calls as Record<string, number>)["gy.erp.shop.get"] === 1;
    for (let i = 0; i < 100_000 && !seen(); i++) await new Promise((r) => setImmediate(r));
    expect(seen()).toBe(true);
    box.releaseHeld();
    expect(await pending).toBe("dropped");
  });
});

describe("guanyi answers the sandbox never gives", () => {
  const ok = (extra: object) => JSON.stringify({ success: true, errorCode: "", subErrorCode: "", errorDesc: "", subErrorDesc: "", requestMethod: "gy.erp.shop.get", ...extra });

  it.each<[string, Parameters<typeof canned>[0], FaultKind, number | undefined]>([
    ["HTTP 429 with Retry-After", { status: 429, headers: { "retry-after": "7" }, body: "slow down" }, "throttled", 7000],
    ["HTTP 503", { status: 503, body: "<html>503</html>" }, "server", undefined],
    ["HTTP 401", { status: 401, body: "" }, "credentials", undefined],
    ["a redirect", { status: 302, headers: { location: "https://v2.api.guanyierp.com/rest/erp_open" }, body: "" }, "rejected", undefined],
    ["an HTML page at 200", { type: "text/html", body: "<html><body>登录</body></html>" }, "malformed", undefined],
    ["success without shops", { body: ok({ total: 3 }) }, "malformed", undefined],
    ["shops that is not an array", { body: ok({ shops: {}, total: 0 }) }, "malformed", undefined],
    ["a total that is not a count", { body: ok({ shops: [], total: -1 }) }, "malformed", undefined],
    ["no success flag", { body: JSON.stringify({ shops: [] }) }, "malformed", undefined],
    ["a JSON array", { body: "[]" }, "malformed", undefined],
    ["限流", { body: JSON.stringify({ success: false, errorCode: "9001", errorDesc: "触发限流" }) }, "throttled", undefined],
    ["系统异常", { body: JSON.stringify({ success: false, errorCode: "9002", errorDesc: "系统异常" }) }, "server", undefined],
    ["a sub-error on the sign", { body: JSON.stringify({ success: false, errorCode: "40", errorDesc: "参数错误", subErrorCode: "isv.invalid-signature", subErrorDesc: "" }) }, "credentials", undefined],
    ["a business refusal", { body: JSON.stringify({ success: false, errorCode: "9003", errorDesc: "店铺不存在" }) }, "rejected", undefined],
  ])("classifies %s", async (_name, answer, kind, retryAfterMs) => {
    const error = await failure(source(await serve(canned(answer))).read(shopRequest()));
    expect(error.kind).toBe(kind);
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.message).not.toMatch(/FERRY_HTTP_/);
  });

  it("accepts a total sent as a digit string", async () => {
    const answer = await source(await serve(canned({ body: ok({ shops: [{ id: 1 }], total: "12" }) }))).read(shopRequest());
    expect(answer).toEqual({ records: [{ id: 1 }], total: 12, cursor: null });
  });

  it("keeps every credential out of messages, even when the answer echoes them", async () => {
    const env = { FERRY_GUANYI_APPKEY: "ak-7f3e9c1d2b", FERRY_GUANYI_SESSIONKEY: "sk-5a8b0c4d6e9f1a2b", FERRY_GUANYI_SECRET: "sec-0e1d2c3b4a" };
    const echo = `appkey ${env.FERRY_GUANYI_APPKEY} sessionkey ${env.FERRY_GUANYI_SESSIONKEY} secret ${env.FERRY_GUANYI_SECRET}`;
    const answers = [
      { body: JSON.stringify({ success: false, errorCode: "0002", errorDesc: echo, subErrorDesc: echo }) },
      { body: JSON.stringify({ success: false, errorCode: "9", errorDesc: echo }) },
      // The quote of a non-JSON body is cut at 60 characters, which can split a secret.
      { type: "text/html", body: `<html>${"x".repeat(38)}${env.FERRY_GUANYI_SESSIONKEY}</html>` },
      { status: 500, body: echo },
    ];
    for (const answer of answers) {
      const error = await failure(source(await serve(canned(answer)), env).read(shopRequest()));
      expectNoSecrets(error.message, Object.values(env));
      expect(error.message).not.toContain("sk-5a8b");
      expect(error.message).toContain("***");
    }
  });
});

describe("guanyi refusal words", () => {
  it.each<[string, FaultKind]>([
    ["接口调用过于频繁，请稍后再试", "throttled"],
    ["Too many requests", "throttled"],
    ["api call limit reached", "throttled"],
    ["签名错误", "credentials"],
    ["invalid sign", "credentials"],
    ["appkey不存在", "credentials"],
    ["session expired", "credentials"],
    ["系统繁忙，请稍后再试", "server"],
    ["internal error", "server"],
    ["page_size exceeds the limit of 100", "rejected"],
    ["店铺代码已存在", "rejected"],
  ])("%s → %s", (text, kind) => {
    expect(refusalKind(text)).toBe(kind);
  });
});

describe("the sandbox server helper", () => {
  it("answers 404 JSON for paths no sandbox owns", async () => {
    const url = await serve(sandbox());
    const response = await fetch(`${url}/K3Cloud/x.common.kdsvc`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: expect.stringContaining("/K3Cloud/") });
  });
});
