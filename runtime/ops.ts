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
    const x = typeof a === "number" ? a : String(a);
    const y = typeof b === "number" ? b : String(b);
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
    if (typeof a === "string" || typeof b === "string") return (isNil(a) ? "" : String(a)) + (isNil(b) ? "" : String(b));
    if (isNil(a) || isNil(b)) return null;
    return numeric(a, "+") + numeric(b, "+");
  },

  negate: (v: unknown): Nullable<number> => (isNil(v) ? null : -numeric(v, "-")),

  /** `value matches /re/`: null never matches. */
  matches: (re: RegExp, v: unknown): boolean => !isNil(v) && re.test(typeof v === "string" ? v : String(v)),

  /** A value-map table lookup: keys are compared as text. */
  table: <V, E>(table: ReadonlyMap<string | null, V>, v: unknown, otherwise: E): V | E => {
    const hit = table.get(isNil(v) ? null : String(v));
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
    if (!Array.isArray(v)) throw new PipeError("not a list", v);
    return v.map(build);
  },

  /** A value-map key: values are compared as text. */
  key: (v: unknown): string | null => (isNil(v) ? null : String(v)),

  missing: (): MissingValue => new MissingValue(),
});

/** Checked conversions at the boundary between untyped values (lookups, JSONata, open columns) and typed fields. */
export const coerce = Object.freeze({
  string: (v: unknown): Nullable<string> => {
    if (isNil(v)) return null;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
    throw new PipeError("not text", v);
  },
  number: (v: unknown): Nullable<number> => (isNil(v) || v === "" ? null : numeric(v, "number")),
  int: (v: unknown): Nullable<number> => {
    if (isNil(v) || v === "") return null;
    const n = numeric(v, "int");
    if (!Number.isInteger(n)) throw new PipeError("not a whole number", v);
    return n;
  },
  bool: (v: unknown): Nullable<boolean> => {
    if (isNil(v)) return null;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === 1 || v === "1") return true;
    if (v === "false" || v === 0 || v === "0") return false;
    throw new PipeError("not true or false", v);
  },
  object: (v: unknown): Nullable<Record<string, unknown>> => {
    if (isNil(v)) return null;
    if (typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    throw new PipeError("not an object", v);
  },
  array: (v: unknown): Nullable<unknown[]> => {
    if (isNil(v)) return null;
    if (Array.isArray(v)) return v;
    throw new PipeError("not a list", v);
  },
});

/** Wraps whatever a transform threw into a {@link MapError} naming the field and its `.map` location. */
export function fieldError(spec: FlowSpec, at: number, error: unknown): Error {
  const field = spec.fields[at];
  if (!field || error instanceof MapError) return error instanceof Error ? error : new Error(String(error));
  const reason = error instanceof MissingValue ? "required field is null" : error instanceof Error ? error.message : String(error);
  const value = error instanceof PipeError ? error.value : null;
  return new MapError({ file: spec.file, line: field.line, column: field.column, field: field.target, value, reason }, { cause: error });
}
