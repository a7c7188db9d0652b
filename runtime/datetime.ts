/**
 * Date-time parsing and formatting on wall-clock fields. Nothing here reads the machine's time zone:
 * a run on a laptop in Berlin must write the same strings as one on a server in Shanghai.
 */

/** Asia/Shanghai (UTC+8, no daylight saving): the zone all three seed systems speak. */
export const SHANGHAI_UTC_OFFSET_MINUTES = 480;

/** A calendar date and time of day as written, with no zone attached. */
export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/** A parsed date-time: its wall clock and, when the text named one, its UTC offset. */
export interface ParsedDateTime {
  readonly wall: WallClock;
  readonly offsetMinutes?: number;
}

type FieldName = keyof WallClock;
type Token = { readonly kind: "field"; readonly field: FieldName; readonly width: number } | { readonly kind: "literal"; readonly text: string };

const FORMAT_TOKENS: readonly (readonly [string, FieldName])[] = [
  ["yyyy", "year"],
  ["SSS", "millisecond"],
  ["MM", "month"],
  ["dd", "day"],
  ["HH", "hour"],
  ["mm", "minute"],
  ["ss", "second"],
];

const MINUTE_MS = 60_000;
const MAX_CACHED_FORMATS = 64;
const compiled = new Map<string, readonly Token[] | string>();

/**
 * Why `format` is not a usable date format, or undefined when it is. Tokens: yyyy MM dd HH mm ss SSS;
 * other ASCII letters must be quoted ('…') except `T`, so a moment-style `YYYY-MM-DD` is caught
 * instead of being printed literally. The compiler calls this to report bad formats early.
 */
export function checkDateFormat(format: string): string | undefined {
  const tokens = compileFormat(format);
  return typeof tokens === "string" ? tokens : undefined;
}

function compileFormat(format: string): readonly Token[] | string {
  const hit = compiled.get(format);
  if (hit !== undefined) return hit;
  const result = tokenize(format);
  // Formats come from generated code, so there are few; the cap only guards against misuse.
  if (compiled.size >= MAX_CACHED_FORMATS) compiled.clear();
  compiled.set(format, result);
  return result;
}

function tokenize(format: string): readonly Token[] | string {
  if (format === "") return "empty date format";
  const tokens: Token[] = [];
  const literal = (text: string): void => {
    const last = tokens[tokens.length - 1];
    if (last?.kind === "literal") tokens[tokens.length - 1] = { kind: "literal", text: last.text + text };
    else tokens.push({ kind: "literal", text });
  };
  let i = 0;
  outer: while (i < format.length) {
    for (const [text, field] of FORMAT_TOKENS) {
      if (format.startsWith(text, i)) {
        tokens.push({ kind: "field", field, width: text.length });
        i += text.length;
        continue outer;
      }
    }
    const ch = format[i] ?? "";
    if (ch === "'") {
      const end = format.indexOf("'", i + 1);
      if (end < 0) return `unterminated quote in date format "${format}"`;
      literal(end === i + 1 ? "'" : format.slice(i + 1, end)); // '' is a quote, as in Java and .NET
      i = end + 1;
    } else if (/[A-Za-z]/.test(ch) && ch !== "T") {
      return `unknown letter "${ch}" in date format "${format}" (tokens: yyyy MM dd HH mm ss SSS; quote other letters)`;
    } else {
      literal(ch);
      i += 1;
    }
  }
  return tokens;
}

function tokensOf(format: string): readonly Token[] {
  const tokens = compileFormat(format);
  if (typeof tokens === "string") throw new RangeError(tokens);
  return tokens;
}

/** Formats wall-clock fields; throws RangeError on a bad format or a year outside 0000–9999. */
export function formatWallClock(wall: WallClock, format: string): string {
  const tokens = tokensOf(format);
  if (wall.year < 0 || wall.year > 9999) throw new RangeError(`year ${wall.year} is outside 0000-9999`);
  let out = "";
  for (const t of tokens) out += t.kind === "literal" ? t.text : String(wall[t.field]).padStart(t.width, "0");
  return out;
}

/** The wall clock at instant `epochMs` in the zone `utcOffsetMinutes` east of UTC. */
export function wallClockAt(epochMs: number, utcOffsetMinutes: number): WallClock {
  const shifted = new Date(epochMs + utcOffsetMinutes * MINUTE_MS);
  if (!Number.isFinite(shifted.getTime())) throw new RangeError(`not a valid instant: ${epochMs}`);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    millisecond: shifted.getUTCMilliseconds(),
  };
}

/**
 * Formats instant `epochMs` as seen in the zone `utcOffsetMinutes` east of UTC (Asia/Shanghai: 480),
 * with tokens yyyy MM dd HH mm ss SSS. Used for window bounds and request timestamps.
 */
export function formatDateTime(epochMs: number, format: string, utcOffsetMinutes: number): string {
  return formatWallClock(wallClockAt(epochMs, utcOffsetMinutes), format);
}

/** The instant a wall clock denotes in the zone `utcOffsetMinutes` east of UTC. */
export function instantOf(wall: WallClock, utcOffsetMinutes: number): number {
  const d = new Date(0);
  // setUTCFullYear rather than Date.UTC, which maps years 0-99 to 1900-1999.
  d.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  d.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return d.getTime() - utcOffsetMinutes * MINUTE_MS;
}

// yyyy-MM-dd or yyyy/MM/dd (month and day may drop a leading zero), then optionally a time
// (space or T, seconds and fraction optional) and, after a time, a zone (Z, ±hh, ±hhmm, ±hh:mm).
const LENIENT =
  /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses `text` with `format` (tokens as {@link formatDateTime}; fields it lacks default to
 * 1970-01-01 00:00:00.000) or, without one, leniently (see LENIENT above). Returns undefined when the
 * text does not match or names an impossible date such as 2024-02-30.
 */
export function parseDateTime(text: string, format?: string): ParsedDateTime | undefined {
  return format === undefined ? parseLenient(text) : parseWithFormat(text, tokensOf(format));
}

function parseLenient(text: string): ParsedDateTime | undefined {
  const m = LENIENT.exec(text);
  if (!m) return undefined;
  const fraction = m[8] ?? "";
  const wall = validWall({
    year: Number(m[1]),
    month: Number(m[3]),
    day: Number(m[4]),
    hour: Number(m[5] ?? 0),
    minute: Number(m[6] ?? 0),
    second: Number(m[7] ?? 0),
    // Sub-millisecond digits are dropped, not rounded, so 59.9999 never becomes the next minute.
    millisecond: Number(fraction.slice(0, 3).padEnd(3, "0")),
  });
  if (!wall) return undefined;
  const zone = m[9];
  if (zone === undefined) return { wall };
  const offsetMinutes = parseOffset(zone);
  return offsetMinutes === undefined ? undefined : { wall, offsetMinutes };
}

function parseOffset(zone: string): number | undefined {
  if (zone === "Z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || 0);
  if (hours > 23 || minutes > 59) return undefined;
  const total = hours * 60 + minutes;
  return zone.startsWith("-") ? -total : total;
}

function parseWithFormat(text: string, tokens: readonly Token[]): ParsedDateTime | undefined {
  const fields: Record<FieldName, number | undefined> = {
    year: undefined,
    month: undefined,
    day: undefined,
    hour: undefined,
    minute: undefined,
    second: undefined,
    millisecond: undefined,
  };
  let i = 0;
  for (const t of tokens) {
    if (t.kind === "literal") {
      if (!text.startsWith(t.text, i)) return undefined;
      i += t.text.length;
      continue;
    }
    const digits = text.slice(i, i + t.width);
    if (!/^\d+$/.test(digits) || digits.length !== t.width) return undefined;
    const value = Number(digits);
    const seen = fields[t.field];
    if (seen !== undefined && seen !== value) return undefined; // a token given twice must agree
    fields[t.field] = value;
    i += t.width;
  }
  if (i !== text.length) return undefined;
  const wall = validWall({
    year: fields.year ?? 1970,
    month: fields.month ?? 1,
    day: fields.day ?? 1,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
    millisecond: fields.millisecond ?? 0,
  });
  return wall ? { wall } : undefined;
}

function validWall(w: WallClock): WallClock | undefined {
  const ok =
    w.year >= 0 &&
    w.year <= 9999 &&
    w.month >= 1 &&
    w.month <= 12 &&
    w.day >= 1 &&
    w.day <= daysInMonth(w.year, w.month) &&
    w.hour <= 23 &&
    w.minute <= 59 &&
    w.second <= 59;
  return ok ? w : undefined;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
