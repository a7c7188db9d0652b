import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { RecordSchema } from "../../../connectors/catalog.js";
import { evaluateRules } from "../../../alerts/rules.js";
import { ROOT } from "../../support/seeds.js";
import { flowOf, startBench, type Bench } from "../../support/runtime.js";

const flow = flowOf(readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8"), "shops.map");

let bench: Bench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe("a run compares the records it reads with the spec", () => {
  it("reports drift in its summary and the store, never failing for it, and a drift rule fires", async () => {
    bench = await startBench({ records: 40 });
    const [sample] = bench.server.source.records();
    const fields = Object.keys(sample!).filter((k) => k !== "note");
    // The spec as it was: it knows every field but `note`, declares one that no longer comes, and
    // expects `id` as text.
    const schema: RecordSchema = {
      title: "/shops records",
      fields: [
        ...fields.map((name) => ({ name, type: name === "id" ? ("string" as const) : typeof (sample as unknown as Record<string, unknown>)[name] === "number" ? ("number" as const) : ("string" as const) })),
        { name: "region", type: "string" as const },
        { name: "tags", type: "array" as const },
      ],
    };
    const summary = await bench.run(flow, { from: "2024-09-08 00:00:00", sourceSchema: schema });
    expect(summary.status).toBe("ok");
    expect(summary.drift?.unknown.map((u) => u.path)).toEqual(["note"]);
    expect(summary.drift?.missing.map((m) => m.path)).toEqual(["region", "tags"]);
    expect(summary.warnings.some((w) => w.startsWith("drift in 40 records looked at: 1 field the spec lacks (note); 2 declared fields never came (region, tags)"))).toBe(true);
    expect(await bench.store.latestDrift("shops_to_customers")).toMatchObject({ runId: summary.runId, report: { sampled: 40 } });
    const firing = await evaluateRules(bench.store, { targets: [], rules: [{ name: "drift", kind: "drift", flow: "*", threshold: 0, windowMinutes: 0, targets: [] }], anomalies: undefined } as never, Date.now());
    expect(firing).toEqual([expect.objectContaining({ rule: "drift", flow: "shops_to_customers", message: expect.stringContaining("1 field the spec lacks (note)") })]);

    // A run whose records are what the spec says clears it.
    const names = [...new Set(bench.server.source.records().flatMap((r) => Object.keys(r)))];
    const exact: RecordSchema = { title: "/shops records", fields: names.map((name) => ({ name, type: "string" as const })) };
    const again = await bench.run(flow, { from: "2024-09-08 00:00:00", sourceSchema: exact });
    expect(again.drift?.unknown).toEqual([]);
    expect(await bench.store.latestDrift("shops_to_customers")).toBeNull();
  });
});
