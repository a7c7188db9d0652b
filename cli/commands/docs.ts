import { checkDocs, DOCS_FORMATS, isDocsFormat, writeDocs } from "../../compiler/docs/index.js";
import { checkFiles, findMapFiles } from "../../compiler/project.js";
import { colors, elapsed, EXIT, plural, type Io } from "../io.js";
import { printDiagnostics, report } from "../report.js";

const LIST_AT_MOST = 12;

export interface DocsOptions {
  readonly out: string;
  /** `html` (default) or `md`. */
  readonly format?: string;
  /** Compare instead of writing: exit 1 when the docs in `out` differ from what the sources generate. */
  readonly check?: boolean;
}

/**
 * `ferry docs [paths..] --out <dir> [--format html|md] [--check]`. Writes nothing unless every file
 * checks clean. Exit 0: written, or up to date; 1: input errors, or (with --check) differences;
 * 2: bad usage.
 */
export function docsCommand(io: Io, paths: readonly string[], options: DocsOptions): number {
  const started = process.hrtime.bigint();
  const format = options.format ?? "html";
  if (!isDocsFormat(format)) {
    io.stderr.write(`ferry: unknown docs format \`${format}\` (choose ${DOCS_FORMATS.join(" or ")})\n`);
    return EXIT.usage;
  }
  const results = checkFiles(findMapFiles(paths, io.cwd), io.cwd);
  if (results.some((r) => !r.model || r.diagnostics.some((d) => d.severity === "error"))) return report(io, results, started);
  // Warnings do not stop the docs, but they are worth seeing, as with `ferry build`.
  printDiagnostics(io, results);
  const c = colors(io);

  if (options.check) {
    const { changes, files } = checkDocs(results, options.out, format, io.cwd);
    if (changes.length === 0) {
      io.stderr.write(`${c.green("ok")}: ${options.out} is up to date (${plural(files, "file")}, checked in ${elapsed(started)} ms)\n`);
      return EXIT.ok;
    }
    for (const ch of changes) io.stderr.write(`  ${c.red(ch.change.padEnd(7))} ${ch.file}\n`);
    io.stderr.write(
      `${c.red("error")}: the docs in ${options.out} differ from what the .map files generate (${plural(changes.length, "file")}); run \`ferry docs${format === "md" ? " --format md" : ""} --out ${options.out}\` and commit the result\n`,
    );
    return EXIT.inputErrors;
  }

  let outcome: ReturnType<typeof writeDocs>;
  try {
    outcome = writeDocs(results, options.out, format, io.cwd);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${c.red("error")}: cannot write the docs to ${options.out}: ${reason}\n`);
    return EXIT.inputErrors;
  }
  const { written, unchanged, removed } = outcome;
  // A site of a hundred flows would bury the summary: name the files only when there are few.
  if (written.length <= LIST_AT_MOST) for (const file of written) io.stderr.write(`  ${c.green("wrote")}   ${file}\n`);
  for (const file of removed) io.stderr.write(`  ${c.yellow("removed")} ${file}\n`);
  const start = format === "html" ? "index.html" : "README.md";
  io.stderr.write(
    `${c.green("ok")}: docs for ${plural(results.length, "flow")} in ${options.out} (${written.length} written, ${unchanged.length} unchanged${removed.length > 0 ? `, ${removed.length} removed` : ""}) in ${elapsed(started)} ms; start at ${options.out.replace(/\/+$/, "")}/${start}\n`,
  );
  return EXIT.ok;
}
