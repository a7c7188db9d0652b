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

// ---- long lists -------------------------------------------------------------------------------

/** Up to this many names, a suggestion compares the word with every one (exactly as `suggest`). */
const EXHAUSTIVE_UP_TO = 256;
/** Names kept per deletion key of a long list: a shared key (f1 of f10…f19) says little. */
const MAX_PER_KEY = 16;
/** Candidates a word of a long list is compared with at most. */
const MAX_VERIFIED = 32;
/** Longer words get no suggestion from a long list. */
const MAX_INDEXED_WORD = 64;

/**
 * The names of one list (a row's fields, what a mapping writes: lists as long as the file), for many
 * "did you mean" questions. A short list is scanned in full per question. A long one is indexed once
 * by its one-character deletions (the symmetric-delete method), so a question costs a few lookups
 * and at most MAX_VERIFIED comparisons however long the list: a file with thousands of misspelt names
 * over thousands of fields stays linear. Over a long list only names one slip away (a character
 * added, dropped, changed or two swapped, ignoring case) are suggested.
 */
export class NameIndex {
  readonly names: readonly string[];
  #byKey: Map<string, number[]> | undefined;

  constructor(names: Iterable<string>) {
    this.names = [...names];
  }

  suggest(word: string): string | undefined {
    if (this.names.length <= EXHAUSTIVE_UP_TO) return suggest(word, this.names);
    const lower = word.toLowerCase();
    const chars = Array.from(lower);
    if (chars.length === 0 || chars.length > MAX_INDEXED_WORD) return undefined;
    const index = (this.#byKey ??= this.#index());
    const found = new Set<number>();
    for (const key of deletions(lower)) {
      for (const i of index.get(key) ?? []) {
        if (found.size >= MAX_VERIFIED) break;
        found.add(i);
      }
    }
    let best: number | undefined;
    let bestDistance = Infinity;
    for (const i of found) {
      const candidate = this.names[i] as string;
      if (candidate === word) continue;
      const distance = slips(chars, Array.from(candidate.toLowerCase()));
      if (distance !== undefined && (distance < bestDistance || (distance === bestDistance && i < (best ?? Infinity)))) {
        best = i;
        bestDistance = distance;
      }
    }
    return best === undefined ? undefined : this.names[best];
  }

  didYouMean(word: string): string | undefined {
    const match = this.suggest(word);
    return match === undefined ? undefined : `did you mean \`${match}\`?`;
  }

  /** The first `max` names for a "have: a, b, c" note, with the count when there are more. */
  list(max = 12): string {
    const shown = this.names.slice(0, max).join(", ");
    return this.names.length > max ? `${shown}, … (${this.names.length} in all)` : shown;
  }

  #index(): Map<string, number[]> {
    const byKey = new Map<string, number[]>();
    this.names.forEach((name, i) => {
      // Words up to MAX_INDEXED_WORD code points are asked about, so names one longer can match.
      if (name.length > 2 * (MAX_INDEXED_WORD + 1)) return;
      for (const key of deletions(name.toLowerCase())) {
        const list = byKey.get(key);
        if (list === undefined) byKey.set(key, [i]);
        else if (list.length < MAX_PER_KEY && list[list.length - 1] !== i) list.push(i);
      }
    });
    return byKey;
  }
}

/** 0 when equal, 1 when one edit or one adjacent swap apart (OSA distance 1), else undefined; linear. */
function slips(a: readonly string[], b: readonly string[]): 0 | 1 | undefined {
  if (Math.abs(a.length - b.length) > 1) return undefined;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return 0;
  const rest = (x: number, y: number): boolean => {
    const n = a.length - x;
    if (n !== b.length - y) return false;
    for (let k = 0; k < n; k++) if (a[x + k] !== b[y + k]) return false;
    return true;
  };
  if (a.length === b.length) {
    if (rest(i + 1, i + 1)) return 1; // one changed
    return a[i] === b[i + 1] && a[i + 1] === b[i] && rest(i + 2, i + 2) ? 1 : undefined; // two swapped
  }
  return (a.length > b.length ? rest(i + 1, i) : rest(i, i + 1)) ? 1 : undefined; // one dropped or added
}

/** The word itself and every word one code point shorter. */
function deletions(word: string): string[] {
  const out = [word];
  for (let i = 0; i < word.length; ) {
    const width = word.codePointAt(i)! > 0xffff ? 2 : 1;
    out.push(word.slice(0, i) + word.slice(i + width));
    i += width;
  }
  return out;
}

const indexes = new WeakMap<object, NameIndex>();

/**
 * The NameIndex of a list that is asked about many times (a row's fields, a level of written
 * paths), built on the first question and kept as long as `owner` lives.
 */
export function namesOf(owner: object, names: () => Iterable<string>): NameIndex {
  let index = indexes.get(owner);
  if (index === undefined) indexes.set(owner, (index = new NameIndex(names())));
  return index;
}
