/**
 * The one masker every text passes before it leaves ferry (a CallError, a dead letter's reason, an
 * alert delivery's error, a console page). It hides not only whole secrets but any fragment of 6 or
 * more characters of one: an error answer quoting a token is cut short somewhere, and the part
 * before the cut is still most of the token. Mask first, then cut.
 *
 * It runs on every message, so it costs one pass over the text: every 6-character window is hashed
 * incrementally and looked up among the hashes of the secrets' 6-character windows, and only a hit
 * is compared as text. Windows that hit are merged into runs, each run replaced by {@link MASK}.
 */

/** What a masked secret (or fragment of one) is shown as. */
export const MASK = "***";

/** Fragments this long or longer are masked; shorter ones say nothing about the secret. */
export const FRAGMENT_CHARS = 6;

/** Secrets shorter than a fragment but at least this long are masked where they occur whole. */
const SHORT_SECRET_CHARS = 4;

/** Environment variables whose values are secrets: `FERRY_…SECRET`, `…TOKEN`, `…PASSWORD`, `…KEY`. */
export const SECRET_VARIABLE = /^FERRY_\w*(SECRET|TOKEN|PASSWORD|KEY)$/i;

const BASE = 31;
/** BASE^(FRAGMENT_CHARS − 1), to take the oldest character out of a rolling hash. */
const TOP = BASE ** (FRAGMENT_CHARS - 1);

/** The hash of `text`'s window of FRAGMENT_CHARS code units at `at`, as a signed 32-bit integer. */
function windowHash(text: string, at: number): number {
  let h = 0;
  for (let k = 0; k < FRAGMENT_CHARS; k++) h = (Math.imul(h, BASE) + text.charCodeAt(at + k)) | 0;
  return h;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** The spellings a secret may take in a message: as is, URL-encoded, JSON-escaped, HTML-escaped. */
function spellings(secret: string): Set<string> {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), escapeHtml(secret)]);
  try {
    forms.add(encodeURIComponent(secret));
  } catch {
    // A lone surrogate cannot be URL-encoded, so it cannot be sent that way either.
  }
  return forms;
}

/** Masks secrets, and fragments of them, in text. Immutable; build one per set of secrets. */
export class SecretMasker {
  /** Masks nothing. */
  static readonly none = new SecretMasker([]);

  readonly #windows = new Set<string>();
  readonly #hashes = new Set<number>();
  /** Secrets too short to have fragments, masked whole; longest first. */
  readonly #short: readonly string[];
  readonly #secrets: readonly string[];

  /** `secrets` may hold undefined, null and "" (unset settings); they are skipped. */
  constructor(secrets: Iterable<string | null | undefined>) {
    const all = new Set<string>();
    const short = new Set<string>();
    for (const secret of secrets) {
      if (typeof secret !== "string" || secret.length < SHORT_SECRET_CHARS) continue;
      all.add(secret);
      for (const form of spellings(secret)) {
        if (form.length < FRAGMENT_CHARS) {
          short.add(form);
          continue;
        }
        for (let at = 0; at + FRAGMENT_CHARS <= form.length; at++) {
          this.#windows.add(form.slice(at, at + FRAGMENT_CHARS));
          this.#hashes.add(windowHash(form, at));
        }
      }
    }
    this.#secrets = [...all];
    this.#short = [...short].sort((a, b) => b.length - a.length);
  }

  /** A masker for these secrets and `more`. */
  with(more: Iterable<string | null | undefined>): SecretMasker {
    return new SecretMasker([...this.#secrets, ...more]);
  }

  /** Whether it masks nothing at all. */
  get isEmpty(): boolean {
    return this.#hashes.size === 0 && this.#short.length === 0;
  }

  /** `text` with every fragment of 6 or more characters of a secret, and every short secret, replaced by {@link MASK}. */
  mask(text: string): string {
    let out = this.maskFragments(text);
    for (const s of this.#short) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }

  /**
   * Only the fragments of 6 or more characters: for whole pages, where a secret of 4 or 5 characters
   * could be a word of the page's own markup.
   */
  maskFragments(text: string): string {
    const n = text.length;
    if (this.#hashes.size === 0 || n < FRAGMENT_CHARS) return text;
    let out = "";
    let copied = 0;
    let runStart = -1;
    let runEnd = -1;
    let h = windowHash(text, 0);
    for (let i = 0; ; i++) {
      if (this.#hashes.has(h) && this.#windows.has(text.slice(i, i + FRAGMENT_CHARS))) {
        if (runStart >= 0 && i <= runEnd) runEnd = i + FRAGMENT_CHARS;
        else {
          if (runStart >= 0) {
            out += text.slice(copied, runStart) + MASK;
            copied = runEnd;
          }
          runStart = i;
          runEnd = i + FRAGMENT_CHARS;
        }
      }
      if (i + FRAGMENT_CHARS >= n) break;
      h = (Math.imul((h - Math.imul(text.charCodeAt(i), TOP)) | 0, BASE) + text.charCodeAt(i + FRAGMENT_CHARS)) | 0;
    }
    if (runStart < 0) return text;
    return out + text.slice(copied, runStart) + MASK + text.slice(runEnd);
  }
}

/** The values of the secret variables of `env` (see {@link SECRET_VARIABLE}). */
export function secretsOfEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  // Connectors trim what they read, so the trimmed value is the one that travels.
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value.trim() !== "" && SECRET_VARIABLE.test(name)) values.add(value).add(value.trim());
  return [...values];
}
