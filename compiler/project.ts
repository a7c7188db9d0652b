import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { checkBytes } from "./compile.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { emitModule, type EmitOptions } from "./emit/module.js";
import type { FlowModel } from "./model.js";
import { loadModule } from "./examples.js";
import type { FlowModule } from "../runtime/types.js";

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

/** A path argument that is not there or holds no `.map` file: a usage problem, not a mapping one. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const ORIGIN = { start: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };

/**
 * The `.map` files named by paths: files as given, folders searched recursively (sorted, so output
 * order is stable). Throws UsageError for a missing path or a folder without `.map` files.
 */
export function findMapFiles(paths: readonly string[], cwd: string): { file: string; outName: string }[] {
  const found: { file: string; outName: string }[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let stat;
    try {
      stat = statSync(abs);
    } catch {
      throw new UsageError(`no such file or folder: ${p}`);
    }
    if (stat.isFile()) {
      found.push({ file: display(abs, cwd), outName: basename(abs).replace(/\.map$/, "") });
      continue;
    }
    const inFolder = walk(abs).filter((f) => f.endsWith(".map"));
    if (inFolder.length === 0) throw new UsageError(`no .map files in ${p}`);
    for (const f of inFolder) found.push({ file: display(f, cwd), outName: relative(abs, f).replace(/\.map$/, "") });
  }
  const unique = new Map(found.map((f) => [f.file, f]));
  return [...unique.values()];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function display(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel.startsWith("..") ? abs : rel.split("\\").join("/");
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

/** A flow ready to run: its checked model and its loaded module. */
export interface LoadedFlow {
  readonly result: FileResult;
  readonly module: FlowModule | undefined;
}

/**
 * Reads, checks and compiles one `.map` file in memory (what `ferry run` runs). `pathOrName` is a
 * `.map` path, or the name of a flow found in the `mappings/` folder.
 */
export function loadFlow(pathOrName: string, cwd: string): LoadedFlow {
  const file = resolveFlowFile(pathOrName, cwd);
  const [result] = checkFiles([file], cwd);
  if (!result) throw new UsageError(`cannot read ${pathOrName}`);
  return { result, module: result.model ? loadModule(emitModule(result.model)) : undefined };
}

function resolveFlowFile(pathOrName: string, cwd: string): { file: string; outName: string } {
  const abs = resolve(cwd, pathOrName);
  try {
    if (statSync(abs).isFile()) return { file: display(abs, cwd), outName: basename(abs).replace(/\.map$/, "") };
  } catch {
    // not a path: look for a flow of that name below
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(pathOrName)) {
    let candidates: { file: string; outName: string }[] = [];
    try {
      candidates = findMapFiles(["mappings"], cwd);
    } catch {
      candidates = [];
    }
    const named = new RegExp(`^\\s*mapping\\s+${pathOrName}\\b`, "m");
    const hit = candidates.find((c) => named.test(readFileSync(resolve(cwd, c.file), "utf8")));
    if (hit) return hit;
  }
  throw new UsageError(`no such flow: ${pathOrName} (give a .map file, or the name of a flow in mappings/)`);
}
