import type { FieldStat } from "./state/store.js";

/**
 * Data-quality counts of a run: per target field, how many mapped rows left it null (absent or
 * `null`) or empty (`""`, `[]`, `{}`). Fed with every mapped row, so it is written for millions of
 * rows: the dotted paths are split once, the counts live in typed arrays, and `observe` allocates
 * nothing.
 */
export class FieldStats {
  readonly #fields: readonly string[];
  readonly #paths: readonly (readonly string[])[];
  readonly #nulls: Float64Array;
  readonly #empties: Float64Array;
  #rows = 0;

  /**
   * @param fields the flow's target fields (`spec.fields`) or their dotted target paths, e.g.
   *   `"contents.101297"`; a path given twice is counted once.
   */
  constructor(fields: readonly (string | { readonly target: string })[]) {
    const names = [...new Set(fields.map((f) => (typeof f === "string" ? f : f.target)))];
    this.#fields = names;
    this.#paths = names.map((n) => n.split("."));
    // Float64 rather than Uint32: a long-lived process could pass 2^32 rows; doubles stay exact to 2^53.
    this.#nulls = new Float64Array(names.length);
    this.#empties = new Float64Array(names.length);
  }

  /** Counts one mapped row. */
  observe(row: unknown): void {
    this.#rows++;
    const paths = this.#paths;
    for (let i = 0; i < paths.length; i++) {
      const value = valueAt(row, paths[i] as readonly string[]);
      if (value === undefined || value === null) (this.#nulls[i] as number)++;
      else if (isEmpty(value)) (this.#empties[i] as number)++;
    }
  }

  /** Rows observed so far. */
  get rows(): number {
    return this.#rows;
  }

  /** The counts per field, in the order the fields were given. */
  snapshot(): FieldStat[] {
    return this.#fields.map((field, i) => ({
      field,
      rows: this.#rows,
      nulls: this.#nulls[i] as number,
      empties: this.#empties[i] as number,
    }));
  }
}

function valueAt(row: unknown, path: readonly string[]): unknown {
  let cur = row;
  for (let j = 0; j < path.length; j++) {
    if (cur === null || typeof cur !== "object") return undefined;
    const key = path[j] as string;
    // Own properties only: a field named `constructor` must not find Object.prototype's.
    if (!Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function isEmpty(value: unknown): boolean {
  if (value === "") return true;
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.length === 0;
  // Only plain objects: a Date or a Map has no own enumerable keys but is not "empty" data.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  // for…in stops at the first key without building the array Object.keys would.
  for (const _ in value) return false;
  return true;
}
