import type { Clock } from "./clock.js";
import type { RateSpec } from "./types.js";

/**
 * Wake-ups within this many ms of a deadline count as on time: virtual time reached by adding a
 * fractional wait (e.g. 1000/3 ms) can land a rounding error short of the deadline.
 */
const EPSILON_MS = 1e-6;

/** Options of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /**
   * Takes allowed back to back from a rested bucket (an integer >= 1). Default 1: calls are spaced
   * evenly at `perMs / count`. See {@link TokenBucket} for why.
   */
  readonly burst?: number;
  /**
   * Widens the spacing by this fraction (default 0). Exact spacing has no slack against a system
   * that counts a sliding window by arrival time: a few ms of network jitter put count + 1 calls in
   * one window and earn a 429 with a second's Retry-After. The runtime uses a small margin.
   */
  readonly margin?: number;
  /**
   * Whether a token handed out late (a busy event loop, a slow wake-up) counts from when it was due
   * (default true: the long-run rate is exact). The runtime sets false: catching up sends two calls
   * back to back, which a system counting a sliding window answers with 429.
   */
  readonly catchUp?: boolean;
}

/**
 * How the runtime spaces calls: 3% below the declared rate and never catching up after a late
 * token, so jitter on the way to a system that counts a sliding window does not earn a 429.
 */
export const RUNTIME_RATE_LIMITS: TokenBucketOptions = { margin: 0.03, catchUp: false };

interface Waiter {
  readonly since: number;
  resolve(waitedMs: number): void;
  reject(reason: unknown): void;
  /** Detaches the abort listener. */
  done(): void;
}

/**
 * A token bucket admitting `rate.count` calls per `rate.perMs`, shared by every worker that calls
 * the same operation with the same credential.
 *
 * Implemented as GCRA (the virtual-scheduling form of a token bucket): one number, the theoretical
 * arrival time of the next call, instead of a token count refilled by floating-point increments.
 * It is kept scaled by `count` (ms × count) so each take adds exactly `perMs`: the long-run rate is
 * exactly `count` per `perMs`, with no drift over a million takes, even when `perMs / count` is not
 * a whole number of ms.
 *
 * Burst defaults to 1, not `count`. The long-run rate is the same either way (the bench's ceiling,
 * count/perMs, is reached exactly), so a larger burst only buys a head start of burst − 1 calls, and
 * it costs safety: with burst b, a window of perMs can hold up to b + count − 1 calls. The limits we
 * meet are often spacing rules ("0.5 s between calls" in the Banniu seed, written `rate 2/s`) or
 * sliding windows; a burst of `count` breaks both on the very first calls, and the throttling answer
 * that follows costs a backoff of seconds — far more than the head start saves. Burst 1 satisfies
 * spacing, sliding-window and fixed-window readings of `count/perMs` alike. Pass `burst` when a
 * system is known to allow bursts.
 *
 * Waiters are served first come, first served. A timer that fires late (a busy event loop) does not
 * push later calls back: the next slot is computed from when the token was due, not when it was
 * handed out.
 */
export class TokenBucket {
  readonly rate: RateSpec;
  readonly burst: number;
  readonly #clock: Clock;
  /** Tolerance (burst − 1) × interval, scaled by count. */
  readonly #tolerance: number;
  /** perMs widened by the margin: what each take adds to #tat. */
  readonly #step: number;
  readonly #catchUp: boolean;
  /** Theoretical arrival time of the next call, scaled by count (ms × count). */
  #tat = Number.NEGATIVE_INFINITY;
  readonly #queue: Waiter[] = [];
  #pumping = false;
  /** Cancels the pump's sleep when the queue empties (every waiter aborted), so no timer lingers. */
  #wake: AbortController | null = null;

  constructor(rate: RateSpec, clock: Clock, options: TokenBucketOptions = {}) {
    if (!(rate.count > 0 && Number.isFinite(rate.count) && rate.perMs > 0 && Number.isFinite(rate.perMs))) {
      throw new RangeError(`rate must be a positive count per positive ms, got ${rate.count}/${rate.perMs}ms`);
    }
    const burst = options.burst ?? 1;
    if (!(Number.isInteger(burst) && burst >= 1)) throw new RangeError(`burst must be an integer >= 1, got ${burst}`);
    this.rate = { count: rate.count, perMs: rate.perMs };
    this.burst = burst;
    this.#clock = clock;
    const margin = options.margin ?? 0;
    if (!(margin >= 0 && margin < 1)) throw new RangeError(`margin must be in [0, 1), got ${margin}`);
    this.#step = rate.perMs * (1 + margin);
    this.#catchUp = options.catchUp ?? true;
    this.#tolerance = (burst - 1) * this.#step;
  }

  /**
   * Waits for a token; resolves to the ms waited (0 when one was free). Rejects with the signal's
   * reason when aborted while waiting; an aborted waiter consumes nothing.
   */
  take(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.#clock.now();
    if (this.#queue.length === 0 && this.availableAt() <= now + EPSILON_MS) {
      this.#consume(now);
      return Promise.resolve(0);
    }
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        if (this.#queue.length === 0) this.#wake?.abort();
        reject(signal?.reason);
      };
      const waiter: Waiter = { since: now, resolve, reject, done: () => signal?.removeEventListener("abort", onAbort) };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
      if (!this.#pumping) void this.#pump();
    });
  }

  /**
   * Holds every taker until `epochMs` (the system said Retry-After, or Kingdee's MsgCode 14).
   * Calls resume one at a time at the steady rate: releasing a whole burst the moment the pause
   * ends would likely be throttled again. An earlier time than a pause already set changes nothing.
   */
  pauseUntil(epochMs: number): void {
    if (!Number.isFinite(epochMs)) return;
    this.#tat = Math.max(this.#tat, epochMs * this.rate.count + this.#tolerance);
  }

  /** When the next token is free, ms since the epoch (in the past when the bucket has tokens). */
  availableAt(): number {
    return (this.#tat - this.#tolerance) / this.rate.count;
  }

  /** Takers waiting for a token. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Spends one token that fell due at `due` (ms). */
  #consume(due: number): void {
    this.#tat = Math.max(this.#tat, due * this.rate.count) + this.#step;
  }

  /** Serves the queue in order, sleeping until each next token is due. One pump runs at a time. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const now = this.#clock.now();
        const at = this.availableAt();
        if (at > now + EPSILON_MS) {
          // Re-checked on waking: pauseUntil may have moved the deadline meanwhile.
          const wake = new AbortController();
          this.#wake = wake;
          try {
            await this.#clock.sleep(at - now, wake.signal);
          } catch {
            // Woken because every waiter left; the loop condition ends the pump.
          } finally {
            this.#wake = null;
          }
          continue;
        }
        const waiter = this.#queue.shift() as Waiter;
        waiter.done();
        // Due at `at`, or at arrival when a token was already free: never the (late) wake-up time.
        this.#consume(this.#catchUp ? Math.min(now, Math.max(at, waiter.since)) : now);
        waiter.resolve(now - waiter.since);
      }
    } finally {
      this.#pumping = false;
    }
  }
}

/**
 * The process's buckets, one per key. The caller builds the key from connector, credential and
 * operation, so every worker of a process calling the same operation with the same credential
 * shares one budget.
 */
export class RateLimits {
  readonly #clock: Clock;
  readonly #options: TokenBucketOptions;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(clock: Clock, options: TokenBucketOptions = {}) {
    this.#clock = clock;
    this.#options = options;
  }

  /**
   * The bucket for `key`, created on first use; undefined when `rate` is null (no limit). The first
   * rate given for a key wins: a bucket already handed to workers cannot be swapped, and two buckets
   * for one key would let their combined rate exceed either.
   */
  bucket(key: string, rate: RateSpec | null): TokenBucket | undefined {
    if (rate === null) return undefined;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(rate, this.#clock, this.#options);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Buckets created so far. */
  get size(): number {
    return this.#buckets.size;
  }
}
