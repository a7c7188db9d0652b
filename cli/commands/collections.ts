import { resolve } from "node:path";
import { readDocuments } from "../../runtime/state/collections.js";
import { openStateStore } from "../../runtime/state/open.js";
import { loadEnv } from "../env.js";
import { EXIT, plural, type Io } from "../io.js";
import { UsageError } from "../../compiler/project.js";

/** `ferry load <collection> <file.jsonl|.json> [--append]` */
export async function loadCommand(io: Io, collection: string, file: string, options: { append?: boolean }): Promise<number> {
  // Flows name collections in `lookup mongo("…")`; an empty or padded name could never be looked up.
  if (collection.trim() === "" || collection.trim() !== collection) throw new UsageError(`not a collection name: ${JSON.stringify(collection)}`);
  let documents: unknown[];
  try {
    documents = readDocuments(resolve(io.cwd, file));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const store = openStateStore(loadEnv(io.cwd, io.env), io.cwd);
  try {
    const count = await store.loadCollection(collection, documents, !options.append);
    io.stderr.write(`loaded ${plural(documents.length, "document")} into ${collection} (${count} in all)\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `ferry collections` */
export async function collectionsCommand(io: Io): Promise<number> {
  const store = openStateStore(loadEnv(io.cwd, io.env), io.cwd);
  try {
    const list = await store.collections();
    if (list.length === 0) io.stdout.write("no collections; load one with: ferry load <collection> <file.jsonl>\n");
    for (const c of list) io.stdout.write(`${c.name}  ${plural(c.count, "document")}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
