/**
 * JSON text the state store can always keep. A source record can be nested deeper than
 * `JSON.stringify` recurses (it throws RangeError), and one such record must become a dead letter,
 * not a failed run: what cannot be serialised is kept as a placeholder that says why and shows the
 * record's beginning. The placeholder is marked, so `ferry replay` never writes it as if it were the
 * record.
 */

import { writeJson } from "../json.js";

/** The member that marks a placeholder. */
export const UNSTORABLE = "ferry:unstorable";

/** What is kept of a value that cannot be serialised. */
export interface Unstorable {
  readonly [UNSTORABLE]: string;
  /** The value's beginning, nesting cut at {@link PREVIEW_DEPTH} levels: text, never a record to map. */
  readonly preview: string;
}

/** Levels of nesting a preview shows. */
const PREVIEW_DEPTH = 32;
/** Characters a preview keeps. */
const PREVIEW_CHARS = 2000;

/** `value` as JSON; null for `undefined`; a placeholder when it cannot be serialised. */
export function storableJson(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    // Integers beyond 2^53 (BigInt) keep every digit.
    return writeJson(value) ?? null;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return JSON.stringify(unstorable(value, error));
  }
}

/** The placeholder kept for `value`, which failed to serialise with `error`. */
export function unstorable(value: unknown, error: RangeError): Unstorable {
  const why = /call stack/i.test(error.message) ? "nested too deeply to store" : `too large to store (${error.message})`;
  return { [UNSTORABLE]: `the record is ${why}; only its beginning is kept`, preview: previewOf(value) };
}

export function isUnstorable(value: unknown): value is Unstorable {
  return typeof value === "object" && value !== null && typeof (value as Record<string, unknown>)[UNSTORABLE] === "string";
}

/**
 * The beginning of `value` as JSON-like text, nesting cut at {@link PREVIEW_DEPTH} levels and the
 * text at {@link PREVIEW_CHARS} characters. Never throws, whatever the depth or size of `value`.
 */
export function previewOf(value: unknown): string {
  const out = { text: "" };
  render(value, 0, out);
  return out.text.length > PREVIEW_CHARS ? `${out.text.slice(0, PREVIEW_CHARS)}…` : out.text;
}

function render(value: unknown, depth: number, out: { text: string }): void {
  if (out.text.length > PREVIEW_CHARS) return;
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") out.text += String(value);
    else if (typeof value === "string" && value.length > PREVIEW_CHARS) out.text += `${JSON.stringify(value.slice(0, PREVIEW_CHARS))}…`;
    else out.text += JSON.stringify(value) ?? "null";
    return;
  }
  if (depth >= PREVIEW_DEPTH) {
    out.text += Array.isArray(value) ? "[…]" : "{…}";
    return;
  }
  if (Array.isArray(value)) {
    out.text += "[";
    for (let i = 0; i < value.length && out.text.length <= PREVIEW_CHARS; i++) {
      if (i > 0) out.text += ",";
      render(value[i], depth + 1, out);
    }
    out.text += "]";
    return;
  }
  out.text += "{";
  let first = true;
  for (const [key, member] of Object.entries(value)) {
    if (out.text.length > PREVIEW_CHARS) break;
    if (member === undefined) continue;
    out.text += `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    render(member, depth + 1, out);
  }
  out.text += "}";
}
