/**
 * A system spec file as text, parsed YAML and positions: every problem found in a spec points at
 * the place in the file where it was written, as a `.map` mistake does.
 */
import { createRequire } from "node:module";
import type { Document, Node, Pair } from "yaml";

/**
 * yaml is loaded on first use: a check whose specs all come from the built-in cache never parses
 * YAML, and should not pay for loading the parser (synchronous require of its CommonJS build).
 */
let yamlModule: typeof import("yaml") | undefined;
function yaml(): typeof import("yaml") {
  yamlModule ??= createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yamlModule;
}
const isAlias = (n: unknown) => yaml().isAlias(n);
const isMap = (n: unknown) => yaml().isMap(n);
const isPair = (n: unknown) => yaml().isPair(n);
const isScalar = (n: unknown) => yaml().isScalar(n);
const isSeq = (n: unknown) => yaml().isSeq(n);

/** Where in a spec file something was written (1-based lines and columns, offsets in UTF-16 units). */
export interface SpecSpan {
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** Where a definition (system, operation, form, field) came from, for messages and go-to-definition. */
export interface SpecOrigin {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** What is wrong with a spec, at a place in it. The compiler turns these into coded diagnostics. */
export interface SpecProblem {
  readonly code: SpecProblemCode;
  readonly message: string;
  readonly file: string;
  readonly span: SpecSpan;
  /** Short text under the caret. */
  readonly label?: string;
  /** What was written and what would have been accepted, for a "did you mean" hint. */
  readonly got?: string;
  readonly expected?: readonly string[];
  readonly notes?: readonly string[];
  readonly severity?: "error" | "warning";
}

/**
 * MAP5001 not YAML, MAP5002 does not fit the spec format, MAP5003 a reference to something the spec
 * does not define, MAP5004 a definition that conflicts with another, MAP5005 a value that cannot be
 * used (a bad regular expression).
 */
export type SpecProblemCode = "MAP5001" | "MAP5002" | "MAP5003" | "MAP5004" | "MAP5005";

/** A path into the parsed document: keys and sequence indexes. */
export type SpecPath = readonly (string | number)[];

export class SpecFile {
  readonly #doc: Document.Parsed;
  readonly #lineStarts: number[];

  private constructor(
    readonly file: string,
    readonly text: string,
    doc: Document.Parsed,
  ) {
    this.#doc = doc;
    this.#lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
  }

  /** Parses `text`; YAML errors (bad indentation, duplicate keys) become problems. */
  static parse(file: string, text: string): { readonly spec: SpecFile; readonly value: unknown; readonly problems: SpecProblem[] } {
    const doc = yaml().parseDocument(text, { uniqueKeys: true, prettyErrors: false, merge: false });
    const spec = new SpecFile(file, text, doc);
    const problems = doc.errors.map(
      (error): SpecProblem => ({
        code: "MAP5001",
        message: `not valid YAML: ${firstLine(error.message)}`,
        file,
        span: spec.spanOf(error.pos[0], Math.max(error.pos[1], error.pos[0] + 1)),
        label: error.code === "DUPLICATE_KEY" ? "this key is already defined above" : "here",
      }),
    );
    const value = problems.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
    return { spec, value, problems };
  }

  /** The span of offsets [start, end). */
  spanOf(start: number, end: number): SpecSpan {
    const clampedStart = Math.max(0, Math.min(start, this.text.length));
    const clampedEnd = Math.max(clampedStart, Math.min(end, this.text.length));
    const a = this.#position(clampedStart);
    const b = this.#position(clampedEnd);
    return { start: clampedStart, end: clampedEnd, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }

  /**
   * The span of the value at `path`, or of its key when `key` is set (where the name of a
   * definition was written). Falls back to the nearest ancestor that exists.
   */
  locate(path: SpecPath, options: { readonly key?: boolean } = {}): SpecSpan {
    for (let depth = path.length; depth >= 0; depth--) {
      const found = this.#find(path.slice(0, depth), options.key === true && depth === path.length);
      if (found) return found;
    }
    return this.spanOf(0, Math.min(1, this.text.length));
  }

  /** The origin of the definition at `path` (where its key was written). */
  origin(path: SpecPath): SpecOrigin {
    const span = this.locate(path, { key: true });
    return { file: this.file, line: span.line, column: span.column };
  }

  /**
   * The keys of the mapping at `path` in the order they were written. JavaScript objects put
   * integer-like keys (Banniu's column ids) first, so order is taken from the document.
   */
  keysAt(path: SpecPath): string[] | undefined {
    let node: unknown = this.#doc.contents;
    for (const part of path) {
      node = this.#resolve(node);
      if (isMap(node)) node = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part))?.value;
      else if (isSeq(node) && typeof part === "number") node = node.items[part];
      else return undefined;
    }
    node = this.#resolve(node);
    return isMap(node) ? node.items.filter((p) => isPair(p) && isScalar(p.key)).map((p) => String((p.key as { value: unknown }).value)) : undefined;
  }

  readonly #aliases = new WeakMap<object, unknown>();

  /** An alias's node; yaml resolves each by walking the whole document, so once per alias is enough. */
  #resolve(node: unknown): unknown {
    if (!isAlias(node)) return node;
    if (!this.#aliases.has(node)) this.#aliases.set(node, node.resolve(this.#doc));
    return this.#aliases.get(node);
  }

  #find(path: SpecPath, key: boolean): SpecSpan | undefined {
    let node: unknown = this.#doc.contents;
    let pair: Pair | undefined;
    for (const part of path) {
      node = this.#resolve(node);
      pair = undefined;
      if (isMap(node)) {
        pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) return undefined;
        node = pair.value;
      } else if (isSeq(node) && typeof part === "number") {
        node = node.items[part];
      } else {
        return undefined;
      }
    }
    const target = key && pair && isScalar(pair.key) ? (pair.key as Node) : (node as Node | null | undefined);
    const range = target?.range;
    if (!range) return pair?.key && (pair.key as Node).range ? this.#rangeSpan((pair.key as Node).range!) : undefined;
    return this.#rangeSpan(range);
  }

  #rangeSpan(range: readonly [number, number, number]): SpecSpan {
    const [start, end] = range;
    return this.spanOf(start, Math.max(end, start + 1));
  }

  #position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.#lineStarts[lo]! + 1 };
  }
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "").trim();
}
