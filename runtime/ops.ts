import { MapError, PipeError } from "./errors.js";
import { writeJson } from "./json.js";
import type { FlowSpec } from "./types.js";

/**
 * Operators and conversions generated transforms call. Kept apart from the pipes: these implement
 * the language's operators and the checked boundary between untyped data and typed target fields.
 */

type Nullable<T> = T | null;

function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

function numeric(v: unknown, op: string): number {
  if (typeof v === "number") return v;
  // An integer read beyond 2^53 (runtime/json.ts): as a double it would silently become its neighbour.
  if (typeof v === "bigint") throw new PipeError("integer out of range (beyond 2^53; keep it as text with | string)", v);
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw new PipeError(`\`${op}\` needs numbers`, v);
}

/** What a value is, for messages: "text", "a number", "a bool", "an object", "a list", "an integer". */
export function kindOf(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  switch (typeof v) {
    case "string":
      return "text";
    case "number":
      return Number.isFinite(v) ? "a number" : String(v);
    case "bigint":
      return "an integer";
    case "boolean":
      return "a bool";
    case "object":
      return v === null ? "null" : "an object";
    default:
      return typeof v;
  }
}

/**
 * A scalar as text, for operators that compare or join text (`+`, `matches`, value maps, `<`): an
 * object or a list has no text of its own, and "[object Object]" must never be matched or written.
 */
function scalarText(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null) throw new PipeError(`${what} needs text or a number, got ${kindOf(v)}`, v);
  return String(v);
}

/** Thrown inside a transform when a required field computes to null. */
export class MissingValue extends Error {
  constructor() {
    super("required field is null");
    this.name = "MissingValue";
  }
}

export const ops = Object.freeze({
  /** Truthiness of the language: null, false, 0, "" and NaN are false. */
  truthy: (v: unknown): boolean => Boolean(v),

  /** Equality on values: null equals only null; numbers and text compare strictly; objects by JSON. */
  eq: (a: unknown, b: unknown): boolean => {
    if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
    if (typeof a === "object" || typeof b === "object") return writeJson(a) === writeJson(b);
    return a === b;
  },

  /** Ordering: numbers numerically, text by code point; a null operand makes the comparison false. */
  compare: (op: "<" | "<=" | ">" | ">=", a: unknown, b: unknown): boolean => {
    if (isNil(a) || isNil(b)) return false;
    const x = typeof a === "number" ? a : scalarText(a, `\`${op}\``);
    const y = typeof b === "number" ? b : scalarText(b, `\`${op}\``);
    if (typeof x !== typeof y) throw new PipeError(`cannot compare ${typeof a} with ${typeof b}`, a);
    switch (op) {
      case "<": return x < y;
      case "<=": return x <= y;
      case ">": return x > y;
      case ">=": return x >= y;
    }
  },

  /** `- * / %` on numbers; null when an operand is null. */
  arith: (op: "-" | "*" | "/" | "%", a: unknown, b: unknown): Nullable<number> => {
    if (isNil(a) || isNil(b)) return null;
    const x = numeric(a, op);
    const y = numeric(b, op);
    if ((op === "/" || op === "%") && y === 0) throw new PipeError("division by zero", a);
    switch (op) {
      case "-": return x - y;
      case "*": return x * y;
      case "/": return x / y;
      case "%": return x % y;
    }
  },

  /** `+`: adds numbers, joins text (null counts as ""); null + number is null. */
  plus: (a: unknown, b: unknown): Nullable<string | number> => {
    if (typeof a === "string" || typeof b === "string") return (isNil(a) ? "" : scalarText(a, "`+`")) + (isNil(b) ? "" : scalarText(b, "`+`"));
    if (isNil(a) || isNil(b)) return null;
    return numeric(a, "+") + numeric(b, "+");
  },

  negate: (v: unknown): Nullable<number> => (isNil(v) ? null : -numeric(v, "-")),

  /** `value matches /re/`: null never matches. */
  matches: (re: RegExp, v: unknown): boolean => !isNil(v) && re.test(scalarText(v, "`matches`")),

  /** A value-map table lookup: keys are compared as text. */
  table: <V, E>(table: ReadonlyMap<string | null, V>, v: unknown, otherwise: E): V | E => {
    const hit = table.get(isNil(v) ? null : scalarText(v, "a value map"));
    return hit === undefined ? otherwise : hit;
  },

  /** Reads a path through data whose shape is not known at compile time. */
  get: (v: unknown, path: readonly string[]): unknown => {
    let cur = v;
    for (const key of path) {
      if (isNil(cur) || typeof cur !== "object" || !Object.prototype.hasOwnProperty.call(cur, key)) return null;
      cur = (cur as Record<string, unknown>)[key];
    }
    return cur ?? null;
  },

  /** Builds one entry per element of a list; a missing list gives no entries. */
  each: <T>(v: unknown, build: (element: unknown) => T): T[] => {
    if (isNil(v)) return [];
    if (!Array.isArray(v)) throw new PipeError(`got ${kindOf(v)}, not a list`, v);
    return v.map(build);
  },

  /** The elements of a list, as `each` walks them (none for a missing list). */
  list: (v: unknown): readonly unknown[] => {
    if (isNil(v)) return [];
    if (!Array.isArray(v)) throw new PipeError(`got ${kindOf(v)}, not a list`, v);
    return v;
  },

  /** A value-map key: values are compared as text. */
  key: (v: unknown): string | null => (isNil(v) ? null : scalarText(v, "a value map")),

  missing: (): MissingValue => new MissingValue(),
});

/**
 * The run-time types of the language, checked where data enters a transform (paths, lookups,
 * JSONata) and where a field's value is not certain by construction. A value of the type passes; a
 * conversion happens only where nothing is lost: a number becomes its decimal text in a text field.
 * Anything else fails the row naming what it got (an object where text is declared, text where a
 * number is), and the row becomes a dead letter: a mapping converts explicitly with a pipe.
 *
 * Integers beyond 2^53 are read losslessly as bigints: they pass `int` and `number` as they are (so
 * no digit is lost on the way to the target; the types say `number`, which every smaller integer
 * is) and become their digits as text.
 *
 * Each check is one `typeof` on the fast path; the rest is out of line, so the check inlines.
 */
export const coerce = Object.freeze({
  string: (v: unknown): Nullable<string> => (typeof v === "string" ? v : toText(v)),
  int: (v: unknown): Nullable<number> => (typeof v === "number" && Number.isInteger(v) ? v : toInt(v)),
  number: (v: unknown): Nullable<number> => (typeof v === "number" && Number.isFinite(v) ? v : toNumber(v)),
  bool: (v: unknown): Nullable<boolean> => {
    if (typeof v === "boolean" || isNil(v)) return v ?? null;
    throw new PipeError(`got ${kindOf(v)}, not a bool`, v);
  },
  object: (v: unknown): Nullable<Record<string, unknown>> => {
    if (isNil(v)) return null;
    if (typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    throw new PipeError(`got ${kindOf(v)}, not an object`, v);
  },
  array: (v: unknown): Nullable<unknown[]> => {
    if (isNil(v)) return null;
    if (Array.isArray(v)) return v;
    throw new PipeError(`got ${kindOf(v)}, not a list`, v);
  },
  /** A base-data reference read as data: an object whose `key` is text or a number. */
  ref: <K extends string>(v: unknown, key: K): { [P in K]: string | number } | null => {
    if (isNil(v)) return null;
    if (typeof v !== "object" || Array.isArray(v)) throw new PipeError(`got ${kindOf(v)}, not a reference ({"${key}": …})`, v);
    const k = (v as Record<string, unknown>)[key];
    if (typeof k !== "string" && typeof k !== "number") throw new PipeError(`a reference without a ${key} of text or a number`, v);
    return v as { [P in K]: string | number };
  },
  /** The key of a reference (`x | ref(FNumber)`): text or a number; a bigint as its digits. */
  key: (v: unknown): string | number | null => {
    if (typeof v === "string" || isNil(v)) return v ?? null;
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "bigint") return v.toString();
    throw new PipeError(`got ${kindOf(v)}, not a reference key (text or a number)`, v);
  },
});

function toText(v: unknown): Nullable<string> {
  if (isNil(v)) return null;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "bigint") return v.toString();
  throw new PipeError(`got ${kindOf(v)}, not text${typeof v === "boolean" ? " (convert it with `| string`)" : ""}`, v);
}

function toNumber(v: unknown): Nullable<number> {
  if (isNil(v)) return null;
  if (typeof v === "bigint") return v as unknown as number;
  throw new PipeError(`got ${kindOf(v)}, not a number${typeof v === "string" ? " (convert it with `| number`)" : ""}`, v);
}

function toInt(v: unknown): Nullable<number> {
  if (isNil(v)) return null;
  if (typeof v === "bigint") return v as unknown as number;
  if (typeof v === "number" && Number.isFinite(v)) throw new PipeError("got a number with a fraction, not an integer (convert it with `| int` or `| round(0)`)", v);
  throw new PipeError(`got ${kindOf(v)}, not an integer${typeof v === "string" ? " (convert it with `| int`)" : ""}`, v);
}

/** Wraps whatever a transform threw into a {@link MapError} naming the field and its `.map` location. */
export function fieldError(spec: FlowSpec, at: number, error: unknown): Error {
  const field = spec.fields[at];
  if (!field || error instanceof MapError) return error instanceof Error ? error : new Error(String(error));
  const reason = error instanceof MissingValue ? "required field is null" : error instanceof Error ? error.message : String(error);
  const value = error instanceof PipeError ? error.value : null;
  return new MapError({ file: spec.file, line: field.line, column: field.column, field: field.target, value, reason }, { cause: error });
}
