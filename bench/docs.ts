/**
 * Wall time of `ferry docs` on 100 flows (the same 100 variants of the seed flows `ferry check` is
 * timed on): read and check every file, build the site model, render the HTML site and write it.
 * Measured in process through the library calls the command makes, so the number is the docs work
 * without Node's start-up; three runs, each into a fresh folder; the median is reported. Target: 5 s.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeDocs } from "../compiler/docs/index.js";
import { checkFiles, findMapFiles } from "../compiler/project.js";
import { median, writeVariants } from "./cli.js";

export interface DocsTiming {
  readonly flows: 100;
  /** Median of the runs. */
  readonly ms: number;
  readonly runs_ms: readonly number[];
  readonly target_ms: 5000;
  readonly meets_target: boolean;
}

const RUNS = 3;
const TARGET_MS = 5000;

/** The repository root, whether this module runs from bench/ (vitest) or dist/bench/ (`npm run bench`). */
function repositoryRoot(): string {
  return fileURLToPath(new URL(/\/dist\/bench\/[^/]+$/.test(import.meta.url) ? "../../" : "../", import.meta.url));
}

/** Times `ferry docs` on 100 generated flows; fails loudly if a run does not document every flow. */
export async function benchDocs(root: string = repositoryRoot()): Promise<DocsTiming> {
  const tmp = mkdtempSync(join(tmpdir(), "ferry-bench-docs-"));
  try {
    const flows = join(tmp, "flows");
    mkdirSync(flows);
    const count = writeVariants(root, flows);
    if (count !== 100) throw new Error(`bench: expected 100 flows, wrote ${count}`);
    const runs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const out = join(tmp, `site-${run}`);
      const start = process.hrtime.bigint();
      const results = checkFiles(findMapFiles([flows], tmp), tmp);
      const broken = results.filter((r) => !r.model);
      if (broken.length > 0) throw new Error(`bench: ${broken.length} flows did not check clean, e.g. ${broken[0]?.file}`);
      writeDocs(results, out, "html", tmp);
      runs.push(Number(process.hrtime.bigint() - start) / 1e6);
      const pages = readdirSync(join(out, "flows")).length;
      if (pages !== count) throw new Error(`bench: ferry docs wrote ${pages} flow pages, expected ${count}`);
      process.stderr.write(`bench: ferry docs, ${count} flows, run ${run + 1}: ${runs[run]?.toFixed(0)} ms\n`);
    }
    const ms = Math.round(median(runs) * 10) / 10;
    return { flows: 100, ms, runs_ms: runs.map((r) => Math.round(r * 10) / 10), target_ms: TARGET_MS, meets_target: ms < TARGET_MS };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
