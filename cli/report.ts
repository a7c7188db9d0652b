import type { FileResult } from "../compiler/project.js";
import { renderDiagnostic, renderSummary, toJson } from "../compiler/render.js";
import { elapsed, EXIT, useColor, type Io } from "./io.js";

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

