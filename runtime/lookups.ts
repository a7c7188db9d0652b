import { mingoQuery } from "./lazy.js";
import type { FlowModule, LookupSpec, ParamContext } from "./types.js";

export type Document = Readonly<Record<string, unknown>>;

/** A store of document collections queried with the MongoDB query language. */
export interface CollectionStore {
  find(collection: string, filter: Readonly<Record<string, unknown>>): Promise<readonly Document[]>;
}

/** Collections held in memory (examples, tests), queried with mingo. */
export class MemoryCollectionStore implements CollectionStore {
  private readonly collections = new Map<string, Document[]>();

  add(collection: string, documents: readonly Document[]): void {
    const list = this.collections.get(collection) ?? [];
    list.push(...documents);
    this.collections.set(collection, list);
  }

  async find(collection: string, filter: Readonly<Record<string, unknown>>): Promise<readonly Document[]> {
    const docs = this.collections.get(collection) ?? [];
    return new (mingoQuery())(filter as Record<string, unknown>).find<Document>(docs).all();
  }
}

/** Reads a dotted path of a document. */
export function readPath(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Answers per lookup: key → the `find` value of the first matching document. */
export type LookupAnswers = readonly ReadonlyMap<unknown, unknown>[];

/**
 * Answers every lookup of a page of records with one query per lookup: the keys all records
 * compute (one per entry for a lookup inside `each`) are gathered and matched with `$in`, never
 * one query per row. `ctx` is what keys may read besides the record (the window, env, now).
 */
export async function resolveLookups(
  flow: Pick<FlowModule, "spec" | "lookupKeys">,
  records: readonly unknown[],
  store: CollectionStore,
  ctx: ParamContext,
): Promise<LookupAnswers> {
  const specs = flow.spec.lookups;
  if (specs.length === 0) return [];
  const keys = specs.map(() => new Set<unknown>());
  for (const record of records) {
    let recordKeys: readonly (readonly unknown[])[];
    try {
      recordKeys = flow.lookupKeys(record, ctx);
    } catch {
      // Generated modules leave out the keys they cannot compute; a module that throws anyway has
      // the record fail in `map`, with the field's location.
      continue;
    }
    recordKeys.forEach((list, i) => {
      const set = keys[i];
      if (set === undefined || !Array.isArray(list)) return;
      for (const k of list) if (k !== null && k !== undefined) set.add(k);
    });
  }
  return Promise.all(specs.map((spec, i) => answer(spec, [...(keys[i] ?? [])], store)));
}

async function answer(spec: LookupSpec, keys: readonly unknown[], store: CollectionStore): Promise<ReadonlyMap<unknown, unknown>> {
  const found = new Map<unknown, unknown>();
  if (keys.length === 0) return found;
  const filter = { $and: [spec.where, { [spec.keyPath]: { $in: keys } }] };
  for (const doc of await store.find(spec.collection, filter)) {
    const key = readPath(doc, spec.keyPath);
    // The first document per key wins, as a MongoDB findOne would.
    if (!found.has(key)) found.set(key, readPath(doc, spec.find));
  }
  return found;
}
