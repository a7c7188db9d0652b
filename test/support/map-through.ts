import { compileSource } from "../../compiler/compile.js";
import { loadModule } from "../../compiler/examples.js";
import { MemoryCollectionStore, type Document } from "../../runtime/lookups.js";
import { RecordMapper, type Mapped } from "../../runtime/run/map-record.js";
import type { FlowModule } from "../../runtime/types.js";

/** A flow reading `source http "/orders"` and writing `target http "/sales"` with these field lines. */
export function httpFlow(fields: string, extra = ""): string {
  return `mapping m "M"\nsource http "/orders" { id id }\ntarget http "/sales" { idcheck no }\nfields {\n  no : string <- no\n${fields}\n}\n${extra}`;
}

/** Compiles a `.map` text into a live module; fails the test with the diagnostics when it has errors. */
export function compileFlow(text: string, file = "m.map"): { flow: FlowModule; code: string } {
  const result = compileSource(text, file);
  if (!result.code) throw new Error(`does not compile:\n${result.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`).join("\n")}`);
  return { flow: loadModule(result.code), code: result.code };
}

/**
 * Maps records through a `.map` text the way `ferry run` does: the generated module, the runtime's
 * RecordMapper (lookups answered per page from `collections`, JSONata evaluated per record).
 */
export async function mapThrough(
  text: string,
  records: readonly unknown[],
  collections: Readonly<Record<string, readonly Document[]>> = {},
): Promise<Mapped[]> {
  const { flow } = compileFlow(text);
  const store = new MemoryCollectionStore();
  for (const [name, docs] of Object.entries(collections)) store.add(name, docs);
  const mapper = new RecordMapper(flow, { window: null, env: () => undefined, now: () => "2024-01-01 00:00:00" });
  await mapper.prepare(records, store);
  const out: Mapped[] = [];
  for (const r of records) out.push(mapper.isAsync ? await mapper.mapAsync(r) : mapper.map(r));
  return out;
}

/** The rows of records that all map; fails with the reasons otherwise. */
export async function rowsOf(text: string, records: readonly unknown[], collections: Readonly<Record<string, readonly Document[]>> = {}): Promise<unknown[]> {
  const mapped = await mapThrough(text, records, collections);
  const failed = mapped.filter((m) => !m.ok);
  if (failed.length > 0) throw new Error(`rows failed: ${failed.map((m) => (m.ok ? "" : m.reason)).join("; ")}`);
  return mapped.map((m) => m.row);
}
