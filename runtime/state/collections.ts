import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { mingoQuery } from "../lazy.js";
import type { CollectionStore, Document } from "../lookups.js";
import type { StateStore } from "./store.js";

/**
 * Lookup collections read from the state store and queried in memory with mingo. Each collection
 * is read once and kept for the life of this object (one run), so lookups cost no store round trip
 * per page; a `ferry load` during the run is seen by the next run.
 */
export class StoreCollections implements CollectionStore {
  private readonly loaded = new Map<string, Promise<readonly Document[]>>();

  constructor(private readonly store: Pick<StateStore, "collection" | "collections">) {}

  async find(collection: string, filter: Readonly<Record<string, unknown>>): Promise<readonly Document[]> {
    const docs = await this.documents(collection);
    return new (mingoQuery())(filter as Record<string, unknown>).find<Document>(docs).all();
  }

  private documents(name: string): Promise<readonly Document[]> {
    let docs = this.loaded.get(name);
    if (docs === undefined) {
      // The promise is cached so concurrent pages share one read.
      docs = this.read(name);
      this.loaded.set(name, docs);
      // A failed read is not cached: the next page may find the collection loaded.
      docs.catch(() => this.loaded.delete(name));
    }
    return docs;
  }

  private async read(name: string): Promise<readonly Document[]> {
    const docs = await this.store.collection(name);
    // An empty answer is ambiguous (unknown or emptied), so ask which.
    if (docs.length === 0 && !(await this.store.collections()).some((c) => c.name === name)) {
      throw new Error(`lookup collection "${name}" does not exist; load it with: ferry load ${name} <file.jsonl>`);
    }
    return docs;
  }
}

/**
 * Reads the documents of a `.json` file (an array, or an object with exactly one array property)
 * or a `.jsonl` file (one object per line, blank lines skipped). Malformed JSON and non-object
 * documents are reported with the file and line (`goods.jsonl:17: …`).
 */
export function readDocuments(path: string): unknown[] {
  // A BOM is what spreadsheet exports put first; JSON.parse rejects it.
  let text: string;
  try {
    text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EISDIR" ? "it is a folder" : code === "ENOENT" ? "no such file" : code;
    throw new Error(`${path}: cannot read the file${why ? ` (${why})` : ""}`);
  }
  switch (extname(path).toLowerCase()) {
    case ".jsonl":
    case ".ndjson":
      return readLines(path, text);
    case ".json":
      return readArray(path, text);
    default:
      throw new Error(`${path}: cannot read documents from a "${extname(path)}" file; use .json or .jsonl`);
  }
}

function readLines(path: string, text: string): unknown[] {
  const docs: unknown[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: ${(e as Error).message}`);
    }
    if (!isDocument(doc)) throw new Error(`${path}:${i + 1}: a document must be a JSON object, not ${kind(doc)}`);
    docs.push(doc);
  });
  return docs;
}

function readArray(path: string, text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    // V8 names a character offset for most errors; turn it into the line a person can open.
    const at = /at position (\d+)/.exec(message);
    const where = at?.[1] === undefined ? "" : `:${lineOf(text, Number(at[1]))}`;
    throw new Error(`${path}${where}: ${message}`);
  }
  const list = Array.isArray(value) ? value : soleArray(value);
  if (list === undefined) {
    throw new Error(`${path}: expected an array of documents, or an object with one array property, not ${kind(value)}`);
  }
  list.forEach((doc, i) => {
    if (!isDocument(doc)) throw new Error(`${path}: item ${i + 1} must be a JSON object, not ${kind(doc)}`);
  });
  return list;
}

function soleArray(value: unknown): unknown[] | undefined {
  if (!isDocument(value)) return undefined;
  const arrays = Object.values(value).filter(Array.isArray);
  return arrays.length === 1 ? arrays[0] : undefined;
}

function isDocument(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const n = Object.values(value).filter(Array.isArray).length;
    return `an object with ${n} array properties`;
  }
  return `a ${typeof value}`;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
