import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { streamsRecords } from "../../cli/heap.js";
import { ROOT } from "../support/seeds.js";

/**
 * A node process that streams garbage through a working set of a few thousand objects (what a run
 * does with its pages in flight) and reports how large its young generation became, in MB.
 */
function youngGenerationAfterStreaming(options: { tune: boolean; nodeOptions?: string }): { tuned: boolean | null; newSpaceMb: number } {
  const heap = `${ROOT}dist/cli/heap.js`;
  if (!existsSync(heap)) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    const { keepYoungGenerationSmall } = await import(${JSON.stringify(heap)});
    const tuned = ${options.tune} ? keepYoungGenerationSmall() : null;
    let inFlight = [];
    for (let i = 0; i < 2_000_000; i++) {
      inFlight.push({ id: i, name: "shop " + i, tags: [i] });
      if (inFlight.length > 20_000) inFlight = [];
    }
    const space = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    console.log(JSON.stringify({ tuned, newSpaceMb: space.space_size / 2 ** 20 }));
  `;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (options.nodeOptions) env.NODE_OPTIONS = options.nodeOptions;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" })) as { tuned: boolean | null; newSpaceMb: number };
}

describe("streamsRecords", () => {
  it("is true for the commands that stream records, whatever options come first", () => {
    expect(streamsRecords(["run", "shops.map", "--limit", "5"])).toBe(true);
    expect(streamsRecords(["replay", "shops"])).toBe(true);
    expect(streamsRecords(["demo"])).toBe(true);
    expect(streamsRecords(["--no-color", "run", "x.map"])).toBe(true);
  });

  it("is false for the other commands and for none", () => {
    expect(streamsRecords(["check", "run.map"])).toBe(false);
    expect(streamsRecords(["build"])).toBe(false);
    expect(streamsRecords(["--version"])).toBe(false);
    expect(streamsRecords([])).toBe(false);
  });
});

describe("keepYoungGenerationSmall", () => {
  it("holds the young generation at its starting size while records stream through", () => {
    const untouched = youngGenerationAfterStreaming({ tune: false });
    const tuned = youngGenerationAfterStreaming({ tune: true });
    expect(tuned.tuned).toBe(true);
    expect(untouched.newSpaceMb).toBeGreaterThanOrEqual(16);
    expect(tuned.newSpaceMb).toBeLessThanOrEqual(4);
  });

  it("leaves a young generation set in NODE_OPTIONS alone", () => {
    const given = youngGenerationAfterStreaming({ tune: true, nodeOptions: "--max-semi-space-size=8" });
    expect(given.tuned).toBe(false);
    expect(given.newSpaceMb).toBeGreaterThan(4);
  });
});
