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
 * - `machine`: Node version, CPU model, core count and the bench's total wall time.
 *
 * Times come from process.hrtime.bigint(); nothing is hard-coded.
 */
import { cpus, platform, arch, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { benchCli } from "./cli.js";
import { benchTransform } from "./transform.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)); // dist/bench/ → repository root

async function main(): Promise<void> {
  const start = process.hrtime.bigint();
  const { check, build } = benchCli(ROOT);
  const transform = await benchTransform(ROOT);
  const cores = cpus();
  const machine = {
    node: process.version,
    cpu: cores[0]?.model.trim() ?? "unknown",
    cores: cores.length,
    platform: `${platform()} ${arch()}`,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    total_ms: Math.round(Number(process.hrtime.bigint() - start) / 1e6),
  };
  process.stdout.write(`${JSON.stringify({ check, build, transform, machine }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
