import type { CallStats } from "./state/store.js";

/**
 * Sub-buckets per power of two. Values are kept in whole microseconds; below 2 × SUB µs every value
 * has its own bucket, above it each power of two is split into SUB equal buckets, so a bucket is at
 * most 1/SUB of its lower bound wide and its midpoint is within 1/(2 × SUB) (0.4 %) of any value in it.
 */
const SUB_BITS = 7;
const SUB = 2 ** SUB_BITS;
const LINEAR = 2 * SUB;
/** Powers of two covered above the linear part: up to 2^43 µs (about 100 days); larger values clamp. */
const OCTAVES = 35;
const MAX_US = 2 ** (SUB_BITS + 1 + OCTAVES) - 1;

/**
 * An HdrHistogram-like latency histogram: fixed log-scale buckets, so its memory is the same after
 * ten calls or ten million (a run over a million records must not keep a million durations).
 */
export class Histogram {
  readonly #counts = new Float64Array(LINEAR + OCTAVES * SUB);
  #total = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /** Adds one value in ms (negative and NaN count as 0). */
  record(ms: number): void {
    const us = Math.min(MAX_US, Math.round(Number.isFinite(ms) && ms > 0 ? ms * 1000 : 0));
    (this.#counts[bucketOf(us)] as number)++;
    this.#total++;
    if (us < this.#min) this.#min = us;
    if (us > this.#max) this.#max = us;
  }

  /** Values recorded. */
  get count(): number {
    return this.#total;
  }

  /** Bytes held for counts: constant, whatever was recorded. */
  get byteLength(): number {
    return this.#counts.byteLength;
  }

  /**
   * The nearest-rank `p` quantile (0 < p ≤ 1) in ms, to within 0.4 % (and 1 µs); 0 when empty.
   * Clamped to the smallest and largest values seen, which are exact.
   */
  quantile(p: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, p)) * this.#total));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, midpointOf(i))) / 1000;
    }
    return this.#max / 1000;
  }
}

/** Bucket index of a whole number of µs in [0, MAX_US]. */
function bucketOf(us: number): number {
  if (us < LINEAR) return us;
  let exp: number;
  let sub: number;
  if (us < 2 ** 31) {
    // The hot path (calls under ~36 minutes): integer bit arithmetic, no floating-point log.
    exp = 31 - Math.clz32(us);
    sub = us >>> (exp - SUB_BITS);
  } else {
    exp = Math.floor(Math.log2(us));
    // log2 can round across a power of two; correct it exactly.
    if (2 ** exp > us) exp--;
    else if (2 ** (exp + 1) <= us) exp++;
    sub = Math.floor(us / 2 ** (exp - SUB_BITS));
  }
  // sub is in [SUB, 2 × SUB): the top SUB_BITS + 1 bits of the value.
  return LINEAR + (exp - SUB_BITS - 1) * SUB + (sub - SUB);
}

/** The middle of bucket `index`, in µs. */
function midpointOf(index: number): number {
  if (index < LINEAR) return index;
  const octave = Math.floor((index - LINEAR) / SUB);
  const sub = SUB + ((index - LINEAR) % SUB);
  const width = 2 ** (octave + 1); // 2^(exp − SUB_BITS), with exp = SUB_BITS + 1 + octave
  return sub * width + (width - 1) / 2;
}

/** What one call (after its retries) cost, as given to {@link CallMeter.record}. */
export interface CallSample {
  /** Duration of the call, retries and their waits included. */
  readonly ms: number;
  readonly ok: boolean;
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
  totalMs: number;
  rateLimitWaitMs: number;
  readonly latency: Histogram;
}

/**
 * Counts calls per `system operation` for the run record and `ferry stats`: totals plus p50/p95
 * latency. Memory is one fixed-size histogram per operation, however many calls are recorded.
 */
export class CallMeter {
  readonly #tallies = new Map<string, Tally>();

  /** Records one call of `operation` on `system`. */
  record(system: string, operation: string, sample: CallSample): void {
    // NUL cannot appear in system or operation names, so the key is unambiguous.
    const key = `${system}\u0000${operation}`;
    let tally = this.#tallies.get(key);
    if (tally === undefined) {
      tally = { system, operation, calls: 0, errors: 0, retries: 0, totalMs: 0, rateLimitWaitMs: 0, latency: new Histogram() };
      this.#tallies.set(key, tally);
    }
    tally.calls++;
    if (!sample.ok) tally.errors++;
    tally.retries += sample.retries;
    tally.totalMs += sample.ms;
    tally.rateLimitWaitMs += sample.waitedMs;
    tally.latency.record(sample.ms);
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
        totalMs: t.totalMs,
        p50Ms: t.latency.quantile(0.5),
        p95Ms: t.latency.quantile(0.95),
        rateLimitWaitMs: t.rateLimitWaitMs,
      }));
  }
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
