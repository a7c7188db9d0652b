/**
 * `Retry-After` (RFC 9110 §10.2.3): either whole seconds or an HTTP date. A server's wish to be left
 * alone is honoured, but capped: a misconfigured proxy asking for a day must not park a run.
 */

/** Longest wait a Retry-After header can impose. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Milliseconds to wait from `now` (ms since the epoch) according to a `Retry-After` value, capped at
 * {@link MAX_RETRY_AFTER_MS}; 0 for a date in the past; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // Only the date forms HTTP allows start with a letter (IMF-fixdate, RFC 850, asctime); this keeps
  // Date.parse from reading "1.5" or "-3" as a date.
  if (!/^[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}
