import { runExamples, type ExampleResult } from "../../compiler/examples.js";
import { checkFiles, findMapFiles, type FileResult } from "../../compiler/project.js";
import { colors, elapsed, EXIT, type Io } from "../io.js";
import { report } from "../report.js";

export interface TestSummary {
  readonly passed: number;
  readonly failed: number;
  readonly flows: number;
}

function show(value: unknown): string {
  return value === undefined ? "(absent)" : JSON.stringify(value);
}

/** Runs the examples of checked files, printing one line per example and the differences of failures. */
export async function runAndReport(io: Io, results: readonly FileResult[]): Promise<TestSummary> {
  const c = colors(io);
  let passed = 0;
  let failed = 0;
  let flows = 0;
  for (const r of results) {
    if (!r.model) continue;
    flows++;
    const outcomes: ExampleResult[] = await runExamples(r.model);
    io.stdout.write(`${c.bold(r.model.name)} ${c.dim(`(${r.file}, ${outcomes.length} example${outcomes.length === 1 ? "" : "s"})`)}\n`);
    if (outcomes.length === 0) io.stdout.write(`  ${c.yellow("no examples")}: add \`example "…" { in {…} out {…} }\`\n`);
    for (const o of outcomes) {
      if (o.passed) {
        passed++;
        io.stdout.write(`  ${c.green("✔")} ${o.name}\n`);
        continue;
      }
      failed++;
      io.stdout.write(`  ${c.red("✘")} ${o.name} ${c.dim(`(${r.file}:${o.line})`)}\n`);
      if (o.error) io.stdout.write(`      ${c.red("error")}: ${o.error}\n`);
      for (const d of o.differences) {
        io.stdout.write(`      ${d.field}: expected ${c.green(show(d.expected))}, got ${c.red(show(d.actual))}\n`);
      }
      for (const m of o.checkFailures) io.stdout.write(`      fails check: ${m}\n`);
    }
  }
  return { passed, failed, flows };
}

/** `ferry test [paths..]` */
export async function testCommand(io: Io, paths: readonly string[]): Promise<number> {
  const started = process.hrtime.bigint();
  const results = checkFiles(findMapFiles(paths, io.cwd), io.cwd);
  if (results.some((r) => !r.model)) return report(io, results, started);
  const summary = await runAndReport(io, results);
  const c = colors(io);
  const line = `${summary.passed} passed, ${summary.failed} failed`;
  io.stdout.write(`\n${summary.failed ? c.red(line) : c.green(line)} ${c.dim(`(${summary.flows} flows in ${elapsed(started)} ms)`)}\n`);
  return summary.failed > 0 ? EXIT.inputErrors : EXIT.ok;
}
