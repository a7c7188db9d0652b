import { createHmac } from "node:crypto";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../runtime/datetime.js";
import type { NotificationEvent } from "../runtime/state/store.js";
import type { RuleKind, TargetType } from "./config.js";

/** What a notice says: an incident that opened (`firing`) or cleared (`resolved`). */
export interface AlertEvent {
  readonly event: NotificationEvent;
  readonly rule: string;
  readonly kind: RuleKind;
  readonly flow: string;
  readonly system?: string;
  readonly operation?: string;
  readonly message: string;
  readonly value: number | null;
  readonly threshold: number;
  /** When the incident opened (ms since the epoch). */
  readonly startedAt: number;
  readonly resolvedAt?: number;
}

/** A target with its URL and secret already resolved from the environment. */
export interface ResolvedTarget {
  readonly name: string;
  readonly type: TargetType;
  readonly url: string;
  readonly secret: string | null;
}

/** One HTTP POST to a webhook. */
export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Chat messages have size limits (DingTalk about 20 KB); a message this long is cut. */
const MAX_MESSAGE = 1500;

/**
 * DingTalk's signature: base64(HMAC-SHA256(key = secret, data = timestamp + "\n" + secret)), with
 * the timestamp in ms. It goes in the query string, URL-encoded, beside `timestamp`.
 */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac("sha256", secret).update(`${timestampMs}\n${secret}`, "utf8").digest("base64");
}

/**
 * Feishu's signature: base64(HMAC-SHA256(key = timestamp + "\n" + secret, data = empty)), with the
 * timestamp in seconds. It goes in the JSON body beside `timestamp`.
 */
export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac("sha256", `${timestampSec}\n${secret}`).update("").digest("base64");
}

const when = (ms: number) => formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);

function clip(text: string): string {
  const chars = Array.from(text);
  return chars.length <= MAX_MESSAGE ? text : `${chars.slice(0, MAX_MESSAGE).join("")}…`;
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** The short headline, e.g. `[ferry] 告警 FIRING · shop-failures · guanyi_shops`. */
export function title(e: AlertEvent): string {
  return `[ferry] ${e.event === "firing" ? "告警 FIRING" : "恢复 RESOLVED"} · ${e.rule} · ${e.flow}`;
}

/** The facts of an event, one per line, without markup. */
function lines(e: AlertEvent): string[] {
  const out = [`flow: ${e.flow}`, `rule: ${e.rule} (${e.kind})`];
  if (e.system !== undefined) out.push(`call: ${e.system} ${e.operation ?? ""}`.trimEnd());
  if (e.event === "firing") {
    if (e.value !== null) out.push(`value: ${e.value} (threshold ${e.threshold})`);
    out.push(`since: ${when(e.startedAt)} (UTC+8)`);
  } else {
    const end = e.resolvedAt ?? e.startedAt;
    out.push(`from ${when(e.startedAt)} to ${when(end)} (UTC+8), ${duration(end - e.startedAt)}`);
  }
  return out;
}

/** Markdown for DingTalk and WeCom. */
export function markdown(e: AlertEvent): string {
  const icon = e.event === "firing" ? "🔴" : "✅";
  const body = e.event === "firing" ? clip(e.message) : `was: ${clip(e.message)}`;
  return [`#### ${icon} ${title(e)}`, "", ...lines(e).map((l) => `- ${l}`), "", body].join("\n");
}

/** Plain text for Feishu. */
export function plainText(e: AlertEvent): string {
  const body = e.event === "firing" ? clip(e.message) : `was: ${clip(e.message)}`;
  return [title(e), ...lines(e), body].join("\n");
}

/** The generic JSON payload: times as ISO 8601 (UTC); `system`/`operation` only for error rates. */
export function jsonPayload(e: AlertEvent): Record<string, unknown> {
  return {
    event: e.event,
    rule: e.rule,
    kind: e.kind,
    flow: e.flow,
    ...(e.system !== undefined ? { system: e.system, operation: e.operation ?? null } : {}),
    message: e.message,
    value: e.value,
    threshold: e.threshold,
    startedAt: new Date(e.startedAt).toISOString(),
    ...(e.resolvedAt !== undefined ? { resolvedAt: new Date(e.resolvedAt).toISOString() } : {}),
  };
}

/**
 * The request that notifies `target` of `event` at time `now` (ms): the payload in the target's
 * format, signed when the target has a secret. Built again for each attempt, because the signatures
 * carry a timestamp the webhooks check for freshness.
 */
export function buildRequest(target: ResolvedTarget, event: AlertEvent, now: number): WebhookRequest {
  const headers = { "content-type": "application/json; charset=utf-8" };
  switch (target.type) {
    case "dingtalk": {
      let url = target.url;
      if (target.secret !== null) {
        const sign = encodeURIComponent(dingtalkSign(target.secret, now));
        url += `${url.includes("?") ? "&" : "?"}timestamp=${now}&sign=${sign}`;
      }
      return { url, headers, body: JSON.stringify({ msgtype: "markdown", markdown: { title: title(event), text: markdown(event) } }) };
    }
    case "wecom":
      return { url: target.url, headers, body: JSON.stringify({ msgtype: "markdown", markdown: { content: markdown(event) } }) };
    case "feishu": {
      const seconds = Math.floor(now / 1000);
      const signed = target.secret === null ? {} : { timestamp: String(seconds), sign: feishuSign(target.secret, seconds) };
      return { url: target.url, headers, body: JSON.stringify({ ...signed, msg_type: "text", content: { text: plainText(event) } }) };
    }
    case "json":
      return { url: target.url, headers, body: JSON.stringify(jsonPayload(event)) };
  }
}
