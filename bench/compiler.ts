/**
 * `npm run bench`: ferry's performance targets (design ARCHITECTURE.md, "Performance targets"), measured
 * on this machine and printed as ONE JSON document on stdout; progress goes to stderr.
 *
 * - `check`, `build`: wall time of the real CLI (`node bin/ferry.js check <dir>` and
 *   `build <dir> --out <tmp>`, a fresh process each time) on a temp folder of 100 flows: 50 variants of
 *   each seed flow, each with its own mapping name, organisation/project constant and label, so nothing
 *   can be reused. Three runs each; the median is reported with every run. Targets: 3 s and 10 s.
 * - `transform`: records per second of the Guanyi shop → Kingdee customer mapping on 1,000,000 generated
 *   shop records, three ways in this process on the same records: the module ferry generates (loaded with
 *   `loadModule`), the same mapping written by hand (bench/handwritten.ts), and the equivalent JSONata
 *   expression (bench/jsonata-expression.ts, compiled once, awaited per record). The three must give
 *   identical rows on the first 1,000 records and the same checksum over all of them, or the bench fails.
 *   Targets: compiled ≥ 0.5× hand-written and ≥ 50× JSONata.
 * - `end_to_end`: records per second of the real `ferry run` (a child process) against the http test
 *   server (another child process, `dist/connectors/http/test-server-main.js`) on 20,000 records, with
 *   the flow at `rate 20/s` × pages of 100 and `rate 10/s` × batches of 200: a ceiling of 2,000
 *   records/s. The server enforces the same limits (429 + Retry-After beyond them), as a real system
 *   would; `without_server_limits` repeats the runs with ferry's own limiter only. records/s = written /
 *   the summary's elapsedMs; the process's wall time is reported too. Three runs of each, fresh state
 *   each time; the median is reported. Target: ≥ 0.9 of the ceiling. See bench/runtime.ts.
 * - `memory`: peak RSS of `ferry run` (GNU `/usr/bin/time -f %M`, else polling /proc/<pid>/status)
 *   on 10,000 and 1,000,000 records, unthrottled, pages of 1,000 and batches of 500, and their
 *   ratio. Target: ≤ 1.5.
 * - `memory_cold`: the same two runs, each with an empty compile cache, so the run compiles its flow
 *   before streaming (bench/runtime.ts). Target: ratio ≤ 1.3.
 * - `check_scale`: `ferry check` of a 5 MB file of ~190,000 duplicate field lines (as text and with
 *   `--json`) and of 40,000 valid fields (bench/check-scale.ts). Targets: < 10 s and < 1 GB; < 3 s.
 * - `machine`: Node version, CPU model, core count and the bench's total wall time.
 *
 * Every section runs by default. `FERRY_BENCH_ONLY=end_to_end,memory` (a comma-separated list of
 * check, build, transform, end_to_end, memory, memory_cold, check_scale, seed_flows, docs) runs only those; `machine` is always printed. Child
 * processes that exit non-zero, or a run that does not write every record, fail the bench.
 *
 * Times come from process.hrtime.bigint(); nothing is hard-coded.
 */
import { cpus, platform, arch, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { benchCli } from "./cli.js";
import { benchCheckScale } from "./check-scale.js";
import { benchColdMemory, benchEndToEnd, benchMemory } from "./runtime.js";
import { selectedSections } from "./sections.js";
import { benchTransform } from "./transform.js";
import { benchSeedFlows } from "./seed-flows.js";
import { benchDocs } from "./docs.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)); // dist/bench/ → repository root

async function main(): Promise<void> {
  const start = process.hrtime.bigint();
  const only = selectedSections(process.env.FERRY_BENCH_ONLY);
  const results: Record<string, unknown> = {};
  if (only.has("check") || only.has("build")) {
    const { check, build } = benchCli(ROOT);
    if (only.has("check")) results.check = check;
    if (only.has("build")) results.build = build;
  }
  if (only.has("transform")) results.transform = await benchTransform(ROOT);
  if (only.has("end_to_end")) results.end_to_end = await benchEndToEnd(ROOT);
  if (only.has("memory")) results.memory = await benchMemory(ROOT);
  if (only.has("memory_cold")) results.memory_cold = await benchColdMemory(ROOT);
  if (only.has("check_scale")) results.check_scale = await benchCheckScale(ROOT);
  if (only.has("seed_flows")) results.seed_flows = await benchSeedFlows(ROOT);
  if (only.has("docs")) results.docs = await benchDocs(ROOT);
  const cores = cpus();
  const machine = {
    node: process.version,
    cpu: cores[0]?.model.trim() ?? "unknown",
    cores: cores.length,
    platform: `${platform()} ${arch()}`,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    total_ms: Math.round(Number(process.hrtime.bigint() - start) / 1e6),
  };
  process.stdout.write(`${JSON.stringify({ ...results, machine }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
