import { describe, expect, it } from "vitest";
import { CONNECTORS } from "../../../connectors/index.js";
import { loadSystems } from "../../../connectors/spec/load-systems.js";

/** The catalog without what only specs carry (origins, labels of operations, protocol, connection). */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (["origin", "protocol", "connection", "files", "confirm", "window", "paging", "id", "number", "result"].includes(key)) continue;
    out[key] = comparable(v);
  }
  return out;
}

describe("built-in system specs", () => {
  const loaded = loadSystems();

  it("load without problems", () => {
    expect(loaded.problems).toEqual([]);
  });

  it.each(CONNECTORS.map((c) => [c.name, c] as const))("%s: the spec says what the TypeScript catalog says", (name, catalog) => {
    const fromSpec = loaded.catalogs.find((c) => c.name === name);
    expect(fromSpec, name).toBeDefined();
    const strip = (c: unknown) => {
      const v = comparable(c) as Record<string, unknown>;
      // Operation labels are new in the specs.
      for (const op of (v.operations as Record<string, unknown>[]) ?? []) delete op.label;
      const dyn = v.dynamic as Record<string, Record<string, unknown>> | undefined;
      if (dyn) for (const op of Object.values(dyn)) delete op.label;
      return v;
    };
    // The specs hold more than the catalogs did; what the catalogs held must be unchanged.
    const old = {
      ...fromSpec!,
      operations: fromSpec!.operations
        .filter((o) => catalog.operations.some((t) => t.name === o.name))
        .map((o) => {
          const t = catalog.operations.find((x) => x.name === o.name)!;
          return t.forms ? { ...o, forms: o.forms?.filter((f) => t.forms!.some((tf) => tf.id === f.id)) } : o;
        }),
    };
    expect(strip(old)).toEqual(strip(catalog));
  });
});

describe("the built-in specs' cache", () => {
  it("says exactly what the YAML says, origins included", async () => {
    const { parseBuiltinSpecs, BUILTIN_CACHE_FILE } = await import("../../../connectors/spec/load-systems.js");
    const { existsSync } = await import("node:fs");
    // `npm test` builds first, which writes the cache.
    expect(existsSync(BUILTIN_CACHE_FILE)).toBe(true);
    expect(JSON.parse(JSON.stringify(loadSystems().catalogs))).toEqual(JSON.parse(JSON.stringify(parseBuiltinSpecs().catalogs)));
  });
});
