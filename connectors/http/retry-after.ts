/**
 * `Retry-After` (RFC 9110 §10.2.3): either whole seconds or an HTTP date. The wait is reported as
 * the server asked, however long: the runtime's retry decides whether the flow waits that long or
 * fails at once naming it (runtime/retry.ts), so a server asking for a day is never waited out in
 * silence under a smaller number.
 */

/**
 * Milliseconds to wait from `now` (ms since the epoch) according to a `Retry-After` value; 0 for a
 * date in the past; undefined when absent or unreadable. Absurd values stay finite.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  // Only the date forms HTTP allows start with a letter (IMF-fixdate, RFC 850, asctime); this keeps
  // Date.parse from reading "1.5" or "-3" as a date.
  if (!/^[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
