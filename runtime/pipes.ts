/**
 * The built-in pipes of the `.map` language (`x | trim`, `x | date("yyyy-MM-dd")`, …) as pure
 * functions that generated modules call. Rules shared by all of them:
 * - null or undefined in gives null out (unless a pipe says otherwise), so optional fields stay optional;
 * - a value that cannot be converted throws {@link PipeError}; generated code turns it into a
 *   MapError naming the `.map` file, line and field, and the row is dead-lettered, never written half-right;
 * - nothing depends on the machine's locale or time zone.
 */
import { formatWallClock, instantOf, parseDateTime, SHANGHAI_UTC_OFFSET_MINUTES, wallClockAt } from "./datetime.js";
import type { WallClock } from "./datetime.js";
import { PipeError } from "./errors.js";
import { writeJson } from "./json.js";

export { PipeError } from "./errors.js";
export { checkDateFormat, formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "./datetime.js";

const DATE_TIME = "yyyy-MM-dd HH:mm:ss";
// Strict on purpose: "1,234", "0x10", "Infinity" and "12abc" are data errors, not numbers.
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_ROUND_DIGITS = 10;

type Nullable<T> = T | null;

const isNil = (v: unknown): v is null | undefined => v === null || v === undefined;

/** Text of a string or number; other values are not text (a boolean or object is a mapping mistake). */
function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return toStringValue(v);
  throw new PipeError("not text", v);
}

function toStringValue(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      // "NaN" or "Infinity" reaching a target system is never what the user meant.
      if (!Number.isFinite(v)) throw new PipeError("not a finite number", v);
      return String(v);
    case "bigint":
    case "boolean":
      return String(v);
    case "object": {
      if (v instanceof Date) return formatInstant(v.getTime(), DATE_TIME, v);
      const json = writeJson(v);
      if (json === undefined) throw new PipeError("cannot be made a string", v);
      return json;
    }
    default:
      throw new PipeError("cannot be made a string", v);
  }
}

/** Instants (epoch numbers, Date objects, zoned strings) are shown as wall clock in Asia/Shanghai. */
function formatInstant(epochMs: number, format: string, original: unknown): string {
  let wall: WallClock;
  try {
    wall = wallClockAt(epochMs, SHANGHAI_UTC_OFFSET_MINUTES);
  } catch {
    throw new PipeError("not a valid date", original);
  }
  return formatWall(wall, format, original);
}

function formatWall(wall: WallClock, format: string, original: unknown): string {
  try {
    return formatWallClock(wall, format);
  } catch (e) {
    throw new PipeError(e instanceof Error ? e.message : String(e), original);
  }
}

function toNumber(v: unknown): Nullable<number> {
  if (isNil(v)) return null;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new PipeError("not a finite number", v);
    return v;
  }
  if (typeof v === "string") {
    const s = v.trim();
    if (s === "") return null;
    if (!NUMERIC.test(s)) throw new PipeError("not a number", v);
    const n = Number(s);
    if (!Number.isFinite(n)) throw new PipeError("not a finite number", v);
    return n;
  }
  if (typeof v === "bigint") {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new PipeError("integer out of range", v);
    return n;
  }
  throw new PipeError("not a number", v);
}

function toInt(v: unknown): Nullable<number> {
  const n = toNumber(v);
  if (n === null) return null;
  const t = Math.trunc(n);
  // Beyond 2^53 neighbouring integers collapse, so an id would silently change.
  if (Math.abs(t) > Number.MAX_SAFE_INTEGER) throw new PipeError("integer out of range", v);
  return t === 0 ? 0 : t; // no -0
}

/** Moves the decimal point by editing the exponent of the decimal string, so 1.005 stays 1.005. */
function shift(n: number, places: number): number {
  const [mantissa, exponent = "0"] = String(n).split("e");
  return Number(`${mantissa}e${Number(exponent) + places}`);
}

function round(v: unknown, digits: number): Nullable<number> {
  if (!Number.isInteger(digits) || digits < 0 || digits > MAX_ROUND_DIGITS) {
    throw new PipeError(`round digits must be an integer from 0 to ${MAX_ROUND_DIGITS}`, digits);
  }
  const n = toNumber(v);
  if (n === null) return null;
  const rounded = shift(Math.round(shift(Math.abs(n), digits)), -digits); // half away from zero
  return n < 0 && rounded !== 0 ? -rounded : rounded;
}

function date(v: unknown, outFormat: string, inFormat?: string): Nullable<string> {
  if (isNil(v)) return null;
  if (typeof v === "number") return formatInstant(v, outFormat, v);
  if (v instanceof Date) return formatInstant(v.getTime(), outFormat, v);
  if (typeof v !== "string") throw new PipeError("not a date", v);
  const s = v.trim();
  // Chinese APIs commonly send "" for "no date"; treat it like an absent value, as number does.
  if (s === "") return null;
  let parsed;
  try {
    parsed = parseDateTime(s, inFormat);
  } catch (e) {
    throw new PipeError(e instanceof Error ? e.message : String(e), inFormat);
  }
  if (!parsed) throw new PipeError(inFormat === undefined ? "not a date" : `not a date in format "${inFormat}"`, v);
  if (parsed.offsetMinutes === undefined) return formatWall(parsed.wall, outFormat, v);
  return formatInstant(instantOf(parsed.wall, parsed.offsetMinutes), outFormat, v);
}

function unique<T>(v: readonly T[] | null | undefined): T[] | null;
function unique(v: unknown): unknown[] | null;
function unique(v: unknown): unknown[] | null {
  if (isNil(v)) return null;
  // Not [...new Set(v)]: a Set stores -0 as 0, and the first occurrence must come back as it was.
  const seen = new Set<unknown>();
  const out: unknown[] = [];
  for (const e of list(v)) {
    if (seen.has(e)) continue;
    seen.add(e);
    out.push(e);
  }
  return out;
}

/** `"100" | ref(FNumber)` → `{"FNumber": "100"}`; the key is typed so targets get `{ FNumber: string }`. */
function ref<K extends string, V>(v: V, key: K): { [P in K]: Exclude<V, null | undefined> } | null {
  if (isNil(v)) return null;
  // A computed key makes an own property even for "__proto__", unlike assignment.
  return { [key]: v } as { [P in K]: Exclude<V, null | undefined> };
}

function list(v: unknown): readonly unknown[] {
  if (!Array.isArray(v)) throw new PipeError("not a list", v);
  return v;
}

function integerArg(name: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n)) throw new PipeError(`${name} must be an integer`, n);
  return n;
}

function substr(v: unknown, start: number, length?: number): Nullable<string> {
  if (isNil(v)) return null;
  // Code points, so an emoji or a rare CJK character (outside the BMP) is never cut in half.
  const chars = Array.from(text(v));
  let from = integerArg("substr start", start);
  if (from < 0) from = Math.max(0, chars.length + from); // negative counts from the end
  if (length === undefined) return chars.slice(from).join("");
  const count = integerArg("substr length", length);
  if (count < 0) throw new PipeError("substr length must not be negative", length);
  return chars.slice(from, from + count).join("");
}

/**
 * The built-in pipes. Frozen: generated modules share one instance and must not be able to swap a pipe.
 * Each takes the piped value first, then the pipe's arguments.
 */
export const pipes = Object.freeze({
  /** Removes leading and trailing white space (Unicode, including the ideographic space U+3000). */
  trim: (v: unknown): Nullable<string> => (isNil(v) ? null : text(v).trim()),
  /** Upper case, locale-independent. */
  upper: (v: unknown): Nullable<string> => (isNil(v) ? null : text(v).toUpperCase()),
  /** Lower case, locale-independent. */
  lower: (v: unknown): Nullable<string> => (isNil(v) ? null : text(v).toLowerCase()),
  /** Strings as they are; numbers and booleans via String; Date as `yyyy-MM-dd HH:mm:ss` (Asia/Shanghai); objects and arrays as JSON. */
  string: (v: unknown): Nullable<string> => (isNil(v) ? null : toStringValue(v)),
  /** Numbers as they are, numeric strings parsed strictly (no thousands separators); "" is null. */
  number: toNumber,
  /** {@link pipes.number}, then truncated toward zero; must stay within ±(2^53 − 1). */
  int: toInt,
  /** Rounds half away from zero to `digits` (0–10) decimals, exactly on decimal values: round(1.005, 2) = 1.01. */
  round,
  /**
   * Reformats a date. Input: a string in `inFormat` or, without one, `yyyy-MM-dd`, `yyyy/MM/dd`, with an
   * optional time `HH:mm[:ss[.SSS]]` and zone; an epoch-milliseconds number; a Date; "" is null.
   * A string without a zone keeps its wall clock; instants (zoned strings, numbers, Dates) are shown in
   * Asia/Shanghai. Output tokens: yyyy MM dd HH mm ss SSS.
   */
  date,
  /** A base-data reference: `"100" | ref(FNumber)` is `{"FNumber": "100"}`. */
  ref,
  /** Splits text on a literal separator; "" gives an empty list, a "" separator splits into characters. */
  split: (v: unknown, sep: string): Nullable<string[]> => {
    if (isNil(v)) return null;
    const s = text(v);
    if (s === "") return [];
    return sep === "" ? Array.from(s) : s.split(sep);
  },
  /** Joins a list with `sep`; null elements become "", others as {@link pipes.string}. */
  join: (v: unknown, sep: string): Nullable<string> =>
    isNil(v) ? null : list(v).map((e) => (isNil(e) ? "" : toStringValue(e))).join(sep),
  /** A list without repeats, keeping each first occurrence (SameValueZero: NaN equals NaN, 0 equals -0). */
  unique,
  /** `d` when the value is null, undefined or ""; the value otherwise. */
  default: <T, D>(v: T, d: D): Exclude<T, null | undefined> | D =>
    isNil(v) || v === "" ? d : (v as Exclude<T, null | undefined>),
  /** Replaces every literal occurrence of `a` with `b` (no regular expressions, no `$` patterns). */
  replace: (v: unknown, a: string, b: string): Nullable<string> => {
    if (isNil(v)) return null;
    const s = text(v);
    return a === "" ? s : s.split(a).join(b);
  },
  /** Code points from `start` (negative: from the end), `length` of them or to the end. */
  substr,
  /** The value followed by each part; a null part adds "", a null value gives null. */
  concat: (v: unknown, ...parts: unknown[]): Nullable<string> =>
    isNil(v) ? null : [v, ...parts].map((p) => (isNil(p) ? "" : toStringValue(p))).join(""),
});

/** The type of {@link pipes}, for code that passes the pipe set around. */
export type Pipes = typeof pipes;
