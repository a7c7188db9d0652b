import { checkFiles, findMapFiles, type FileResult } from "../../compiler/project.js";
import { renderDiagnostic, renderSummary, toJson } from "../../compiler/render.js";
import { elapsed, EXIT, useColor, type Io } from "../io.js";

export interface CheckOptions {
  readonly json?: boolean;
}

/** Prints the diagnostics of checked files and a summary; returns the exit code. */
export function report(io: Io, results: readonly FileResult[], started: bigint, json = false): number {
  const diagnostics = results.flatMap((r) => r.diagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (json) {
    io.stdout.write(`${JSON.stringify(diagnostics.map(toJson), null, 2)}\n`);
  } else {
    const color = useColor(io);
    for (const r of results) {
      for (const d of r.diagnostics) io.stderr.write(`${renderDiagnostic(d, r.text, { color })}\n\n`);
    }
    const filesWithErrors = new Set(errors.map((d) => d.file)).size;
    io.stderr.write(
      `${renderSummary({ errors: errors.length, warnings: diagnostics.length - errors.length, files: results.length, filesWithErrors, ms: elapsed(started) }, { color })}\n`,
    );
  }
  return errors.length > 0 ? EXIT.inputErrors : EXIT.ok;
}

/** `ferry check [paths..]` */
export function checkCommand(io: Io, paths: readonly string[], options: CheckOptions): number {
  const started = process.hrtime.bigint();
  const results = checkFiles(findMapFiles(paths, io.cwd), io.cwd);
  return report(io, results, started, options.json);
}
