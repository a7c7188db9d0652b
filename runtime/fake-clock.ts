import type { Clock } from "./clock.js";

/**
 * The real `setImmediate`, captured at load so tests that install fake timers (vi.useFakeTimers)
 * cannot stall the fake clock: it only ever needs one real macrotask to let promise chains settle.
 */
const realSetImmediate = globalThis.setImmediate;

/** Resolves after every microtask queued so far (and the ones those queue) has run. */
function settle(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

interface Timer {
  readonly at: number;
  /** Registration order: timers due at the same time fire in the order they were set. */
  readonly seq: number;
  fire(): void;
}

/** Options of a {@link FakeClock}. */
export interface FakeClockOptions {
  /** Virtual time at construction, in ms since the epoch (default 0). */
  readonly start?: number;
  /**
   * Advance by itself: each `sleep` resolves on a later macrotask with virtual time moved to its
   * deadline, so code that waits runs at full speed while `now()` moves as if it had waited.
   * Concurrent sleepers fire in deadline order (two parallel 500 ms sleeps take 500 ms, not 1 s).
   */
  readonly auto?: boolean;
}

/**
 * A {@link Clock} whose time only moves when told to, so tests of waiting code (rate limits,
 * backoff, Retry-After) run in milliseconds and are deterministic.
 *
 * Manual mode (default): `sleep` registers a timer; {@link advance} and {@link runAll} move time and
 * fire due timers in deadline order, letting promise chains settle between timers so a woken
 * sleeper can register its next sleep within the same advance.
 *
 * Auto mode (`{ auto: true }`): see {@link FakeClockOptions.auto}; meant for end-to-end tests.
 *
 * `sleep(0)` registers a timer due now, like `setTimeout(0)`: it fires on the next advance
 * (`advance(0)` included), not synchronously.
 */
export class FakeClock implements Clock {
  #now: number;
  readonly #auto: boolean;
  /** Sorted by (at, seq). */
  readonly #timers: Timer[] = [];
  #seq = 0;
  #autoScheduled = false;

  constructor(options: number | FakeClockOptions = {}) {
    const { start = 0, auto = false } = typeof options === "number" ? { start: options } : options;
    if (!Number.isFinite(start)) throw new RangeError(`FakeClock start must be finite, got ${start}`);
    this.#now = start;
    this.#auto = auto;
  }

  /** Virtual time, ms since the epoch. */
  now(): number {
    return this.#now;
  }

  /** Resolves when virtual time reaches now + ms; rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
      const onAbort = () => {
        this.#remove(timer);
        reject(signal?.reason);
      };
      const timer: Timer = {
        at: this.#now + delay,
        seq: this.#seq++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#insert(timer);
      if (this.#auto) this.#scheduleAuto();
    });
  }

  /**
   * Moves virtual time forward by `ms`, firing every timer that falls due on the way, in order,
   * including timers set by code those timers woke. Time stops at exactly now + ms.
   */
  async advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`FakeClock.advance needs a finite ms >= 0, got ${ms}`);
    const target = this.#now + ms;
    // Code started just before this call may not have reached its sleep yet.
    await settle();
    for (let next = this.#timers[0]; next !== undefined && next.at <= target; next = this.#timers[0]) {
      this.#fireFirst();
      await settle();
    }
    this.#now = Math.max(this.#now, target);
  }

  /**
   * Advances to each next timer until none remain. Throws after more than `limit` timers have
   * fired: code that keeps setting new timers (a retry or polling loop that never ends) would
   * otherwise hang the test.
   */
  async runAll(limit = 10_000): Promise<void> {
    await settle();
    let fired = 0;
    while (this.#timers.length > 0) {
      if (++fired > limit) throw new Error(`FakeClock.runAll: more than ${limit} timers fired; runaway loop?`);
      this.#fireFirst();
      await settle();
    }
  }

  /** Timers not fired yet. */
  pending(): number {
    return this.#timers.length;
  }

  #fireFirst(): void {
    const timer = this.#timers.shift();
    if (timer === undefined) return;
    // Never backwards: a timer set during an advance can be due before the advance's target.
    this.#now = Math.max(this.#now, timer.at);
    timer.fire();
  }

  #scheduleAuto(): void {
    if (this.#autoScheduled) return;
    this.#autoScheduled = true;
    realSetImmediate(() => {
      this.#autoScheduled = false;
      // One timer per macrotask: the code it wakes may set an earlier timer than the next one queued.
      this.#fireFirst();
      if (this.#timers.length > 0) this.#scheduleAuto();
    });
  }

  #insert(timer: Timer): void {
    // Binary search for the first timer due strictly later; equal deadlines keep registration order.
    let lo = 0;
    let hi = this.#timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#timers[mid] as Timer).at <= timer.at) lo = mid + 1;
      else hi = mid;
    }
    this.#timers.splice(lo, 0, timer);
  }

  #remove(timer: Timer): void {
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }
}
