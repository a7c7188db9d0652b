import * as crypto from "node:crypto";

/** One-shot hashing (Node 20.12 and later) skips the Hash stream object a row would otherwise cost. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === "function" ? (text) => crypto.hash("sha256", text, "hex") : (text) => crypto.createHash("sha256").update(text).digest("hex");

/**
 * JSON with object keys sorted and `undefined` members left out, so equal content always gives
 * equal text. It runs once per row on the hot path, so it builds one string and no entry arrays.
 * An integer read beyond 2^53 (a BigInt, see runtime/json.ts) is written as its digits, so two ids
 * that differ only in their last digit hash apart.
 */
export function stableJson(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) text += (i === 0 ? "" : ",") + stableJson(value[i]);
    return text + "]";
  }
  const object = value as Record<string, unknown>;
  let text = "{";
  let first = true;
  for (const key of sortedKeys(object)) {
    const member = object[key];
    if (member === undefined) continue;
    text += (first ? "" : ",") + JSON.stringify(key) + ":" + stableJson(member);
    first = false;
  }
  return text + "}";
}

/**
 * The object's keys in code-unit order, as `Array.prototype.sort` puts them. Rows have a few dozen
 * keys at most; an insertion sort in place allocates nothing, where the built-in sort allocates a
 * work area per call.
 */
function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  if (keys.length > 64) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    for (; j >= 0 && (keys[j] as string) > key; j--) keys[j + 1] = keys[j] as string;
    keys[j + 1] = key;
  }
  return keys;
}

/** The content hash the write record keeps: equal rows, equal hash, whatever their key order. */
export function contentHash(row: unknown): string {
  return sha256Hex(stableJson(row)).slice(0, 32);
}
