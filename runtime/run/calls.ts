import { performance } from "node:perf_hooks";
import type { CallMeter } from "../call-meter.js";
import type { Clock } from "../clock.js";
import { CallError } from "../faults.js";
import type { RateLimits } from "../rate-limit.js";
import { stripCall, withRetry, type RetryOptions } from "../retry.js";
import type { RateSpec, RetrySpec } from "../types.js";

/** Where a call goes and what budget it has. */
export interface CallTarget {
  readonly system: string;
  readonly operation: string;
  /** Identifies the credential: calls with the same credential share a rate limit. */
  readonly credential: string;
  readonly rate: RateSpec | null;
  readonly retry: RetrySpec;
}

/** How one call is run besides its target's budget. */
export interface CallOptions<T> {
  /** Stops the call and any wait at once. */
  readonly signal?: AbortSignal;
  /** See {@link RetryOptions.beforeRetry}: a call of its own between attempts, never retried by this call. */
  readonly beforeRetry?: RetryOptions<T>["beforeRetry"];
  /** Where a wait the system asked for is told, so no such wait passes in silence. */
  readonly log?: (line: string) => void;
}

/** Runs system calls inside their rate limit and retry policy, and counts them. */
export class Calls {
  constructor(
    private readonly clock: Clock,
    private readonly limits: RateLimits,
    readonly meter: CallMeter,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Calls `fn` (attempt numbers from 1) within the target's retry policy, taking a rate-limit token
   * before each attempt. The meter counts one call with each attempt's latency, its failed
   * attempts, its retries and its rate-limit waits.
   */
  async run<T>(target: CallTarget, fn: (attempt: number) => Promise<T>, options: CallOptions<T> = {}): Promise<T> {
    const { signal, log } = options;
    const bucket = this.limits.bucket(`${target.system}\u0000${target.credential}\u0000${target.operation}`, target.rate);
    const attemptsMs: number[] = [];
    let failedAttempts = 0;
    let waitedMs = 0;
    let retries = 0;
    const sample = (ok: boolean) => ({ ok, attemptsMs, failedAttempts, retries, waitedMs });
    const onRetry = (error: CallError, attempt: number, delayMs: number) => {
      retries++;
      if (error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
        log?.(`${target.system} ${target.operation}: the system asks to wait ${Math.ceil(error.retryAfterMs / 1000)} s (${firstLine(error)}); waiting ${Math.ceil(delayMs / 1000)} s before attempt ${attempt + 1}`);
      }
    };
    try {
      const outcome = await withRetry(
        async (attempt) => {
          if (bucket) waitedMs += await bucket.take(signal);
          // Timed from after the token: the system's latency, not ferry's own waiting.
          const started = performance.now();
          try {
            const value = await fn(attempt);
            attemptsMs.push(performance.now() - started);
            return value;
          } catch (error) {
            attemptsMs.push(performance.now() - started);
            failedAttempts++;
            // Anything a connector throws that it did not classify is a bug, not a retryable fault.
            if (error instanceof CallError || !(error instanceof Error)) throw error;
            throw new CallError(`${target.system} ${target.operation}`, "rejected", error.message, { cause: error });
          }
        },
        target.retry,
        { clock: this.clock, random: this.random, signal, bucket, onRetry, beforeRetry: options.beforeRetry },
      );
      this.meter.record(target.system, target.operation, sample(true));
      return outcome.value;
    } catch (error) {
      // A call its caller gave up on (the run stopping early) says nothing about the system.
      if (!signal?.aborted) this.meter.record(target.system, target.operation, sample(false));
      throw error;
    }
  }
}

/** The fault's message without its call prefix, cut at the first line. */
function firstLine(error: CallError): string {
  return stripCall(error).split("\n")[0] ?? "";
}
