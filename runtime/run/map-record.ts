import { jsonata } from "../lazy.js";
import { evaluateJsonata, type JsonataValues } from "../jsonata-values.js";
import { readPath, resolveLookups, type CollectionStore, type LookupAnswers } from "../lookups.js";
import { previewOf } from "../state/storable.js";
import { contentHash } from "./hash.js";
import type { FlowModule, MapContext, ParamContext } from "../types.js";

/** A record mapped and checked, or why it could not be: the reason a dead letter keeps. */
export type Mapped =
  | { readonly ok: true; readonly row: unknown }
  | { readonly ok: false; readonly stage: "map" | "check"; readonly reason: string; readonly row: unknown };

/**
 * Maps and checks records the way `ferry run` and `ferry replay` both must: lookups answered once per
 * page, JSONata fields evaluated per record, every failure of a single record (a pipe that cannot
 * convert, a JSONata error, a failed `check`) turned into a reason rather than thrown.
 *
 * One map context serves all records; the page's lookup answers and the record's JSONata values
 * are swapped in, so mapping allocates nothing per record for it.
 */
export class RecordMapper {
  readonly #flow: Pick<FlowModule, "spec" | "map" | "check" | "lookupKeys" | "jsonataInputs">;
  readonly #expressions: readonly ReturnType<typeof jsonata>[];
  #answers: LookupAnswers = [];
  #values: JsonataValues = [];
  readonly #ctx: MapContext;

  constructor(flow: Pick<FlowModule, "spec" | "map" | "check" | "lookupKeys" | "jsonataInputs">, params: ParamContext) {
    this.#flow = flow;
    this.#expressions = flow.spec.jsonata.map((source) => jsonata(source));
    this.#ctx = { ...params, lookup: (i, k) => this.#answers[i]?.get(k), jsonata: (i, input) => this.#values[i]?.get(input) };
  }

  /** Whether mapping needs {@link mapAsync}: JSONata is asynchronous, the generated code is not. */
  get isAsync(): boolean {
    return this.#expressions.length > 0;
  }

  /** Answers the lookups of the records about to be mapped, with one query per lookup. */
  async prepare(records: readonly unknown[], collections: CollectionStore): Promise<void> {
    this.#answers = await resolveLookups(this.#flow, records, collections, this.#ctx);
  }

  /** Maps a record of a flow without JSONata fields; flows with them use {@link mapAsync}. */
  map(record: unknown): Mapped {
    let row: unknown;
    try {
      row = this.#flow.map(record, this.#ctx);
    } catch (error) {
      return { ok: false, stage: "map", reason: reasonOf(error), row: null };
    }
    const failures = this.#flow.check(row);
    if (failures.length > 0) return { ok: false, stage: "check", reason: failures.map((f) => f.message).join("; "), row };
    return { ok: true, row };
  }

  async mapAsync(record: unknown): Promise<Mapped> {
    try {
      this.#values = await evaluateJsonata(this.#flow, this.#expressions, record);
    } catch (error) {
      return { ok: false, stage: "map", reason: reasonOf(error), row: null };
    }
    return this.map(record);
  }
}

/**
 * Why one record failed, in one line. JSONata throws plain objects with a code and a message, not
 * Errors, so `String(error)` would say "[object Object]".
 */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null) {
    const { message, code } = error as { message?: unknown; code?: unknown };
    if (typeof message === "string") return typeof code === "string" ? `JSONata ${code}: ${message}` : message;
  }
  return String(error);
}

/** A record's id as text, or why the record has none that can identify it (the dead letter's reason). */
export type RecordId = { readonly id: string } | { readonly refused: string };

/**
 * The id at `path`: a string, or a number as its digits (an integer beyond 2^53 arrives as a BigInt
 * and keeps every digit). An object, an array or a boolean identifies nothing: two different objects
 * could print alike, and `true` is shared by half the records, so such a record is refused.
 */
export function readId(record: unknown, path: string): RecordId {
  const value = readPath(record, path);
  if (value === null || value === undefined || value === "") return { refused: `the record has no id at \`${path}\`` };
  if (typeof value === "string") return { id: value };
  if (typeof value === "bigint") return { id: value.toString() };
  if (typeof value === "number" && Number.isFinite(value)) return { id: String(value) };
  const what = Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value === "boolean" ? `the boolean ${String(value)}` : `a ${typeof value}`;
  return { refused: `the record's id at \`${path}\` is ${what}, not a string or a number` };
}

/** A record's id at `path`, as text; "" when it has none that can identify it (see {@link readId}). */
export function idOf(record: unknown, path: string): string {
  const read = readId(record, path);
  return "id" in read ? read.id : "";
}

/**
 * The key a dead letter of a record without an id is kept under: one per distinct record, so two
 * such records never replace each other's letter (the store keeps one open letter per key).
 */
export function noIdKey(record: unknown): string {
  let hash: string;
  try {
    hash = contentHash(record);
  } catch (error) {
    // Too deep to hash whole: its beginning tells such records apart well enough.
    if (!(error instanceof RangeError)) throw error;
    hash = contentHash(previewOf(record));
  }
  return `(no id) ${hash.slice(0, 12)}`;
}

/** Why a record that cannot be mapped, hashed or serialised (a RangeError) is a dead letter. */
export function tooLargeReason(error: RangeError): string {
  return /call stack/i.test(error.message)
    ? `the record is nested too deeply to map or store (${error.message})`
    : `the record is too large to map or store (${error.message})`;
}
