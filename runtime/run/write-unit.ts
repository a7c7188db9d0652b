import type { DeadLetterInput, WrittenEntry } from "../state/store.js";
import type { OutgoingRow } from "./batch-writer.js";

/** The counts a run keeps of records that are not written. */
export interface UnitTally {
  /** Records a later reading of their id in this run replaced. */
  repeated: number;
  unchanged: number;
  /** Dry runs: rows that would be written for the first time, or again. */
  new: number;
  changed: number;
}

/**
 * The rows and dead letters gathered for the next write of a run, in source order. A source whose
 * pages shift while they are read hands the same id over more than once; each id is then written
 * once, in the version read last:
 * - a row already queued is replaced in place, so one batch never holds an id twice;
 * - a row sent since the page's write-record entries were read counts as repeated, not written again;
 * - a map or check failure replaces the earlier letter of its id, and a later row drops it.
 * Every record offered is counted once: queued (and then written or refused), unchanged, repeated,
 * or left as a letter.
 */
export class WriteUnit {
  #rows: OutgoingRow[] = [];
  readonly #queued = new Map<string, number>();
  readonly #sentSincePageStart = new Map<string, string>();
  #letters = new Map<string, DeadLetterInput>();

  constructor(
    private readonly tally: UnitTally,
    private readonly dryRun: boolean,
  ) {}

  /** Rows queued for the next write. */
  get size(): number {
    return this.#rows.length;
  }

  /** Letters waiting for the next write. */
  get letters(): number {
    return this.#letters.size;
  }

  /** The page's write-record entries were just read: rows sent before now are in them. */
  pageStarted(): void {
    this.#sentSincePageStart.clear();
  }

  addLetter(letter: DeadLetterInput): void {
    this.#supersede(letter.sourceId);
    this.#letters.set(letter.sourceId, letter);
  }

  /** Queues a mapped row unless the write record (`before`) or this run already has this version. */
  addRow(row: OutgoingRow, before: WrittenEntry | undefined): void {
    this.#supersede(row.sourceId);
    const queued = this.#queued.get(row.sourceId);
    if (queued !== undefined) {
      this.#rows[queued] = row;
      this.tally.repeated++;
      return;
    }
    const sent = this.#sentSincePageStart.get(row.sourceId);
    if (sent === row.hash) {
      this.tally.repeated++;
      return;
    }
    if ((sent ?? before?.hash) === row.hash) {
      this.tally.unchanged++;
      return;
    }
    if (this.dryRun) {
      if (before) this.tally.changed++;
      else this.tally.new++;
      return;
    }
    this.#queued.set(row.sourceId, this.#rows.length);
    this.#rows.push(row);
  }

  /** What to write now; the unit starts over, remembering the rows as sent. */
  take(): { readonly rows: OutgoingRow[]; readonly letters: DeadLetterInput[] } {
    const taken = { rows: this.#rows, letters: [...this.#letters.values()] };
    for (const r of this.#rows) this.#sentSincePageStart.set(r.sourceId, r.hash);
    this.#rows = [];
    this.#letters = new Map();
    this.#queued.clear();
    return taken;
  }

  #supersede(sourceId: string): void {
    if (this.#letters.delete(sourceId)) this.tally.repeated++;
  }
}
