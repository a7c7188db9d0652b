/**
 * Small helpers for reading and quoting API answers. Quotes of a system's answer end up in logs,
 * dead letters and terminal output, so they are cut short and stripped of anything that could
 * move the cursor or reorder text.
 */

/** Longest quote of an answer body put into a message. */
export const QUOTE_CHARS = 60;

/**
 * `text` made safe and short for a message: control and format characters (including bidi
 * overrides) become spaces, runs of whitespace collapse, and anything past `max` is cut with "…".
 */
export function quote(text: string, max = QUOTE_CHARS): string {
  const clean = text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, " ").replace(/\s+/g, " ").trim();
  const chars = [...clean]; // by code point, so a cut never splits a surrogate pair
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : clean;
}

/**
 * The value at a dotted path ("data.items"); the empty path is the value itself. Only own
 * properties count, so a path like "constructor" never reaches into a prototype.
 */
export function valueAt(value: unknown, path: string): unknown {
  if (path === "") return value;
  let current = value;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** "a string", "an array", "null", … — what a value is, for "expected X, found Y" messages. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}
