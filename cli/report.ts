import type { FileResult } from "../compiler/project.js";
import { jsonChunks, renderFileDiagnostics, renderSummary } from "../compiler/render.js";
import { elapsed, EXIT, useColor, type Io } from "./io.js";

/** Prints the diagnostics of checked files and a summary; returns the exit code. */
export function report(io: Io, results: readonly FileResult[], started: bigint, json = false): number {
  const diagnostics = results.flatMap((r) => r.diagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (json) {
    for (const chunk of jsonChunks(diagnostics)) io.stdout.write(chunk);
    io.stdout.write("\n");
  } else {
    printDiagnostics(io, results);
    const filesWithErrors = new Set(errors.map((d) => d.file)).size;
    io.stderr.write(
      `${renderSummary({ errors: errors.length, warnings: diagnostics.length - errors.length, files: results.length, filesWithErrors, ms: elapsed(started) }, { color: useColor(io) })}\n`,
    );
  }
  return errors.length > 0 ? EXIT.inputErrors : EXIT.ok;
}

/** Each file's diagnostics as code frames on stderr (the first hundred per file; the rest counted). */
export function printDiagnostics(io: Io, results: readonly Pick<FileResult, "diagnostics" | "text">[]): void {
  const color = useColor(io);
  for (const r of results) {
    for (const block of renderFileDiagnostics(r.diagnostics, r.text, { color })) io.stderr.write(`${block}\n\n`);
  }
}
