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
export interface RetryOptions<T = unknown> {
  readonly clock: Clock;
  /** Uniform in [0, 1); injected so tests can seed the jitter. Default Math.random. */
  readonly random?: () => number;
  /** Stops waiting at once; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Told before each wait: the fault, the number of the attempt that failed, the ms about to be waited. */
  readonly onRetry?: (error: CallError, attempt: number, delayMs: number) => void;
  /**
   * Runs after the wait and before the next attempt, outside the attempts: a write whose answer was
   * lost asks the target here what landed. It is a call of its own with its own retries, so what it
   * throws ends this call as it is, never retried again by this loop; an answer it returns ends the
   * call with that value instead of another attempt (everything had landed).
   */
  readonly beforeRetry?: (error: CallError, attempt: number) => Promise<{ readonly value: T } | undefined>;
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
 * The longest wait a system may ask for (Retry-After, MsgCode 14) before a call fails instead of
 * waiting: what the flow agreed to wait between attempts, the backoff maximum of its `retry` setting
 * (`retry 3 backoff 1s..30s`: 30 s), but at least {@link RETRY_AFTER_FLOOR_MS} and at most
 * {@link MAX_RETRY_AFTER_MS}.
 */
export function retryAfterCeiling(policy: RetrySpec): number {
  const agreed = Number.isFinite(policy.maxMs) ? policy.maxMs : 0;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(RETRY_AFTER_FLOOR_MS, agreed));
}

/**
 * A minute: per-minute quotas ask callers to wait for the next minute, an everyday answer that must
 * not fail a flow whose backoff maximum is shorter (the http connector's default is 5 s).
 */
export const RETRY_AFTER_FLOOR_MS = 60_000;

/** The longest wait any flow can agree to: `ferry check` refuses a backoff over 1h. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Calls `call(attempt)` (attempt 1, 2, …) until it succeeds, retrying transient {@link CallError}s
 * up to `policy.attempts` times (so at most attempts + 1 calls).
 *
 * Before retry n it waits max(retryAfterMs, random() × min(maxMs, minMs × 2^(n−1))): exponential
 * backoff with full jitter, so workers that failed together do not retry together, but never less
 * than the system asked for. A system that asks for longer than {@link retryAfterCeiling} fails the
 * call at once, naming the wait, rather than holding the run for it. Permanent faults and anything
 * that is not a CallError are rethrown at once. When retries run out, the last fault is rethrown as
 * a CallError of the same kind whose message ends "(after N attempts)", with the original as its cause.
 */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  policy: RetrySpec,
  options: RetryOptions<T>,
): Promise<RetryOutcome<T>> {
  const { clock, signal, onRetry, beforeRetry, bucket } = options;
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
    const ceiling = retryAfterCeiling(policy);
    if (retryAfter > ceiling) {
      // A system that asks for hours (or a broken header) would hold the run silently: fail instead.
      throw new CallError(error.call, error.kind, `${stripCall(error)}; ${tooLong(retryAfter, ceiling, policy, maxRetries)}`, { cause: error });
    }
    const delay = Math.max(retryAfter, random() * backoffCap(attempt, policy));
    if (retryAfter > 0) bucket?.pauseUntil(clock.now() + retryAfter);
    onRetry?.(error, attempt, delay);
    retries.push({ kind: error.kind, waitedMs: delay });
    // A zero wait skips the clock: a manual FakeClock would otherwise hold it until the next advance.
    if (delay > 0) await clock.sleep(delay, signal);
    const answered = await beforeRetry?.(error, attempt);
    if (answered) return { value: answered.value, attempts: attempt, retries };
  }
}

/** Why a call does not wait as long as its system asks, and what would make it. */
function tooLong(askedMs: number, ceilingMs: number, policy: RetrySpec, retries: number): string {
  const asked = `the system asks to wait ${seconds(askedMs)} before the next call`;
  if (askedMs > MAX_RETRY_AFTER_MS) return `${asked}, longer than ferry waits for any call (${seconds(MAX_RETRY_AFTER_MS)}); run the flow again once that time has passed`;
  const raised = `retry ${retries} backoff ${duration(policy.minMs)}..${duration(Math.ceil(askedMs / 60_000) * 60_000)}`;
  return `${asked}, longer than this call waits (${seconds(ceilingMs)}: the backoff maximum of its \`retry\` setting, at least 1 min); to wait that long, raise the maximum in the flow, e.g. \`${raised}\``;
}

/** Whole seconds, as a wait is told. */
function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

/** A duration as the `.map` language writes it: 500ms, 30s, 10m, 1h. */
function duration(ms: number): string {
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms)}ms`;
}

/** CallError prefixes its message with the call; the message without it, so a new one is not prefixed twice. */
export function stripCall(error: CallError): string {
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
