import type { CallStats, LatencyBucket, LatencyHistogram } from "./state/store.js";

/**
 * Buckets of three significant decimal digits, upper bound inclusive: every whole microsecond up to
 * EXACT_US has a bucket of its own; above it each decade (10^d, 10^(d+1)] µs is cut into PER_DECADE
 * buckets of 10^(d−2) µs. So a bucket is at most 1 % of its values wide, its middle is within
 * 0.5 % of any value in it, and every bound of three significant digits (2.5 ms, 250 ms, 30 s) is
 * exactly a bucket's upper bound: counts "at most 250 ms" are exact, which Prometheus buckets need.
 */
const EXACT_US = 1000;
const PER_DECADE = 900;
/** Decades above EXACT_US: up to 10^10 µs (about 2.8 hours); longer values are clamped. */
const DECADES = 7;
const MAX_US = EXACT_US * 10 ** DECADES;
const SIZE = EXACT_US + 1 + DECADES * PER_DECADE;

/** Bucket index of a whole number of µs in [0, MAX_US]. */
function bucketOf(us: number): number {
  if (us <= EXACT_US) return us;
  let decade = 0;
  let width = 10;
  while (us > width * 1000) {
    decade++;
    width *= 10;
  }
  // (100 × width, 1000 × width] holds us, so this is in [101, 1000].
  const multiple = Math.ceil(us / width);
  return EXACT_US + 1 + decade * PER_DECADE + (multiple - 101);
}

/** The width of bucket `index` in µs (1 for the exact ones). */
function widthOf(index: number): number {
  return index <= EXACT_US ? 1 : 10 ** (Math.floor((index - EXACT_US - 1) / PER_DECADE) + 1);
}

/** The largest value (µs) bucket `index` holds: its inclusive upper bound. */
function upperOf(index: number): number {
  if (index <= EXACT_US) return index;
  const i = index - EXACT_US - 1;
  return (101 + (i % PER_DECADE)) * widthOf(index);
}

/** Whether `ms` is exactly the upper bound of a bucket, so that counts up to it are exact. */
export function isBucketBound(ms: number): boolean {
  const us = Math.round(ms * 1000);
  return Math.abs(us - ms * 1000) < 1e-6 && us >= 0 && us <= MAX_US && upperOf(bucketOf(us)) === us;
}

/**
 * An HdrHistogram-like latency histogram: fixed log-scale buckets, so its memory is the same after
 * ten calls or ten million (a run over a million records must not keep a million durations), and
 * histograms of many runs merge by adding their buckets.
 */
export class Histogram {
  readonly #counts = new Float64Array(SIZE);
  #total = 0;
  /** Whole µs, so that sums of merged histograms are exact (up to 2^53 µs, about 285 years). */
  #sumUs = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /** A histogram holding `stored` (merged when given several, e.g. one per run). */
  static of(...stored: readonly (LatencyHistogram | null | undefined)[]): Histogram {
    const h = new Histogram();
    for (const s of stored) if (s) h.add(s);
    return h;
  }

  /** Adds one value in ms (negative and NaN count as 0). */
  record(ms: number): void {
    const us = Math.min(MAX_US, Math.round(Number.isFinite(ms) && ms > 0 ? ms * 1000 : 0));
    (this.#counts[bucketOf(us)] as number)++;
    this.#total++;
    this.#sumUs += us;
    if (us < this.#min) this.#min = us;
    if (us > this.#max) this.#max = us;
  }

  /** Adds the buckets, sum and extremes of another histogram (a stored one). */
  add(other: LatencyHistogram): void {
    for (const [upToUs, count] of other.buckets) {
      if (!(count > 0)) continue;
      const index = bucketOf(Math.min(MAX_US, Math.max(0, Math.round(upToUs))));
      (this.#counts[index] as number) += count;
      this.#total += count;
      if (other.minMs === undefined) this.#min = Math.min(this.#min, upperOf(index) - widthOf(index) + 1);
      if (other.maxMs === undefined) this.#max = Math.max(this.#max, upperOf(index));
    }
    if (other.buckets.length === 0) return;
    // Without stored extremes, the bounds of the outer buckets are the tightest that are known.
    if (other.minMs !== undefined) this.#min = Math.min(this.#min, Math.round(other.minMs * 1000));
    if (other.maxMs !== undefined) this.#max = Math.max(this.#max, Math.round(other.maxMs * 1000));
    this.#sumUs += Math.round(other.sumMs * 1000);
  }

  /** Values recorded. */
  get count(): number {
    return this.#total;
  }

  /** Their sum in ms (each rounded to the microsecond). */
  get sumMs(): number {
    return this.#sumUs / 1000;
  }

  /** Bytes held for counts: constant, whatever was recorded. */
  get byteLength(): number {
    return this.#counts.byteLength;
  }

  /**
   * The nearest-rank `p` quantile (0 < p ≤ 1) in ms, to within 0.5 % (and 1 µs); 0 when empty.
   * The first and last ranks answer the smallest and largest values seen (exact, also when merged
   * from stored histograms that kept them); the others are clamped to them.
   */
  quantile(p: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, p)) * this.#total));
    // The extremes are known exactly (while recording): the first and the last rank are them.
    if (rank === this.#total) return this.#max / 1000;
    if (rank === 1) return this.#min / 1000;
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) {
        const middle = upperOf(i) - (widthOf(i) - 1) / 2;
        return Math.min(this.#max, Math.max(this.#min, middle)) / 1000;
      }
    }
    return this.#max / 1000;
  }

  /** How many values were at most `ms`: exact when `ms` is a bucket bound ({@link isBucketBound}). */
  countAtMost(ms: number): number {
    const limit = Math.round(ms * 1000);
    let n = 0;
    for (let i = 0; i < this.#counts.length && upperOf(i) <= limit; i++) n += this.#counts[i] as number;
    return n;
  }

  /** The non-empty buckets, ascending, the sum and the extremes: what the state store keeps per run. */
  toStored(): LatencyHistogram {
    const buckets: LatencyBucket[] = [];
    for (let i = 0; i < this.#counts.length; i++) {
      const n = this.#counts[i] as number;
      if (n > 0) buckets.push([upperOf(i), n]);
    }
    return this.#total === 0 ? { sumMs: 0, buckets } : { sumMs: this.sumMs, minMs: this.#min / 1000, maxMs: this.#max / 1000, buckets };
  }
}

/** What one call (after its retries) cost, as given to {@link CallMeter.record}. */
export interface CallSample {
  /** Whether the call succeeded in the end. */
  readonly ok: boolean;
  /**
   * How long each attempt took to answer or fail, in order: the system's latency, without the
   * rate-limit and backoff waits between attempts.
   */
  readonly attemptsMs: readonly number[];
  /** Attempts that failed: every retry follows one, and a call that failed in the end ends with one. */
  readonly failedAttempts: number;
  /** Retries it took (0 when the first attempt answered). */
  readonly retries: number;
  /** Time spent waiting for rate-limit tokens. */
  readonly waitedMs: number;
}

interface Tally {
  readonly system: string;
  readonly operation: string;
  calls: number;
  errors: number;
  retries: number;
  failedAttempts: number;
  rateLimitWaitMs: number;
  readonly latency: Histogram;
}

/**
 * Counts calls per `system operation` for the run record, `ferry status` and the console: calls,
 * failed attempts and failed calls apart, and a latency histogram of every attempt. Memory is one
 * fixed-size histogram per operation, however many calls are recorded.
 */
export class CallMeter {
  readonly #tallies = new Map<string, Tally>();

  /** Records one call of `operation` on `system`. */
  record(system: string, operation: string, sample: CallSample): void {
    // NUL cannot appear in system or operation names, so the key is unambiguous.
    const key = `${system}\u0000${operation}`;
    let tally = this.#tallies.get(key);
    if (tally === undefined) {
      tally = { system, operation, calls: 0, errors: 0, retries: 0, failedAttempts: 0, rateLimitWaitMs: 0, latency: new Histogram() };
      this.#tallies.set(key, tally);
    }
    tally.calls++;
    if (!sample.ok) tally.errors++;
    tally.retries += sample.retries;
    tally.failedAttempts += sample.failedAttempts;
    tally.rateLimitWaitMs += sample.waitedMs;
    for (const ms of sample.attemptsMs) tally.latency.record(ms);
  }

  /** One entry per system and operation seen, sorted by system, then operation. */
  stats(): CallStats[] {
    return [...this.#tallies.values()]
      .sort((a, b) => compare(a.system, b.system) || compare(a.operation, b.operation))
      .map((t) => ({
        system: t.system,
        operation: t.operation,
        calls: t.calls,
        errors: t.errors,
        retries: t.retries,
        failedAttempts: t.failedAttempts,
        totalMs: t.latency.sumMs,
        p50Ms: t.latency.quantile(0.5),
        p95Ms: t.latency.quantile(0.95),
        rateLimitWaitMs: t.rateLimitWaitMs,
        latency: t.latency.toStored(),
      }));
  }
}

/** Attempts the calls made: each call's first, plus its retries. */
export function attemptsOf(stats: Pick<CallStats, "calls" | "retries">): number {
  return stats.calls + stats.retries;
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
