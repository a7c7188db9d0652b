/**
 * "Did you mean" suggestions for misspelt names: fields, pipes, connectors, forms, options.
 */

// Beyond this, a name is not a typo of an identifier and the quadratic distance is not worth it.
const MAX_WORD_LENGTH = 256;

/**
 * Optimal-string-alignment distance (Damerau–Levenshtein restricted so no substring is edited
 * twice): insertions, deletions, substitutions and transpositions of adjacent characters each
 * cost 1. Compares code points, so a Chinese character or an emoji counts as one. Case-sensitive.
 */
export function editDistance(a: string, b: string): number {
  return osa(Array.from(a), Array.from(b));
}

function osa(a: readonly string[], b: readonly string[]): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rolling rows: the transposition case looks two rows back.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let curr = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    curr[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const bj = b[j - 1];
      const cost = ai === bj ? 0 : 1;
      let d = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && ai === b[j - 2] && a[i - 2] === bj) d = Math.min(d, prev2[j - 2]! + 1);
      curr[j] = d;
    }
    [prev2, prev, curr] = [prev, curr, prev2];
  }
  return prev[m]!;
}

/**
 * The candidate `word` was most likely meant to be, or undefined when none is close.
 *
 * Names are compared case-insensitively, so `fname` finds `FName`. A candidate is accepted when its
 * distance is at most max(1, floor(length of word / 3)): one slip in a short name, more in a long
 * one, while `xyz` never becomes `name`. The closest candidate wins; ties go to the one first in
 * iteration order. A candidate identical to `word` is skipped: suggesting the same text helps no one.
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const chars = Array.from(word.toLowerCase());
  if (chars.length === 0 || chars.length > MAX_WORD_LENGTH) return undefined;
  const limit = Math.max(1, Math.floor(chars.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const other = Array.from(candidate.toLowerCase());
    // The length gap is a lower bound on the distance; skip the table when it already loses.
    if (Math.abs(other.length - chars.length) > Math.min(limit, bestDistance - 1)) continue;
    const distance = osa(chars, other);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      if (distance === 0) break;
    }
  }
  return best;
}

/** The hint line for a misspelt name, e.g. "did you mean `name`?", or undefined when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = suggest(word, candidates);
  return match === undefined ? undefined : `did you mean \`${match}\`?`;
}
