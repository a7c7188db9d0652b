import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { checkBytes } from "./compile.js";
import { diagnostic, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { projectSystems, type Systems } from "./systems.js";
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

/**
 * Reads, parses and checks each file against the project's systems (ferry's built-in specs and the
 * project's systems/ folder), and that no two files declare the same flow. A spec file with
 * problems comes first, as a result of its own: its mistakes explain the flows' that follow.
 */
export function checkFiles(files: readonly { file: string; outName: string }[], cwd: string, systems: Systems = projectSystems(cwd)): FileResult[] {
  return [...specResults(systems), ...checkFlows(files, cwd, systems.catalogs)];
}

/** One result per spec file with diagnostics. */
function specResults(systems: Systems): FileResult[] {
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of systems.diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  return [...byFile].map(([file, diagnostics]) => ({ file, outName: "", text: systems.texts.get(file), model: undefined, diagnostics: sortDiagnostics(diagnostics) }));
}

function checkFlows(files: readonly { file: string; outName: string }[], cwd: string, catalogs: Systems["catalogs"]): FileResult[] {
  return withUniqueNames(files.map(({ file, outName }) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(resolve(cwd, file));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { file, outName, text: undefined, model: undefined, diagnostics: [diagnostic("MAP4002", { message: `cannot read the file: ${reason}`, file, span: ORIGIN })] };
    }
    const result = checkBytes(bytes, file, catalogs);
    return { file, outName, text: result.text, model: result.model, diagnostics: result.diagnostics };
  }));
}

/**
 * A flow's name keys its write record, checkpoint and dead letters: a second file with the same name
 * would skip the rows the first one wrote. Every file after the first with a name gets MAP2027 and
 * no model, so it is neither built nor run.
 */
function withUniqueNames(results: FileResult[]): FileResult[] {
  const first = new Map<string, FileResult>();
  return results.map((r) => {
    if (!r.model) return r;
    const owner = first.get(r.model.name);
    if (!owner) {
      first.set(r.model.name, r);
      return r;
    }
    const span = mappingSpan(r.text ?? "", r.model.name);
    const clash = diagnostic("MAP2027", {
      message: `flow \`${r.model.name}\` is already declared by ${owner.file}`,
      file: r.file,
      span,
      hint: "give each flow its own `mapping` name",
      related: [{ message: "first declared here", file: owner.file, span: mappingSpan(owner.text ?? "", r.model.name) }],
    });
    return { ...r, model: undefined, diagnostics: [...r.diagnostics, clash] };
  });
}

/** Where `mapping <name>` sits in a file's text (the file's start when it cannot be found). */
function mappingSpan(text: string, name: string): typeof ORIGIN {
  const found = /^([ \t]*mapping[ \t]+)`?([^\s`"]+)/m.exec(text);
  if (!found || found[2] !== name) return ORIGIN;
  const start = found.index + (found[1]?.length ?? 0);
  const before = text.slice(0, start);
  const line = before.split("\n").length;
  const column = start - (before.lastIndexOf("\n") + 1) + 1;
  return { start, end: start + name.length, line, column, endLine: line, endColumn: column + name.length };
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

