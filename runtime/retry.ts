import type { Clock } from "./clock.js";
import { CallError } from "./faults.js";
import type { TokenBucket } from "./rate-limit.js";
import type { RetrySpec } from "./types.js";

/** What a call that eventually succeeded went through. */
export interface RetryOutcome<T> {
  readonly value: T;
  /** Calls made, the successful one included (1 when the first call succeeded). */
  readonly attempts: number;
  /** One entry per retry: the fault that caused it and the ms waited before it. */
  readonly retries: { readonly kind: string; readonly waitedMs: number }[];
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  readonly clock: Clock;
  /** Uniform in [0, 1); injected so tests can seed the jitter. Default Math.random. */
  readonly random?: () => number;
  /** Stops waiting at once; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Told before each wait: the fault, the number of the attempt that failed, the ms about to be waited. */
  readonly onRetry?: (error: CallError, attempt: number, delayMs: number) => void;
  /**
   * The operation's shared bucket. A fault that says how long to wait (Retry-After, MsgCode 14)
   * speaks for the whole credential, so every other worker of the operation is paused too.
   * withRetry does not take tokens itself: `call` does, so retries count against the budget.
   */
  readonly bucket?: TokenBucket;
}

/** The backoff ceiling after failed attempt `attempt` (1-based): minMs, 2×minMs, 4×minMs, … up to maxMs. */
export function backoffCap(attempt: number, policy: RetrySpec): number {
  return Math.max(0, Math.min(policy.maxMs, policy.minMs * 2 ** (attempt - 1)));
}

/**
 * Calls `call(attempt)` (attempt 1, 2, …) until it succeeds, retrying transient {@link CallError}s
 * up to `policy.attempts` times (so at most attempts + 1 calls).
 *
 * Before retry n it waits max(retryAfterMs, random() × min(maxMs, minMs × 2^(n−1))): exponential
 * backoff with full jitter, so workers that failed together do not retry together, but never less
 * than the system asked for. Permanent faults and anything that is not a CallError are rethrown at
 * once. When retries run out, the last fault is rethrown as a CallError of the same kind whose
 * message ends "(after N attempts)", with the original as its cause.
 */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  policy: RetrySpec,
  options: RetryOptions,
): Promise<RetryOutcome<T>> {
  const { clock, signal, onRetry, bucket } = options;
  const random = options.random ?? Math.random;
  const maxRetries = Number.isFinite(policy.attempts) ? Math.max(0, Math.floor(policy.attempts)) : 0;
  const retries: { kind: string; waitedMs: number }[] = [];
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    let error: CallError;
    try {
      return { value: await call(attempt), attempts: attempt, retries };
    } catch (e) {
      if (!(e instanceof CallError) || !e.transient) throw e;
      error = e;
    }
    if (attempt > maxRetries) throw attempt === 1 ? error : exhausted(error, attempt);

    const retryAfter = error.retryAfterMs !== undefined && error.retryAfterMs > 0 ? error.retryAfterMs : 0;
    if (retryAfter > MAX_RETRY_AFTER_MS) {
      // A system that asks for hours (or a broken header) would hold the run silently: fail instead.
      throw new CallError(error.call, error.kind, `${stripCall(error)}; the system asks to wait ${Math.round(retryAfter / 1000)} s, longer than ferry waits (${MAX_RETRY_AFTER_MS / 60_000} min)`, { cause: error });
    }
    const delay = Math.max(retryAfter, random() * backoffCap(attempt, policy));
    if (retryAfter > 0) bucket?.pauseUntil(clock.now() + retryAfter);
    onRetry?.(error, attempt, delay);
    retries.push({ kind: error.kind, waitedMs: delay });
    // A zero wait skips the clock: a manual FakeClock would otherwise hold it until the next advance.
    if (delay > 0) await clock.sleep(delay, signal);
  }
}

/** The longest Retry-After a call waits for before it fails instead. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** CallError prefixes its message with the call; the message without it, so a new one is not prefixed twice. */
function stripCall(error: CallError): string {
  const prefix = `${error.call}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/** The last fault, same class and kind, its message saying how many attempts were made. */
function exhausted(error: CallError, attempts: number): CallError {
  const message = stripCall(error);
  const options: { retryAfterMs?: number; cause: unknown } = { cause: error };
  if (error.retryAfterMs !== undefined) options.retryAfterMs = error.retryAfterMs;
  return new CallError(error.call, error.kind, `${message} (after ${attempts} attempts)`, options);
}
