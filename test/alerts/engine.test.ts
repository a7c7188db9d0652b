import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_ANOMALY_SETTINGS, type AlertRule, type AlertsConfig, type AlertTarget, type RuleKind } from "../../alerts/config.js";
import { evaluateAlerts, type AlertsOutcome } from "../../alerts/engine.js";
import { fetchSend, type SendFn } from "../../alerts/notify.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import type { SqliteStateStore } from "../../runtime/state/sqlite.js";
import { calls, fakeRun, HOUR, MINUTE, NOW, tempStore, type TempStore } from "../support/alert-state.js";
import { startReceiver, type WebhookReceiver } from "../support/webhook.js";

const FLOW = "shops_to_customers";
const DING_SECRET = "SEC0123456789abcdef";
// By hand with openssl (see formats.test.ts): the signatures at NOW.
const DINGTALK_SIGN = "YtNOBy9pxFknZTcDUZCRxXOddcN2w3vQ4cdv4Um0ZJQ=";
const FEISHU_SIGN = "/zdgQhbJpt6hSH0e8eQxhivo1ApEObm6Yfxgbrkt+gQ=";

let receiver: WebhookReceiver;
let clock: FakeClock;
let t: TempStore;
let store: SqliteStateStore;

beforeEach(async () => {
  receiver = await startReceiver();
  // Auto mode: backoff waits pass at once while now() moves as if they had been waited.
  clock = new FakeClock({ start: NOW, auto: true });
  t = tempStore(() => clock.now());
  store = t.store;
});

afterEach(async () => {
  await receiver.close();
  await t.close();
});

function target(type: AlertTarget["type"], extra: Partial<AlertTarget> = {}): AlertTarget {
  const paths = { dingtalk: "/robot/send?access_token=DING-TOKEN-0001", wecom: "/cgi-bin/webhook/send?key=WECOM-KEY-0002", feishu: "/open-apis/bot/v2/hook/FEISHU-HOOK-TOKEN-0003", json: "/alerts" };
  return { name: type, type, url: `${receiver.url}${paths[type]}`, secret: null, ...extra };
}

function rule(kind: RuleKind, extra: Partial<AlertRule> = {}): AlertRule {
  return { name: `${kind} rule`, kind, flow: "*", threshold: 0, windowMinutes: 60, targets: ["json"], ...extra };
}

function config(rules: AlertRule[], targets: AlertTarget[] = [target("json")]): AlertsConfig {
  return { targets, rules, anomalies: DEFAULT_ANOMALY_SETTINGS };
}

function evaluate(cfg: AlertsConfig, options: { env?: Record<string, string>; send?: SendFn; attempts?: number } = {}): Promise<AlertsOutcome> {
  return evaluateAlerts({ store, config: cfg, env: options.env ?? {}, clock, send: options.send, attempts: options.attempts ?? 4 });
}

const stats = (rows: number, nulls: number) => [{ field: "FName", rows, nulls, empties: 0 }];

interface KindCase {
  readonly kind: RuleKind;
  readonly rule?: Partial<AlertRule>;
  /** Makes the rule fire. */
  setup(): Promise<unknown>;
  /** Makes the condition clear. */
  clear(): Promise<unknown>;
  readonly fired: Record<string, unknown>;
}

const KINDS: KindCase[] = [
  {
    kind: "run-failed",
    setup: () => fakeRun(store, FLOW, { status: "failed", error: `${FLOW}: kingdee batchSave: HTTP 500 (after 4 attempts)` }),
    clear: () => fakeRun(store, FLOW, { at: NOW - MINUTE, endedAt: NOW }),
    fired: { value: 1, threshold: 0, message: `run #1 failed: ${FLOW}: kingdee batchSave: HTTP 500 (after 4 attempts)` },
  },
  {
    kind: "dead-letters",
    rule: { threshold: 1 },
    setup: () => fakeRun(store, FLOW, { status: "dead-letters", deadLetters: [{ sourceId: "1", stage: "write" }, { sourceId: "2", stage: "write" }] }),
    clear: async () => {
      const letters = await store.deadLetters(FLOW, { unresolvedOnly: true });
      await store.commit(FLOW, { runId: 1, done: [], cleared: [], deadLetters: [], resolved: [letters[0]!.id] });
    },
    fired: { value: 2, threshold: 1, message: `2 dead letters need attention (more than 1); see ferry status ${FLOW} --dead-letters` },
  },
  {
    kind: "error-rate",
    rule: { threshold: 20, windowMinutes: 30 },
    setup: () => fakeRun(store, FLOW, { at: NOW - 10 * MINUTE, calls: [calls("kingdee", "batchSave", 10, 3), calls("guanyi", "gy.erp.shop.get", 10, 0)] }),
    clear: () => clock.advance(30 * MINUTE),
    fired: { value: 30, threshold: 20, system: "kingdee", operation: "batchSave", message: "3 of 10 attempts to kingdee batchSave failed in the last 30 min (30%, more than 20%); 3 of 10 calls still failed after their retries" },
  },
  {
    kind: "no-success",
    rule: { threshold: 24 },
    setup: () => fakeRun(store, FLOW, { at: NOW - 31 * HOUR, endedAt: NOW - 30 * HOUR }),
    clear: () => fakeRun(store, FLOW, { at: NOW - MINUTE, endedAt: NOW }),
    fired: { value: 30, threshold: 24, message: "no successful run for 30 h (more than 24 h); the last one, #1, ended 2024-09-07 02:00:00" },
  },
  {
    kind: "quality",
    setup: () => fakeRun(store, FLOW, { status: "dead-letters", stats: true, deadLetters: [{ sourceId: "1", stage: "check" }, { sourceId: "2", stage: "check" }, { sourceId: "3", stage: "write" }] }),
    clear: () => fakeRun(store, FLOW, { stats: true }),
    fired: { value: 2, threshold: 0, message: `2 rows of run #1 failed a check rule (more than 0); see ferry status ${FLOW} --dead-letters` },
  },
  {
    kind: "anomaly",
    setup: async () => {
      for (let i = 0; i < 3; i++) await fakeRun(store, FLOW, { stats: stats(100, 2) });
      await fakeRun(store, FLOW, { stats: stats(100, 60) });
    },
    clear: () => fakeRun(store, FLOW, { stats: stats(100, 2) }),
    fired: { value: 1, threshold: 0, message: "1 data anomaly in run #4: FName: null rate 60.0% (usually 2.0%)" },
  },
  {
    kind: "row-count",
    rule: { threshold: 50 },
    setup: async () => {
      for (let i = 0; i < 3; i++) await fakeRun(store, FLOW, { read: 100, stats: true });
      await fakeRun(store, FLOW, { read: 10, stats: true });
    },
    clear: () => fakeRun(store, FLOW, { read: 100, stats: true }),
    fired: { value: 90, threshold: 50, message: "run #4 read 10 rows, 90% fewer than the median 100 of the 3 successful runs before it (more than 50%)" },
  },
];

describe("each rule kind: one notice per incident, and a resolve when it clears", () => {
  it.each(KINDS)("$kind", async ({ kind, rule: extra, setup, clear, fired }) => {
    const cfg = config([rule(kind, extra)]);
    expect((await evaluate(cfg)).open).toEqual([]);
    await setup();

    const first = await evaluate(cfg);
    expect(first.fired).toHaveLength(1);
    expect(first.fired[0]).toMatchObject({ rule: `${kind} rule`, flow: FLOW, resolvedAt: null, detail: { kind, ...fired } });
    expect(first.notifications).toMatchObject([{ target: "json", event: "firing", ok: true, attempts: 1, error: null }]);
    expect(receiver.received.map((r) => r.body)).toEqual([
      { event: "firing", rule: `${kind} rule`, kind, flow: FLOW, ...fired, startedAt: new Date(clock.now()).toISOString() },
    ]);

    const second = await evaluate(cfg);
    expect(second.fired).toEqual([]);
    expect(second.open.map((i) => i.id)).toEqual([first.fired[0]!.id]);
    expect(second.notifications).toEqual([]);
    expect(receiver.received).toHaveLength(1);

    await clear();
    const third = await evaluate(cfg);
    expect(third.open).toEqual([]);
    expect(third.resolved.map((i) => i.id)).toEqual([first.fired[0]!.id]);
    expect(receiver.received[1]?.body).toMatchObject({ event: "resolved", rule: `${kind} rule`, kind, flow: FLOW, resolvedAt: new Date(clock.now()).toISOString() });

    const fourth = await evaluate(cfg);
    expect([fourth.fired, fourth.resolved, fourth.notifications]).toEqual([[], [], []]);
    expect(receiver.received).toHaveLength(2);
    const [incident] = await store.incidents(1);
    expect(incident).toMatchObject({ notifiedAt: NOW, resolveNotifiedAt: clock.now() });
  });

  it("error-rate: one incident per flow, system and operation", async () => {
    await fakeRun(store, FLOW, { calls: [calls("kingdee", "batchSave", 10, 5), calls("guanyi", "gy.erp.shop.get", 10, 5)] });
    await fakeRun(store, "other", { calls: [calls("kingdee", "batchSave", 10, 5)] });
    const out = await evaluate(config([rule("error-rate", { threshold: 10 })]));
    expect(out.fired.map((i) => i.key)).toEqual([
      JSON.stringify(["error-rate rule", "other", "kingdee", "batchSave"]),
      JSON.stringify(["error-rate rule", FLOW, "guanyi", "gy.erp.shop.get"]),
      JSON.stringify(["error-rate rule", FLOW, "kingdee", "batchSave"]),
    ]);
    expect(receiver.received).toHaveLength(3);
  });

  it("error-rate: counts failed attempts that a retry made good, not only calls that failed in the end", async () => {
    // 10 calls, none failed in the end, but 4 of their 14 attempts failed and were retried.
    await fakeRun(store, FLOW, { calls: [calls("kingdee", "batchSave", 10, 0, 4)] });
    const out = await evaluate(config([rule("error-rate", { threshold: 20 })]));
    expect(out.fired.map((i) => i.detail)).toMatchObject([
      { value: 28.6, message: "4 of 14 attempts to kingdee batchSave failed in the last 60 min (28.6%, more than 20%); 0 of 10 calls still failed after their retries" },
    ]);
  });

  it("a named flow: only that flow; no-success fires for a named flow that never ran", async () => {
    await fakeRun(store, "other", { status: "failed" });
    const out = await evaluate(config([rule("run-failed", { flow: FLOW }), rule("no-success", { name: "stale", flow: FLOW, threshold: 24 })]));
    expect(out.fired.map((i) => [i.rule, i.flow, (i.detail as { message: string }).message])).toEqual([["stale", FLOW, "no successful run yet"]]);
  });

  it("dry runs are no evidence of failure", async () => {
    await fakeRun(store, FLOW, { status: "failed", dryRun: true });
    expect((await evaluate(config([rule("run-failed")]))).fired).toEqual([]);
  });
});

describe("the four formats", () => {
  const targets = () => [
    target("dingtalk", { secret: DING_SECRET }),
    target("wecom"),
    target("feishu", { secret: "env:FEISHU_SECRET" }),
    target("json"),
  ];

  it("notifies every target once in its own format, signed, and each of the resolve", async () => {
    const cfg = config([rule("run-failed", { name: "失败", targets: ["dingtalk", "wecom", "feishu", "json"] })], targets());
    const env = { FEISHU_SECRET: "fs-secret-abc" };
    await fakeRun(store, FLOW, { status: "failed", error: "金蝶保存失败" });
    await evaluate(cfg, { env });
    await evaluate(cfg, { env });
    expect(receiver.received.map((r) => r.path)).toEqual(["/robot/send", "/cgi-bin/webhook/send", "/open-apis/bot/v2/hook/FEISHU-HOOK-TOKEN-0003", "/alerts"]);
    const [ding, wecom, feishu, json] = receiver.received;

    expect(ding?.query.get("access_token")).toBe("DING-TOKEN-0001");
    expect(ding?.query.get("timestamp")).toBe(String(NOW));
    expect(ding?.query.get("sign")).toBe(DINGTALK_SIGN);
    expect(ding?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(ding?.body).toEqual({ msgtype: "markdown", markdown: { title: `[ferry] 告警 FIRING · 失败 · ${FLOW}`, text: expect.stringContaining("run #1 failed: 金蝶保存失败") } });

    expect(wecom?.query.get("key")).toBe("WECOM-KEY-0002");
    expect(wecom?.body).toEqual({ msgtype: "markdown", markdown: { content: expect.stringContaining("#### 🔴 [ferry] 告警 FIRING · 失败") } });

    expect(feishu?.body).toEqual({ timestamp: String(NOW / 1000), sign: FEISHU_SIGN, msg_type: "text", content: { text: expect.stringContaining("run #1 failed: 金蝶保存失败") } });

    expect(json?.body).toEqual({ event: "firing", rule: "失败", kind: "run-failed", flow: FLOW, message: "run #1 failed: 金蝶保存失败", value: 1, threshold: 0, startedAt: "2024-09-08T00:00:00.000Z" });

    await fakeRun(store, FLOW, { at: NOW - MINUTE, endedAt: NOW });
    const out = await evaluate(cfg, { env });
    expect(out.notifications.map((n) => [n.target, n.event, n.ok])).toEqual([
      ["dingtalk", "resolved", true],
      ["wecom", "resolved", true],
      ["feishu", "resolved", true],
      ["json", "resolved", true],
    ]);
    const resolvedBodies = receiver.received.slice(4).map((r) => JSON.stringify(r.body));
    expect(resolvedBodies[0]).toContain("恢复 RESOLVED");
    expect(resolvedBodies[1]).toContain("恢复 RESOLVED");
    expect(resolvedBodies[2]).toContain("恢复 RESOLVED");
    expect(JSON.parse(resolvedBodies[3]!)).toMatchObject({ event: "resolved", resolvedAt: "2024-09-08T00:00:00.000Z" });
  });
});

describe("delivery: retries, giving up, refusals", () => {
  beforeEach(async () => {
    await fakeRun(store, FLOW, { status: "failed", error: "boom" });
  });

  it("retries 5xx with exponential backoff on the injected clock, then succeeds", async () => {
    receiver.failNext(2, 503);
    const out = await evaluate(config([rule("run-failed")]));
    expect(out.notifications).toMatchObject([{ ok: true, attempts: 3, error: null }]);
    expect(receiver.received).toHaveLength(3);
    expect(receiver.delivered()).toHaveLength(1);
    // 1 s, then 2 s: virtual time, no wall-clock wait.
    expect(clock.now() - NOW).toBe(3000);
  });

  it("gives up after N attempts, records the failure, and tries again at the next evaluation", async () => {
    receiver.failNext(4, 500);
    const first = await evaluate(config([rule("run-failed")]));
    expect(first.notifications).toMatchObject([{ target: "json", event: "firing", ok: false, attempts: 4, error: "HTTP 500 (after 4 attempts)" }]);
    expect(clock.now() - NOW).toBe(1000 + 2000 + 4000);
    expect(await store.notifications(10)).toMatchObject([{ ok: false, attempts: 4, error: "HTTP 500 (after 4 attempts)" }]);
    expect((await store.openIncidents())[0]?.notifiedAt).toBeNull();

    const second = await evaluate(config([rule("run-failed")]));
    expect(second.fired).toEqual([]);
    expect(second.notifications).toMatchObject([{ ok: true, attempts: 1 }]);
    const third = await evaluate(config([rule("run-failed")]));
    expect(third.notifications).toEqual([]);
    expect(receiver.delivered()).toHaveLength(1);
  });

  it.each([
    { name: "429", status: 429, retried: true },
    { name: "502", status: 502, retried: true },
    { name: "400", status: 400, retried: false },
    { name: "404", status: 404, retried: false },
  ])("HTTP $name is retried: $retried", async ({ status, retried }) => {
    receiver.failNext(1, status, '{"error":"no"}');
    const out = await evaluate(config([rule("run-failed")]));
    expect(out.notifications).toMatchObject([retried ? { ok: true, attempts: 2 } : { ok: false, attempts: 1, error: `HTTP ${status}: {"error":"no"}` }]);
  });

  it.each([
    { type: "dingtalk" as const, answer: { errcode: 310000, errmsg: "sign not match" }, ok: false, attempts: 1, error: "dingtalk refused the message: code 310000 sign not match" },
    { type: "dingtalk" as const, answer: { errcode: 130101, errmsg: "send too fast" }, ok: false, attempts: 3, error: "dingtalk refused the message: code 130101 send too fast (after 3 attempts)" },
    { type: "wecom" as const, answer: { errcode: 93000, errmsg: "invalid webhook url" }, ok: false, attempts: 1, error: "wecom refused the message: code 93000 invalid webhook url" },
    { type: "feishu" as const, answer: { code: 19021, msg: "sign match fail or timestamp is not within one hour from current time" }, ok: false, attempts: 1, error: "feishu refused the message: code 19021 sign match fail or timestamp is not within one hour from current time" },
    { type: "feishu" as const, answer: { StatusCode: 0, StatusMessage: "success" }, ok: true, attempts: 1, error: null },
    { type: "json" as const, answer: { errcode: 1 }, ok: true, attempts: 1, error: null },
  ])("reads a $type answer $answer", async ({ type, answer, ok, attempts, error }) => {
    receiver.answerWith(JSON.stringify(answer));
    const out = await evaluate(config([rule("run-failed", { targets: [type] })], [target(type)]), { attempts: 3 });
    expect(out.notifications).toMatchObject([{ ok, attempts, error }]);
  });

  it("retries a timeout", async () => {
    let calls = 0;
    const send: SendFn = (url, init) => {
      if (++calls === 1) return Promise.reject(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
      return fetchSend(url, init);
    };
    const out = await evaluate(config([rule("run-failed")]), { send });
    expect(out.notifications).toMatchObject([{ ok: true, attempts: 2 }]);
  });

  it("retries and resolves: a failed resolve notice is sent again at the next evaluation", async () => {
    const cfg = config([rule("run-failed")]);
    await evaluate(cfg);
    await fakeRun(store, FLOW, { at: NOW - MINUTE, endedAt: NOW });
    receiver.failNext(2, 500);
    const out = await evaluate(cfg, { attempts: 2 });
    expect(out.resolved).toHaveLength(1);
    expect(out.notifications).toMatchObject([{ event: "resolved", ok: false, attempts: 2 }]);
    const again = await evaluate(cfg, { attempts: 2 });
    expect(again.resolved).toEqual([]);
    expect(again.notifications).toMatchObject([{ event: "resolved", ok: true }]);
    expect((await evaluate(cfg)).notifications).toEqual([]);
    expect(receiver.delivered().map((r) => (r.body as { event: string }).event)).toEqual(["firing", "resolved"]);
  });

  it("tells each target once: a target that failed is retried, the others are not told twice", async () => {
    const cfg = config([rule("run-failed", { targets: ["json", "wecom"] })], [target("json"), target("wecom")]);
    receiver.failNext(2, 500);
    const first = await evaluate(cfg, { attempts: 2 });
    expect(first.notifications.map((n) => [n.target, n.ok])).toEqual([["json", false], ["wecom", true]]);
    const second = await evaluate(cfg, { attempts: 2 });
    expect(second.notifications.map((n) => [n.target, n.ok])).toEqual([["json", true]]);
  });

  it("resolves the incidents of a rule that was removed, telling the targets that were told", async () => {
    await evaluate(config([rule("run-failed")]));
    const out = await evaluate(config([]));
    expect(out.resolved).toHaveLength(1);
    expect(out.notifications).toMatchObject([{ target: "json", event: "resolved", ok: true }]);
  });
});

describe("redaction: webhook URLs and secrets never appear in errors", () => {
  const TOKEN = "DING-TOKEN-0001";
  const SECRET = "SEC-super-secret-value";

  beforeEach(async () => {
    await fakeRun(store, FLOW, { status: "failed", error: "boom" });
  });

  async function failureText(cfg: AlertsConfig, options: { env?: Record<string, string>; send?: SendFn } = {}): Promise<string> {
    const out = await evaluate(cfg, { attempts: 2, ...options });
    expect(out.notifications.every((n) => !n.ok)).toBe(true);
    const stored = await store.notifications(10);
    return [...out.notifications, ...stored].map((n) => n.error ?? "").join("\n");
  }

  it("when the webhook echoes the request in its refusal", async () => {
    const ding = target("dingtalk", { secret: SECRET });
    receiver.failNext(1, 400, JSON.stringify({ errmsg: `bad request ${ding.url}&sign=xyz secret=${SECRET} token=${TOKEN}` }));
    const text = await failureText(config([rule("run-failed", { targets: ["dingtalk"] })], [ding]));
    expect(text).toContain("HTTP 400");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(receiver.url);
  });

  it("when the connection is refused", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`;
    const text = await failureText(config([rule("run-failed", { targets: ["dingtalk"] })], [{ name: "dingtalk", type: "dingtalk", url, secret: SECRET }]));
    expect(text).toContain("connection failed (ECONNREFUSED) (after 2 attempts)");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(`127.0.0.1:${port}/robot`);
  });

  it("when the HTTP client quotes the URL in its own error", async () => {
    const send: SendFn = (url) => Promise.reject(new TypeError(`Failed to parse URL from ${url}`));
    const text = await failureText(config([rule("run-failed", { targets: ["dingtalk"] })], [target("dingtalk", { secret: SECRET })]), { send });
    expect(text).toContain("request failed: Failed to parse URL from");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(encodeURIComponent(SECRET));
  });

  it("when an env reference is not set: the variable is named, nothing else", async () => {
    const cfg = config([rule("run-failed", { targets: ["feishu"] })], [target("feishu", { url: "env:FEISHU_URL" })]);
    const out = await evaluate(cfg);
    expect(out.notifications).toMatchObject([{ ok: false, attempts: 0, error: 'target "feishu" url: environment variable FEISHU_URL is not set' }]);
  });
});
