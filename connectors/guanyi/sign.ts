/**
 * Guanyi's request signature (SYSTEMS.md, "Guanyi ERP"): upper-case MD5 hex of
 * `secret + body_json_without_sign + secret`. The JSON is the body exactly as sent, key order as
 * built and Chinese unescaped, so client and server must serialise identically: both use
 * writeJson (JSON.stringify, which leaves non-ASCII text as is, writing integers beyond 2^53 with
 * every digit).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readJson, writeJson } from "../../runtime/json.js";

/** The body without its `sign`, serialised as Guanyi signs it. */
function unsignedJson(body: Readonly<Record<string, unknown>>): string {
  const { sign: _sign, ...rest } = body;
  return writeJson(rest) ?? "{}";
}

function md5Upper(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex").toUpperCase();
}

/**
 * The `sign` for `body` (any `sign` already in it is left out). Add it as the body's last key and
 * send `writeJson(body)` unchanged: re-ordering or re-escaping keys after signing breaks it.
 */
export function signGuanyi(body: Readonly<Record<string, unknown>>, secret: string): string {
  return md5Upper(secret + unsignedJson(body) + secret);
}

/**
 * Whether `rawBody` carries a valid `sign` for `secret`, checked the way the server does: parse,
 * drop `sign`, re-serialise, compare in constant time. False for anything that is not a JSON object
 * with a string `sign`; never throws.
 */
export function verifyGuanyi(rawBody: string, secret: string): boolean {
  let body: unknown;
  try {
    body = readJson(rawBody);
  } catch {
    return false;
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return false;
  const sign = (body as Record<string, unknown>).sign;
  if (typeof sign !== "string") return false;
  const expected = Buffer.from(signGuanyi(body as Record<string, unknown>, secret), "utf8");
  const given = Buffer.from(sign, "utf8");
  // timingSafeEqual needs equal lengths; a length mismatch reveals nothing about the secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
