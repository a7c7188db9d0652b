import type { FileResult } from "../compiler/project.js";
import { jsonChunks, renderFileDiagnostics, renderSummary } from "../compiler/render.js";
import { elapsed, EXIT, useColor, writeAll, type Io } from "./io.js";

/** Prints the diagnostics of checked files and a summary on stderr; returns the exit code. */
export function report(io: Io, results: readonly FileResult[], started: bigint): number {
  const diagnostics = results.flatMap((r) => r.diagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error");
  printDiagnostics(io, results);
  const filesWithErrors = new Set(errors.map((d) => d.file)).size;
  io.stderr.write(
    `${renderSummary({ errors: errors.length, warnings: diagnostics.length - errors.length, files: results.length, filesWithErrors, ms: elapsed(started) }, { color: useColor(io) })}\n`,
  );
  return errors.length > 0 ? EXIT.inputErrors : EXIT.ok;
}

/**
 * Prints every diagnostic as JSON on stdout (`--json`); returns the exit code. Written in pieces,
 * each after the last was taken: 200,000 diagnostics are a hundred megabytes of JSON, which a pipe
 * would otherwise queue in memory.
 */
export async function reportJson(io: Io, results: readonly FileResult[]): Promise<number> {
  const diagnostics = results.flatMap((r) => r.diagnostics);
  await writeAll(io.stdout, jsonChunks(diagnostics));
  await writeAll(io.stdout, ["\n"]);
  return diagnostics.some((d) => d.severity === "error") ? EXIT.inputErrors : EXIT.ok;
}

/** Each file's diagnostics as code frames on stderr (the first hundred per file; the rest counted). */
export function printDiagnostics(io: Io, results: readonly Pick<FileResult, "diagnostics" | "text">[]): void {
  const color = useColor(io);
  for (const r of results) {
    for (const block of renderFileDiagnostics(r.diagnostics, r.text, { color })) io.stderr.write(`${block}\n\n`);
  }
}
