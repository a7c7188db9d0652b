import { checkFiles, findMapFiles, writeModules } from "../../compiler/project.js";
import { colors, elapsed, EXIT, plural, type Io } from "../io.js";
import { report } from "../report.js";
import { runAndReport } from "./test.js";

/**
 * `ferry demo` (what `npm start` runs): checks, builds and tests the flows in mappings/ and prints a
 * short summary of each step.
 */
export async function demoCommand(io: Io, options: { mappings: string; out: string }): Promise<number> {
  const c = colors(io);
  io.stdout.write(`${c.bold("ferry")} — checking, building and testing the flows in ${options.mappings}/\n\n`);
  let t = process.hrtime.bigint();
  const results = checkFiles(findMapFiles([options.mappings], io.cwd), io.cwd);
  const warnings = results.flatMap((r) => r.diagnostics).filter((d) => d.severity === "warning").length;
  if (results.some((r) => !r.model)) return report(io, results, t);
  const checkMs = elapsed(t);

  t = process.hrtime.bigint();
  const { written, diagnostics } = writeModules(results, options.out, io.cwd);
  if (diagnostics.length > 0) return report(io, [{ file: options.out, outName: "", text: undefined, model: undefined, diagnostics }], t);
  const buildMs = elapsed(t);

  t = process.hrtime.bigint();
  const summary = await runAndReport(io, results);
  const testMs = elapsed(t);

  const ok = c.green("✔");
  io.stdout.write(`\n${ok} check  ${plural(results.length, "flow")}, 0 errors, ${plural(warnings, "warning")}  ${c.dim(`${checkMs} ms`)}\n`);
  io.stdout.write(`${ok} build  ${plural(written.length, "module")} → ${options.out}/  ${c.dim(`${buildMs} ms`)}\n`);
  const mark = summary.failed ? c.red("✘") : ok;
  io.stdout.write(`${mark} test   ${summary.passed} passed, ${summary.failed} failed  ${c.dim(`${testMs} ms`)}\n`);
  for (const r of results) {
    const m = r.model;
    if (!m) continue;
    io.stdout.write(`  ${m.name}: ${m.source.connector} ${m.source.operation} → ${m.target.connector} ${m.target.operation}${m.target.form ? ` ${m.target.form}` : ""}, ${plural(m.allFields.length, "field")}, ${plural(m.checks.length, "rule")}, ${plural(m.examples.length, "example")}\n`);
  }
  return summary.failed > 0 ? EXIT.inputErrors : EXIT.ok;
}
