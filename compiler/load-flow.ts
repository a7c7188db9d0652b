import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FlowModule } from "../runtime/types.js";
import { evaluateModule } from "./examples.js";
import { resolveFlowFile, UsageError } from "./files.js";
import type { RunCompilation } from "./compile-for-run.js";
import type { FileResult } from "./project.js";
import type { Diagnostic } from "./diagnostics.js";
import { PROJECT_SYSTEMS_DIR } from "./systems.js";
import { readSpecFolder } from "../connectors/spec/load-systems.js";

/** A flow ready to run; `module` is undefined when the file has errors (see `result.diagnostics`). */
export interface LoadedFlow {
  readonly file: string;
  readonly result: FileResult | undefined;
  /** The project's spec files that have errors (the flow is then not compiled). */
  readonly specs: readonly FileResult[];
  readonly module: FlowModule | undefined;
}

/**
 * What a compiled flow depends on besides its text: ferry's version and the code of the compiler
 * that made it (its parser, checker, emitter and the connector catalogs it checks against), by
 * content. Content, not file times: a reinstall, a copy or a checkout changes times without
 * changing code, and a patched build can keep a version number. Hashed once per process (87 files,
 * about half a megabyte: a few milliseconds).
 */
let stamp: string | undefined;
export function ferryStamp(): string {
  const here = fileURLToPath(import.meta.url);
  // The folder holding compiler/, grammar/ and connectors/ (dist/ when built); .js files when
  // built, .ts when run from the sources.
  return (stamp ??= codeStamp(dirname(dirname(here)), extname(here)));
}

/** The stamp of the compiler code under `root`: its `ext` files in compiler/, grammar/, connectors/, and ferry's version. */
export function codeStamp(root: string, ext: string): string {
  const hash = createHash("sha256").update(`ferry ${packageVersion(root)}\u0000`);
  for (const dir of ["compiler", "grammar", "connectors"]) {
    for (const file of codeFiles(join(root, dir), ext)) hash.update(`${relative(root, file)}\u0000`).update(readFileSync(file)).update("\u0000");
  }
  return hash.digest("hex").slice(0, 16);
}

function codeFiles(dir: string, ext: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .flatMap((e) => (e.isDirectory() ? codeFiles(join(dir, e.name), ext) : e.name.endsWith(ext) && !e.name.endsWith(`.d${ext}`) ? [join(dir, e.name)] : []))
    .sort();
}

/** The version in ferry's package.json (the first one found above the compiler's folder). */
function packageVersion(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "ferry") return String(pkg.version);
    } catch {
      // no package.json here
    }
    if (dirname(dir) === dir) return "unknown";
  }
}

/**
 * Reads, checks and compiles one flow for running (`ferry run`, `ferry replay`). A flow compiled
 * before is loaded from `cacheDir`, keyed by its text and ferry's code (see ferryStamp), not by the
 * path it was named by: the same flow run from another folder is found. The module gets the file
 * name as given this time, so its messages name the file as the user typed it.
 *
 * Compiling needs TypeScript (see compile): a run that compiled its flow streams records in as
 * little memory as one that found it in the cache. `result` carries the check's diagnostics (and
 * no model) when the flow was compiled now; it is undefined for a flow found in the cache.
 */
export async function loadFlow(pathOrName: string, cwd: string, cacheDir?: string): Promise<LoadedFlow> {
  const { file, outName } = resolveFlowFile(pathOrName, cwd);
  let bytes: Buffer;
  try {
    bytes = readFileSync(resolve(cwd, file));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The project's own specs are part of what the flow was checked against.
  const specs = createHash("sha256");
  for (const f of readSpecFolder(PROJECT_SYSTEMS_DIR, cwd)) specs.update(`${f.path}\u0000${f.text}\u0000`);
  const key = createHash("sha256").update(`${ferryStamp()}\u0000${specs.digest("hex")}\u0000`).update(bytes).digest("hex").slice(0, 40);
  const cached = cacheDir ? join(cacheDir, `${key}.js`) : undefined;
  if (cached) {
    try {
      const module = evaluateModule(readFileSync(cached, "utf8"));
      // An empty or cut-off file (a crash while a cache was copied) evaluates to nothing usable.
      if (isFlowModule(module)) return { file, result: undefined, specs: [], module: named(module, file) };
    } catch {
      // not cached yet (or unreadable): compile below
    }
  }
  const compiled = await compile(file, bytes, cwd);
  if (compiled.specTexts) {
    // The project's spec files have errors: they are what to report, each file with its text.
    const byFile = new Map<string, Diagnostic[]>();
    for (const d of compiled.diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
    const specResults = [...byFile].map(([spec, diagnostics]): FileResult => ({ file: spec, outName: "", text: compiled.specTexts?.[spec], model: undefined, diagnostics }));
    return { file, result: undefined, specs: specResults, module: undefined };
  }
  const result: FileResult = { file, outName, text: compiled.text, model: undefined, diagnostics: compiled.diagnostics };
  const js = compiled.js;
  if (js === undefined) return { file, result, specs: [], module: undefined };
  if (cached && cacheDir) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      // Written aside and renamed, so a concurrent run never reads half a file.
      const part = `${cached}.${process.pid}.part`;
      writeFileSync(part, js);
      renameSync(part, cached);
    } catch {
      // A read-only state folder only costs the next run a compile.
    }
  }
  return { file, result, specs: [], module: named(evaluateModule(js), file) };
}

/**
 * Compiles a flow for a run. Built, in a child process: the run's process never loads TypeScript
 * (about 100 MB that would stay with it for every record it streams; a heap that held it stays
 * larger even once it is released). From the sources (ferry's own tests), in this process, which
 * releases TypeScript when done: the same compilation, without a build to run as a child.
 */
async function compile(file: string, bytes: Uint8Array, cwd: string): Promise<RunCompilation> {
  const child = fileURLToPath(new URL("./compile-child.js", import.meta.url));
  if (extname(fileURLToPath(import.meta.url)) !== ".js" || !existsSync(child)) {
    const { compileForRun } = await import("./compile-for-run.js");
    return compileForRun(file, bytes, cwd);
  }
  const { stdout, stderr, code } = await runChild(child, [file], bytes, cwd);
  const line = stdout.trim().split("\n").at(-1) ?? "";
  try {
    if (code === 0) return JSON.parse(line) as RunCompilation;
  } catch {
    // reported below
  }
  throw new Error(`compiling ${file} failed (exit ${code ?? "by signal"}): ${stderr.trim().split("\n").slice(-5).join(" / ") || "no output"}`);
}

function runChild(script: string, args: readonly string[], input: Uint8Array, cwd: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolveRun, reject) => {
    // The child reads the project's systems/ folder relative to its working folder: the flow's.
    const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"], cwd });
    child.stdin.on("error", () => undefined); // a child that dies early is reported by its exit code
    child.stdin.end(input);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-16_384)));
    child.once("error", reject);
    child.once("close", (code) => resolveRun({ stdout, stderr, code }));
  });
}

/**
 * A module whose spec names `file`: a cached module was compiled for whoever ran the flow first,
 * from wherever they ran it. The generated code reads `spec.file` when it words a message.
 */
function named(module: FlowModule, file: string): FlowModule {
  (module.spec as { file: string }).file = file;
  return module;
}

/** Whether an evaluated module has what the runtime calls: a spec and the generated functions. */
function isFlowModule(module: Partial<FlowModule> | undefined): module is FlowModule {
  return (
    typeof module === "object" &&
    module !== null &&
    typeof module.spec === "object" &&
    module.spec !== null &&
    typeof module.spec.name === "string" &&
    typeof module.map === "function" &&
    typeof module.check === "function" &&
    typeof module.params === "function" &&
    typeof module.lookupKeys === "function"
  );
}
