import type { Clock } from "../runtime/clock.js";
import { MASK, SecretMasker } from "../runtime/secrets.js";
import { buildRequest, type AlertEvent, type ResolvedTarget } from "./formats.js";

/** What {@link SendFn} answers: the part of a fetch Response notices need. */
export interface WebhookResponse {
  readonly status: number;
  text(): Promise<string>;
}

/** A fetch-like POST. Injected so tests talk to a local receiver (or fail on purpose). */
export type SendFn = (
  url: string,
  init: { readonly method: "POST"; readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly signal: AbortSignal },
) => Promise<WebhookResponse>;

/** The platform's fetch. */
export const fetchSend: SendFn = (url, init) => fetch(url, { ...init, headers: { ...init.headers } });

/** Options of {@link deliver}. */
export interface DeliveryOptions {
  /** Backoff waits run on it, so tests with a FakeClock do not wait. */
  readonly clock: Clock;
  readonly send?: SendFn;
  /** Attempts before giving up (default 4). */
  readonly attempts?: number;
  /**
   * Per attempt (default 10 s). Measured on the wall clock (AbortSignal.timeout), as it bounds real
   * network I/O; tests simulate a timeout with a `send` that rejects with a TimeoutError.
   */
  readonly timeoutMs?: number;
  /** First backoff wait (default 1 s), doubled after each failed attempt up to `maxBackoffMs` (30 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** How a delivery ended, after all its attempts. */
export interface Delivery {
  readonly ok: boolean;
  readonly attempts: number;
  /** Why the last attempt failed, redacted (no URL, no secret); null when delivered. */
  readonly error: string | null;
}

export const DEFAULT_ATTEMPTS = 4;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_BACKOFF_MS = 1_000;
const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** Of a refusal's body, this much is kept in the error (bodies can be whole HTML pages). */
const BODY_SNIPPET = 200;

/**
 * Answers of the chat platforms that say "too fast" inside an HTTP 200: retried like a 429.
 * DingTalk 130101 (send too fast), WeCom 45009 (API frequency out of limit), Feishu 9499 and 11232
 * (frequency limited).
 */
const THROTTLE_CODES: ReadonlySet<number> = new Set([130101, 45009, 9499, 11232]);

type Attempt = { readonly ok: true } | { readonly ok: false; readonly retry: boolean; readonly error: string };

/**
 * Posts `event` to `target`, retrying timeouts, connection errors, 429, 5xx and the platforms'
 * throttling answers with exponential backoff on the injected clock; refusals (other 4xx, a
 * non-zero `errcode`/`code`) are not retried. Never throws: the outcome says what happened, and its
 * error never holds the webhook URL, its token or the secret.
 */
export async function deliver(target: ResolvedTarget, event: AlertEvent, options: DeliveryOptions): Promise<Delivery> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? DEFAULT_ATTEMPTS));
  const send = options.send ?? fetchSend;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const maxBackoff = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const redact = redactor(target);
  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await attemptOnce(target, event, send, options.clock.now(), timeoutMs, redact);
    if (outcome.ok) return { ok: true, attempts: attempt, error: null };
    last = redact(outcome.error);
    if (!outcome.retry) return { ok: false, attempts: attempt, error: last };
    if (attempt < attempts) await options.clock.sleep(Math.min(maxBackoff, backoff * 2 ** (attempt - 1)));
  }
  return { ok: false, attempts, error: `${last} (after ${attempts} attempts)` };
}

/** `redact` masks what the platform answered before any of it is cut short. */
async function attemptOnce(target: ResolvedTarget, event: AlertEvent, send: SendFn, now: number, timeoutMs: number, redact: (text: string) => string): Promise<Attempt> {
  let status: number;
  let body: string;
  try {
    const request = buildRequest(target, event, now);
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await send(request.url, { method: "POST", headers: request.headers, body: request.body, signal });
    status = response.status;
    body = redact(await response.text());
  } catch (error) {
    return { ok: false, retry: true, error: describeSendError(error, timeoutMs) };
  }
  if (status === 429 || status >= 500) return { ok: false, retry: true, error: `HTTP ${status}` };
  if (status < 200 || status >= 300) return { ok: false, retry: false, error: `HTTP ${status}${snippet(body)}` };
  return platformAnswer(target, body);
}

/** The chat platforms answer 200 and put the verdict in the body. */
function platformAnswer(target: ResolvedTarget, body: string): Attempt {
  if (target.type === "json") return { ok: true };
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    // A proxy in between may answer 200 with no JSON; the platform did not refuse.
    return { ok: true };
  }
  if (typeof answer !== "object" || answer === null) return { ok: true };
  const a = answer as Record<string, unknown>;
  const code = target.type === "feishu" ? (a.code ?? a.StatusCode) : a.errcode;
  if (code === undefined || code === 0 || code === "0") return { ok: true };
  const text = String(a.errmsg ?? a.msg ?? a.StatusMessage ?? "");
  const numeric = Number(code);
  return { ok: false, retry: THROTTLE_CODES.has(numeric), error: `${target.type} refused the message: code ${String(code)}${text ? ` ${text}` : ""}` };
}

function snippet(body: string): string {
  const t = body.replace(/\s+/g, " ").trim();
  if (t === "") return "";
  return `: ${t.length > BODY_SNIPPET ? `${t.slice(0, BODY_SNIPPET)}…` : t}`;
}

/**
 * A failed send in words. fetch's own messages can quote the URL ("Failed to parse URL from …"), so
 * only the error's name and its cause's code are trusted; the rest goes through the redactor.
 */
function describeSendError(error: unknown, timeoutMs: number): string {
  if (typeof error === "object" && error !== null) {
    // DOMException (timeouts) is not an Error subclass on every runtime; read the fields loosely.
    const e = error as { name?: unknown; message?: unknown; code?: unknown; cause?: { code?: unknown } };
    if (e.name === "TimeoutError" || e.name === "AbortError") return `timed out after ${timeoutMs} ms`;
    const code = typeof e.cause?.code === "string" ? e.cause.code : typeof e.code === "string" ? e.code : undefined;
    if (code !== undefined) return `connection failed (${code})`;
    return `request failed: ${String(e.message ?? e.name ?? "unknown error")}`;
  }
  return `request failed: ${String(error)}`;
}

/**
 * A function that blanks out what must never be shown of a target: its URL, the tokens in it (each
 * query value and long path segment, where DingTalk, WeCom and Feishu put them) and its secret,
 * also fragments of 6 or more characters of them (a platform's answer cut short), and any other
 * URL that may have crept into a message.
 */
export function redactor(target: Pick<ResolvedTarget, "url" | "secret">): (text: string) => string {
  const tokens: string[] = [];
  if (target.secret !== null) tokens.push(target.secret);
  let url: URL | undefined;
  try {
    url = new URL(target.url);
  } catch {
    // Not a URL: all of it is a token.
    tokens.push(target.url);
  }
  if (url) {
    tokens.push(...url.searchParams.values(), url.password, url.username);
    for (const segment of url.pathname.split("/")) if (segment.length >= 16) tokens.push(decodeURIComponent(segment), segment);
  }
  const masker = new SecretMasker(tokens);
  return (text) => {
    let out = text.split(target.url).join(MASK);
    out = out.replace(/https?:\/\/[^\s"'<>]+/gi, "<url>");
    return masker.mask(out);
  };
}
