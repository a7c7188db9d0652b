import { describe, expect, it } from "vitest";
import { buildRequest, dingtalkSign, feishuSign, jsonPayload, type AlertEvent } from "../../alerts/formats.js";
import { HOUR, NOW } from "../support/alert-state.js";

const firing: AlertEvent = {
  event: "firing",
  rule: "失败告警",
  kind: "run-failed",
  flow: "guanyi_shops_to_kingdee_customers",
  message: "run #7 failed: kingdee batchSave: 保存失败",
  value: 1,
  threshold: 0,
  startedAt: NOW,
};
const resolved: AlertEvent = { ...firing, event: "resolved", resolvedAt: NOW + 2 * HOUR + 5 * 60_000 };

// Computed by hand with openssl, not with the code under test:
//   printf '1725753600000\nSEC0123456789abcdef' | openssl dgst -sha256 -hmac 'SEC0123456789abcdef' -binary | base64
//   printf '' | openssl dgst -sha256 -hmac "$(printf '1725753600\nfs-secret-abc')" -binary | base64
const DINGTALK_SIGN = "YtNOBy9pxFknZTcDUZCRxXOddcN2w3vQ4cdv4Um0ZJQ=";
const FEISHU_SIGN = "/zdgQhbJpt6hSH0e8eQxhivo1ApEObm6Yfxgbrkt+gQ=";

describe("signatures", () => {
  it("signs DingTalk requests: base64(HMAC-SHA256(secret, timestamp + \\n + secret))", () => {
    expect(NOW).toBe(1725753600000);
    expect(dingtalkSign("SEC0123456789abcdef", NOW)).toBe(DINGTALK_SIGN);
  });

  it("signs Feishu requests: base64(HMAC-SHA256 keyed with timestamp + \\n + secret, over nothing))", () => {
    expect(feishuSign("fs-secret-abc", NOW / 1000)).toBe(FEISHU_SIGN);
  });
});

describe("buildRequest", () => {
  it("DingTalk: markdown with title and text; timestamp (ms) and URL-encoded sign in the query", () => {
    const r = buildRequest({ name: "ops", type: "dingtalk", url: "https://oapi.dingtalk.com/robot/send?access_token=T", secret: "SEC0123456789abcdef" }, firing, NOW);
    const url = new URL(r.url);
    expect(url.searchParams.get("access_token")).toBe("T");
    expect(url.searchParams.get("timestamp")).toBe(String(NOW));
    expect(url.searchParams.get("sign")).toBe(DINGTALK_SIGN);
    expect(r.url).toContain(`&sign=${encodeURIComponent(DINGTALK_SIGN)}`);
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    const body = JSON.parse(r.body) as { msgtype: string; markdown: { title: string; text: string } };
    expect(Object.keys(body)).toEqual(["msgtype", "markdown"]);
    expect(body.msgtype).toBe("markdown");
    expect(body.markdown.title).toBe("[ferry] 告警 FIRING · 失败告警 · guanyi_shops_to_kingdee_customers");
    expect(body.markdown.text).toBe(
      [
        "#### 🔴 [ferry] 告警 FIRING · 失败告警 · guanyi_shops_to_kingdee_customers",
        "",
        "- flow: guanyi_shops_to_kingdee_customers",
        "- rule: 失败告警 (run-failed)",
        "- value: 1 (threshold 0)",
        "- since: 2024-09-08 08:00:00 (UTC+8)",
        "",
        "run #7 failed: kingdee batchSave: 保存失败",
      ].join("\n"),
    );
  });

  it("DingTalk without a secret: the URL as given", () => {
    const url = "https://oapi.dingtalk.com/robot/send?access_token=T";
    expect(buildRequest({ name: "ops", type: "dingtalk", url, secret: null }, firing, NOW).url).toBe(url);
  });

  it("WeCom: markdown content; a resolve says how long it lasted", () => {
    const r = buildRequest({ name: "wx", type: "wecom", url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", secret: null }, resolved, NOW);
    expect(r.url).toBe("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K");
    const body = JSON.parse(r.body) as { msgtype: string; markdown: { content: string } };
    expect(Object.keys(body)).toEqual(["msgtype", "markdown"]);
    expect(body.msgtype).toBe("markdown");
    expect(body.markdown.content).toBe(
      [
        "#### ✅ [ferry] 恢复 RESOLVED · 失败告警 · guanyi_shops_to_kingdee_customers",
        "",
        "- flow: guanyi_shops_to_kingdee_customers",
        "- rule: 失败告警 (run-failed)",
        "- from 2024-09-08 08:00:00 to 2024-09-08 10:05:00 (UTC+8), 2 h 5 min",
        "",
        "was: run #7 failed: kingdee batchSave: 保存失败",
      ].join("\n"),
    );
  });

  it("Feishu: text content, with timestamp (seconds) and sign in the body when signed", () => {
    const r = buildRequest({ name: "fs", type: "feishu", url: "https://open.feishu.cn/open-apis/bot/v2/hook/H", secret: "fs-secret-abc" }, firing, NOW + 999);
    const body = JSON.parse(r.body) as Record<string, unknown>;
    expect(body).toEqual({
      timestamp: "1725753600",
      sign: FEISHU_SIGN,
      msg_type: "text",
      content: { text: expect.stringContaining("[ferry] 告警 FIRING · 失败告警") },
    });
    expect((body.content as { text: string }).text.split("\n")).toEqual([
      "[ferry] 告警 FIRING · 失败告警 · guanyi_shops_to_kingdee_customers",
      "flow: guanyi_shops_to_kingdee_customers",
      "rule: 失败告警 (run-failed)",
      "value: 1 (threshold 0)",
      "since: 2024-09-08 08:00:00 (UTC+8)",
      "run #7 failed: kingdee batchSave: 保存失败",
    ]);
    const unsigned = JSON.parse(buildRequest({ name: "fs", type: "feishu", url: "https://f/h", secret: null }, firing, NOW).body) as object;
    expect(Object.keys(unsigned)).toEqual(["msg_type", "content"]);
  });

  it.each([
    {
      event: firing,
      payload: { event: "firing", rule: "失败告警", kind: "run-failed", flow: "guanyi_shops_to_kingdee_customers", message: firing.message, value: 1, threshold: 0, startedAt: "2024-09-08T00:00:00.000Z" },
    },
    {
      event: resolved,
      payload: { event: "resolved", rule: "失败告警", kind: "run-failed", flow: "guanyi_shops_to_kingdee_customers", message: firing.message, value: 1, threshold: 0, startedAt: "2024-09-08T00:00:00.000Z", resolvedAt: "2024-09-08T02:05:00.000Z" },
    },
    {
      event: { ...firing, kind: "error-rate" as const, system: "kingdee", operation: "batchSave", value: 30, threshold: 10 },
      payload: { event: "firing", rule: "失败告警", kind: "error-rate", flow: "guanyi_shops_to_kingdee_customers", system: "kingdee", operation: "batchSave", message: firing.message, value: 30, threshold: 10, startedAt: "2024-09-08T00:00:00.000Z" },
    },
  ])("JSON: the generic payload for a $event.event $event.kind", ({ event, payload }) => {
    const r = buildRequest({ name: "hook", type: "json", url: "http://h/alerts", secret: null }, event, NOW);
    expect(r.url).toBe("http://h/alerts");
    expect(JSON.parse(r.body)).toEqual(payload);
    expect(jsonPayload(event)).toEqual(payload);
  });

  it("cuts a very long message", () => {
    const r = buildRequest({ name: "hook", type: "wecom", url: "http://h", secret: null }, { ...firing, message: "长".repeat(5000) }, NOW);
    const content = (JSON.parse(r.body) as { markdown: { content: string } }).markdown.content;
    expect(content.endsWith(`${"长".repeat(1500)}…`)).toBe(true);
  });
});
