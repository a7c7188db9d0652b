/**
 * Banniu's request signature (SYSTEMS.md, "Banniu"): upper-case MD5 hex of
 * `app_secret + key1 + value1 + key2 + value2 … + app_secret` over the query parameters sorted by key.
 * The JSON body of a POST is not signed; the Bearer header carries the token instead.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** The query parameter that carries the signature and is therefore left out of it. */
export const SIGN_PARAM = "sign";

/**
 * The signature of `params` (every query parameter but `sign`, values exactly as sent) under `appSecret`.
 * Keys sort by UTF-16 code unit, which for Banniu's ASCII parameter names is byte order, as a Java
 * `TreeMap` on the gateway would sort them.
 */
export function signBanniu(params: Readonly<Record<string, string>>, appSecret: string): string {
  const keys = Object.keys(params)
    .filter((key) => key !== SIGN_PARAM)
    .sort();
  let text = appSecret;
  for (const key of keys) text += key + (params[key] ?? "");
  text += appSecret;
  return createHash("md5").update(text, "utf8").digest("hex").toUpperCase();
}

/**
 * Whether `query` carries a valid `sign` for `appSecret`. For the sandbox: a parameter given twice is
 * refused, since which of its values was signed is ambiguous; the comparison is constant-time so the
 * sandbox does not teach timing attacks by example.
 */
export function verifyBanniu(query: URLSearchParams, appSecret: string): boolean {
  const given = query.get(SIGN_PARAM);
  if (given === null || query.getAll(SIGN_PARAM).length !== 1) return false;
  const params: Record<string, string> = {};
  for (const [key, value] of query) {
    if (key === SIGN_PARAM) continue;
    if (Object.hasOwn(params, key)) return false;
    params[key] = value;
  }
  const expected = Buffer.from(signBanniu(params, appSecret), "utf8");
  const actual = Buffer.from(given, "utf8");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
