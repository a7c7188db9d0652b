import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { checkBytes } from "./compile.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { emitModule, type EmitOptions } from "./emit/module.js";
import type { FlowModel } from "./model.js";
import { display } from "./files.js";

export { findMapFiles, UsageError } from "./files.js";

const ORIGIN = { start: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };

/** One `.map` file and what the compiler made of it. */
export interface FileResult {
  /** The path as the user gave it (relative to the working folder when under it). */
  readonly file: string;
  /** Where generated output for it goes, relative to the output folder. */
  readonly outName: string;
  readonly text: string | undefined;
  readonly model: FlowModel | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Reads, parses and checks each file. */
export function checkFiles(files: readonly { file: string; outName: string }[], cwd: string): FileResult[] {
  return files.map(({ file, outName }) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(resolve(cwd, file));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { file, outName, text: undefined, model: undefined, diagnostics: [diagnostic("MAP4002", { message: `cannot read the file: ${reason}`, file, span: ORIGIN })] };
    }
    const result = checkBytes(bytes, file);
    return { file, outName, text: result.text, model: result.model, diagnostics: result.diagnostics };
  });
}

/** Writes one TypeScript module per checked file into `outDir`; returns the paths written and any write errors. */
export function writeModules(results: readonly FileResult[], outDir: string, cwd: string, options: EmitOptions = {}): { written: string[]; diagnostics: Diagnostic[] } {
  const written: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const taken = new Map<string, string>();
  for (const r of results) {
    if (!r.model) continue;
    const target = resolve(cwd, outDir, `${r.outName}.ts`);
    const other = taken.get(target);
    if (other) {
      diagnostics.push(diagnostic("MAP4002", { message: `${r.file} and ${other} would both be written to ${display(target, cwd)}`, file: r.file, span: ORIGIN, hint: "rename one of them" }));
      continue;
    }
    taken.set(target, r.file);
    try {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, emitModule(r.model, options));
      written.push(display(target, cwd));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      diagnostics.push(diagnostic("MAP4002", { message: `cannot write ${display(target, cwd)}: ${reason}`, file: r.file, span: ORIGIN }));
    }
  }
  return { written, diagnostics };
}

