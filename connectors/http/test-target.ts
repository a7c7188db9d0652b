/**
 * The target half of the http test server: stores rows by key, counts every write per key (the
 * "nothing written twice" check of crash tests), refuses invalid rows one by one, answers lookups.
 */
import type { RouteAnswer } from "./test-source.js";

type Row = Readonly<Record<string, unknown>>;

/** Why a row is refused, or null when it is accepted. */
export type RowRule = (row: Row) => string | null;

/** The default rule: a customer needs a name. */
export const requireName: RowRule = (row) => (typeof row.name === "string" && row.name.trim() !== "" ? null : "name is required");

/** What tests read back from the target. */
export interface TestTargetControl {
  /** How many times a row with this key was stored (0 when never). */
  writes(key: string): number;
  /** Rows stored over all keys, rewrites included. */
  totalWrites(): number;
  /** The row stored under `key`, if any. */
  row(key: string): Row | undefined;
  /** Every stored row by key. */
  rows(): ReadonlyMap<string, Row>;
}

export interface WriteAnswer extends RouteAnswer {
  /** Keys of the rows stored by this write, for the `afterWrite` hook. */
  readonly stored: readonly string[];
}

function isRow(value: unknown): value is Row {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Keys compare as text, so a numeric code written and a string code looked up meet. */
function keyText(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

export class TestTarget implements TestTargetControl {
  private readonly stored = new Map<string, Row>();
  private readonly ids = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly key: string,
    private readonly rule: RowRule,
  ) {}

  writes(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  totalWrites(): number {
    return this.total;
  }

  row(key: string): Row | undefined {
    return this.stored.get(key);
  }

  rows(): ReadonlyMap<string, Row> {
    return this.stored;
  }

  /** Stores the valid rows of `{"rows": [...]}` and answers one result per row, in order. */
  write(body: unknown): WriteAnswer {
    const rows = isRow(body) ? body.rows : undefined;
    if (!Array.isArray(rows)) return { status: 400, body: { error: 'expected {"rows": [...]}' }, stored: [] };
    const stored: string[] = [];
    const results = rows.map((row: unknown) => {
      if (!isRow(row)) return { ok: false, error: "row is not an object" };
      const problem = this.rule(row);
      if (problem !== null) return { ok: false, error: problem };
      const key = keyText(row[this.key]);
      if (key === undefined) return { ok: false, error: `${this.key} is required` };
      this.stored.set(key, row);
      this.counts.set(key, this.writes(key) + 1);
      this.total++;
      stored.push(key);
      return { ok: true, id: this.idOf(key) };
    });
    return { status: 200, body: { results }, stored };
  }

  /** Answers `{"key", "values"}` with the stored rows whose `key` field has one of the values. */
  lookup(body: unknown): RouteAnswer {
    const field = isRow(body) ? body.key : undefined;
    const values = isRow(body) ? body.values : undefined;
    if (typeof field !== "string" || !Array.isArray(values)) return { status: 400, body: { error: 'expected {"key": "…", "values": [...]}' } };
    const found: { key: string; id: string; row: Row }[] = [];
    for (const value of new Set(values.map(keyText))) {
      if (value === undefined) continue;
      for (const [storedKey, row] of this.matching(field, value)) found.push({ key: value, id: this.idOf(storedKey), row });
    }
    return { status: 200, body: { rows: found } };
  }

  private *matching(field: string, value: string): Iterable<[string, Row]> {
    if (field === this.key) {
      const row = this.stored.get(value);
      if (row) yield [value, row];
      return;
    }
    for (const entry of this.stored) if (keyText(entry[1][field]) === value) yield entry;
  }

  /** Target ids are stable per key, like a real system's primary key. */
  private idOf(key: string): string {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = `C${this.ids.size + 1}`;
      this.ids.set(key, id);
    }
    return id;
  }
}
