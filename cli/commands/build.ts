import { checkFiles, findMapFiles, writeModules } from "../../compiler/project.js";
import { renderDiagnostic } from "../../compiler/render.js";
import { colors, elapsed, EXIT, plural, useColor, type Io } from "../io.js";
import { printDiagnostics, report } from "../report.js";

export interface BuildOptions {
  readonly out: string;
}

/** `ferry build [paths..] --out <dir>`: writes nothing unless every file checks clean. */
export function buildCommand(io: Io, paths: readonly string[], options: BuildOptions): number {
  const started = process.hrtime.bigint();
  const results = checkFiles(findMapFiles(paths, io.cwd), io.cwd);
  if (results.some((r) => !r.model)) return report(io, results, started);
  printDiagnostics(io, results);
  const { written, diagnostics } = writeModules(results, options.out, io.cwd);
  for (const d of diagnostics) io.stderr.write(`${renderDiagnostic(d, undefined, { color: useColor(io) })}\n\n`);
  const c = colors(io);
  for (const file of written) io.stderr.write(`  ${c.green("wrote")} ${file}\n`);
  if (diagnostics.length > 0) {
    io.stderr.write(`${c.red("error")}: ${plural(diagnostics.length, "module")} could not be written\n`);
    return EXIT.inputErrors;
  }
  io.stderr.write(`${c.green("ok")}: ${plural(written.length, "module")} written to ${options.out} in ${elapsed(started)} ms\n`);
  return EXIT.ok;
}
