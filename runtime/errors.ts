/**
 * Errors thrown while transforming a record. Both carry the offending value so the runtime can
 * dead-letter the row with a precise reason instead of writing it.
 */

/** A built-in pipe met a value (or argument) it cannot convert, e.g. `"abc" | number`. */
export class PipeError extends Error {
  /** The value that could not be converted, as received. */
  readonly value: unknown;

  /** @param reason short and lower-case (e.g. "not a number"): it is embedded in {@link MapError} messages. */
  constructor(reason: string, value: unknown) {
    super(reason);
    this.name = "PipeError";
    this.value = value;
  }
}

/** Where and why a field of a `.map` file could not be computed for one record. */
export interface MapErrorDetails {
  /** The `.map` file, as the user names it, e.g. `mappings/x.map`. */
  readonly file: string;
  /** 1-based line of the field's expression. */
  readonly line: number;
  /** 1-based column of the field's expression. */
  readonly column: number;
  /** The target path, e.g. `FName` or `contents.101297`. */
  readonly field: string;
  readonly value: unknown;
  /** Short and lower-case, e.g. "not a number". */
  readonly reason: string;
}

/**
 * Thrown by generated code when a row cannot be mapped. The message reads
 * `mappings/x.map:24:33: field FName: not a number (value "abc")`.
 */
export class MapError extends Error implements MapErrorDetails {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  readonly value: unknown;
  readonly reason: string;

  /** @param options `cause` carries the underlying error (usually a {@link PipeError}). */
  constructor(details: MapErrorDetails, options?: ErrorOptions) {
    super(
      `${details.file}:${details.line}:${details.column}: field ${details.field}: ${details.reason} ` +
        `(value ${renderValue(details.value)})`,
      options,
    );
    this.name = "MapError";
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.field = details.field;
    this.value = details.value;
    this.reason = details.reason;
  }
}

const MAX_RENDERED = 80;

/**
 * A value as JSON, cut to {@link MAX_RENDERED} characters: messages end up in logs and terminals, and
 * a whole source record in every error line would bury the reason.
 */
export function renderValue(value: unknown): string {
  let text: string;
  try {
    text = describe(value);
  } catch {
    // Cyclic structures and throwing toJSON methods must not turn one bad row into a crash.
    text = Object.prototype.toString.call(value);
  }
  const chars = Array.from(text); // cut on code points so an emoji is never split in half
  return chars.length <= MAX_RENDERED ? text : chars.slice(0, MAX_RENDERED - 1).join("") + "…";
}

function describe(value: unknown): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "bigint":
      return `${value}n`;
    case "number":
      // JSON would print NaN and Infinity as null, hiding the actual problem.
      return String(value);
    case "symbol":
    case "function":
      return String(value);
    default:
      return JSON.stringify(value) ?? String(value);
  }
}
