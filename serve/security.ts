/**
 * The console's defences: who may bind where, who may ask, which POSTs are genuine, and which values
 * never leave the process. Kept apart from routing so each rule is stated (and tested) once.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { MASK as SHARED_MASK, SecretMasker, secretsOfEnv } from "../runtime/secrets.js";

type Env = Readonly<Record<string, string | undefined>>;

/** A console started wrongly (an exposed host without a token): the command exits 2 with the message. */
export class ServeUsageError extends Error {
  constructor(message: string) {
    super(message);
    // cli/program.ts recognises usage errors by name, since commands load lazily.
    this.name = "UsageError";
  }
}

/**
 * Refuses a host other than loopback without a token: the console shows payloads and can replay,
 * so it is never open to a network by accident.
 */
export function requireTokenOffLoopback(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopbackHost(host)) {
    throw new ServeUsageError(`--host ${host} is reachable from other machines: set FERRY_SERVE_TOKEN to require a token, or bind to 127.0.0.1`);
  }
}

/** Strips the brackets of an IPv6 literal as written in URLs and Host headers (`[::1]`). */
function bare(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * Whether `host` only ever reaches this machine: `localhost`, 127.0.0.0/8, `::1` (also written in
 * full or as an IPv4-mapped address). `0.0.0.0`, `::` and names are exposed: they need a token.
 */
export function isLoopbackHost(host: string): boolean {
  const h = bare(host.trim().toLowerCase()).replace(/\.$/, "");
  // Only the name itself: whether `x.localhost` resolves to loopback is up to the resolver.
  if (h === "localhost") return true;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  const v4 = mapped ? mapped[1]! : h;
  if (isIP(v4) === 4) return v4.split(".")[0] === "127";
  if (isIP(h) === 6) {
    const groups = expandIpv6(h);
    return groups !== undefined && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
  }
  return false;
}

/** The eight 16-bit groups of an IPv6 address, or undefined for forms this check does not need. */
function expandIpv6(address: string): number[] | undefined {
  const [head, tail, extra] = address.split("::");
  if (extra !== undefined) return undefined;
  const parse = (part: string | undefined) => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * The host part of a Host header (`127.0.0.1:7300`, `[::1]:7300`, `localhost`). A console bound to
 * loopback answers only requests naming a loopback host: a web page that rebinds its own DNS name to
 * 127.0.0.1 (DNS rebinding) still sends its own name, and is refused.
 */
export function hostOfHeader(header: string | undefined): string {
  if (header === undefined) return "";
  const h = header.trim();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon > 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}

/** Compares secrets in constant time: both sides are hashed first, so neither length nor prefix leaks. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Name of the cookie a browser gets after opening the console with `?token=`. */
export const SESSION_COOKIE = "ferry_console";

/**
 * What the cookie holds: a digest of the token rather than the token, so the browser's cookie store
 * never keeps the secret itself (the digest only opens this console, which the token opens anyway).
 */
export function sessionValue(token: string): string {
  return createHash("sha256").update(`ferry serve session\u0000${token}`).digest("base64url");
}

/** The `Set-Cookie` value that keeps a browser signed in for the life of its session. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** How a request proved it may use the console, or why it did not. */
export type AuthResult = "open" | "bearer" | "cookie" | "query" | "denied";

/**
 * Checks a request against the token: `Authorization: Bearer <token>`, the session cookie, or
 * `?token=` (which the server then turns into the cookie). Without a token every request is let in
 * (the server only runs so on loopback).
 */
export function authenticate(
  token: string | undefined,
  request: { readonly authorization?: string; readonly cookie?: string; readonly queryToken?: string | null },
): AuthResult {
  if (token === undefined) return "open";
  const bearer = /^Bearer\s+(.+)$/i.exec(request.authorization ?? "");
  if (bearer && safeEqual(bearer[1]!.trim(), token)) return "bearer";
  const cookie = cookieValue(request.cookie, SESSION_COOKIE);
  if (cookie !== undefined && safeEqual(cookie, sessionValue(token))) return "cookie";
  if (request.queryToken != null && safeEqual(request.queryToken, token)) return "query";
  return "denied";
}

/**
 * The `Location` of a redirect to `pathname` on this console. A path that starts with two slashes
 * (`/.//evil.example/` normalises to `//evil.example/`) or a slash and a backslash names another
 * host to a browser, so every leading slash and backslash becomes one slash: the answer can only
 * ever point at a path here.
 */
export function sameHostLocation(pathname: string, search: string): string {
  return `/${pathname.replace(/^[/\\]+/, "")}${search}`;
}

/**
 * A request target as a URL on this console. The target is a path (origin-form); parsed against a
 * base URL as it stands, `//evil.example/x` would be read as another host's `/x`, so it is appended
 * to the base instead. Anything that is not a path (`*`, an absolute URL) is read as `/`.
 */
export function requestUrl(target: string | undefined): URL {
  return new URL(target !== undefined && target.startsWith("/") ? `http://console.invalid${target}` : "http://console.invalid/");
}

/** A per-process random token for the hidden field of every form; POSTs without it are refused. */
export function newCsrfToken(): string {
  return randomBytes(32).toString("base64url");
}

/** A fresh nonce for the inline script of one response. */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/**
 * The Content-Security-Policy of every answer: nothing loads from anywhere, inline styles are
 * allowed, and the only script that runs is the one carrying this response's nonce.
 */
export function contentSecurityPolicy(nonce: string | undefined): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    nonce === undefined ? "script-src 'none'" : `script-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Record and row keys whose values are secrets wherever they appear. */
export const SECRET_KEY = /secret|token|password|passwd|appkey|sessionkey|access_token|authorization/i;

/** What a masked value is shown as. */
export const MASK = SHARED_MASK;

/**
 * Secrets never reach a page or a metric. Values under secret-looking keys are replaced whole; the
 * values of secret environment variables, and any fragment of 6 or more characters of them, are
 * replaced wherever they occur in text (a reason quoting a URL, a payload field that happens to
 * hold a token), by the masker every other output of ferry uses.
 */
export class Masker {
  private readonly masker: SecretMasker;
  private readonly secrets: ReadonlySet<string>;

  constructor(env: Env) {
    const values = secretsOfEnv(env);
    this.secrets = new Set(values);
    this.masker = new SecretMasker(values);
  }

  /** `text` with every secret value, and fragment of one, replaced. */
  text(text: string): string {
    return this.masker.mask(text);
  }

  /** A copy of a JSON value with secret keys' values and secret values in strings masked. */
  value(value: unknown): unknown {
    if (typeof value === "string") return this.text(value);
    // A number or boolean can be a secret too (a numeric app key); compare its text.
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return this.secrets.has(String(value)) ? MASK : value;
    if (Array.isArray(value)) return value.map((v) => this.value(v));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.text(k)] = SECRET_KEY.test(k) ? MASK : this.value(v);
      return out;
    }
    return value;
  }

  /**
   * The last line of defence over a whole response body: fragments of 6 characters or more of the
   * secrets, also in their HTML- and JSON-escaped spellings. Shorter values are masked in the data
   * only, where they cannot clash with the page's own markup.
   */
  body(text: string): string {
    return this.masker.maskFragments(text);
  }
}

