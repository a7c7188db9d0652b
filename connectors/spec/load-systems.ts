/**
 * Reads the system specs: ferry's built-in ones under its own systems/ folder, then a project's
 * systems/ folder, which can add systems and extend built-in ones. Every problem is reported with
 * where it was written; a system whose spec has errors is left out (its flows then report the
 * system as unknown, after the spec's own errors).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConnectorCatalog } from "../catalog.js";
import { SpecFile, type SpecProblem } from "./spec-file.js";
import { CatalogBuilder, originText, type SpecDocument } from "./to-catalog.js";
import { validateSpec } from "./validate.js";

const FERRY_ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../../" : "../../", import.meta.url));

/** ferry's own systems/ folder. */
export const BUILTIN_SYSTEMS_DIR = join(FERRY_ROOT, "systems");

/**
 * The built-in specs, already checked and converted, written by `npm run build`: parsing 2,000
 * lines of YAML and compiling the schema costs more than a whole `ferry check` may take. Used only
 * while it matches the spec files byte for byte.
 */
export const BUILTIN_CACHE_FILE = join(FERRY_ROOT, "dist", "systems", "builtin.json");
const DIR_MARK = "<ferry-systems>";

const SPEC_FILE = /\.(ya?ml|json)$/;
const SCHEMA_FILE = "system.schema.json";

export interface LoadedSystems {
  /** Every system whose spec has no errors, built-in ones first, each in file-name order. */
  readonly catalogs: readonly ConnectorCatalog[];
  readonly problems: readonly SpecProblem[];
  /** The text of every spec file read, by path (for code frames). */
  readonly texts: ReadonlyMap<string, string>;
}

interface ParsedSpec {
  readonly spec: SpecFile;
  readonly doc: SpecDocument;
}

/** The spec files of a folder, sorted; none when it does not exist. */
function specFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return [];
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => SPEC_FILE.test(n) && n !== SCHEMA_FILE)
    .sort()
    .map((n) => join(dir, n));
}

function parseAll(files: readonly { readonly path: string; readonly text: string }[], problems: SpecProblem[], texts: Map<string, string>): ParsedSpec[] {
  const parsed: ParsedSpec[] = [];
  for (const { path, text } of files) {
    texts.set(path, text);
    const { spec, value, problems: yamlProblems } = SpecFile.parse(path, text);
    if (yamlProblems.length > 0) {
      problems.push(...yamlProblems);
      continue;
    }
    const schemaProblems = validateSpec(spec, value);
    if (schemaProblems.length > 0) {
      problems.push(...schemaProblems);
      continue;
    }
    parsed.push({ spec, doc: value as SpecDocument });
  }
  return parsed;
}

/** Builds the catalogs of `layers` in order over `base`: each layer's new systems, then its extensions. */
function build(base: readonly ConnectorCatalog[], layers: readonly ParsedSpec[][], problems: SpecProblem[]): ConnectorCatalog[] {
  const catalogs: ConnectorCatalog[] = [...base];
  const failed = new Set<string>();
  for (const layer of layers) {
    for (const { spec, doc } of layer) {
      if (doc.system === undefined) continue;
      const earlier = catalogs.find((c) => c.name === doc.system);
      if (earlier) {
        problems.push({
          code: "MAP5004",
          message: `system \`${doc.system}\` is already defined in ${originText(earlier.origin)}`,
          file: spec.file,
          span: spec.locate(["system"]),
          label: "defined twice",
          notes: ["to add operations, forms or fields to it, write `extends: " + doc.system + "` instead of `system:`"],
        });
        continue;
      }
      const before = problems.length;
      const catalog = new CatalogBuilder(spec, problems).system(doc);
      if (catalog && !problems.slice(before).some((p) => (p.severity ?? "error") === "error")) catalogs.push(catalog);
      else failed.add(doc.system);
    }
    for (const { spec, doc } of layer) {
      if (doc.extends === undefined) continue;
      const at = catalogs.findIndex((c) => c.name === doc.extends);
      if (at < 0) {
        // A base whose own spec failed is already reported; saying it is unknown would mislead.
        if (failed.has(doc.extends)) continue;
        problems.push({
          code: "MAP5003",
          message: `\`extends: ${doc.extends}\` names no system ferry knows`,
          file: spec.file,
          span: spec.locate(["extends"]),
          label: "unknown system",
          got: doc.extends,
          expected: catalogs.map((c) => c.name),
        });
        continue;
      }
      const before = problems.length;
      const extended = new CatalogBuilder(spec, problems).extend(catalogs[at]!, doc);
      if (!problems.slice(before).some((p) => (p.severity ?? "error") === "error")) catalogs[at] = extended;
    }
  }
  return catalogs;
}

interface Builtins {
  readonly catalogs: readonly ConnectorCatalog[];
  readonly problems: readonly SpecProblem[];
  readonly texts: ReadonlyMap<string, string>;
}

let builtins: Builtins | undefined;

function builtinFiles(): { readonly path: string; readonly text: string }[] {
  return specFiles(BUILTIN_SYSTEMS_DIR).map((path) => ({ path, text: readFileSync(path, "utf8") }));
}

/** Identifies the spec files' content (and the schema's), so a stale cache is never used. */
function cacheKey(files: readonly { readonly path: string; readonly text: string }[]): string {
  const hash = createHash("sha256");
  for (const f of files) hash.update(`${f.path.slice(BUILTIN_SYSTEMS_DIR.length)}\u0000${f.text}\u0000`);
  hash.update(readFileSync(join(BUILTIN_SYSTEMS_DIR, SCHEMA_FILE), "utf8"));
  return hash.digest("hex");
}

/** The built-in specs, from the cache when it is current, parsed otherwise; once per process. */
function builtinSpecs(): Builtins {
  if (builtins) return builtins;
  const files = builtinFiles();
  const texts = new Map(files.map((f) => [f.path, f.text]));
  const key = cacheKey(files);
  try {
    const cached = JSON.parse(readFileSync(BUILTIN_CACHE_FILE, "utf8").replaceAll(DIR_MARK, JSON.stringify(BUILTIN_SYSTEMS_DIR).slice(1, -1))) as { key?: string; catalogs?: ConnectorCatalog[] };
    if (cached.key === key && Array.isArray(cached.catalogs)) return (builtins = { catalogs: cached.catalogs, problems: [], texts });
  } catch {
    // no cache, or a damaged one: parse below
  }
  const problems: SpecProblem[] = [];
  const catalogs = build([], [parseAll(files, problems, new Map())], problems);
  return (builtins = { catalogs, problems, texts });
}

/** The built-in specs parsed from their YAML, never from the cache (for tests and the cache writer). */
export function parseBuiltinSpecs(): { readonly catalogs: readonly ConnectorCatalog[]; readonly problems: readonly SpecProblem[] } {
  const problems: SpecProblem[] = [];
  return { catalogs: build([], [parseAll(builtinFiles(), problems, new Map())], problems), problems };
}

/**
 * Writes the built-in specs' cache (`npm run build` runs it). Returns the problems of the built-in
 * specs: with any, no cache is written and the build fails.
 */
export function writeBuiltinCache(): readonly SpecProblem[] {
  const files = builtinFiles();
  const { catalogs, problems } = parseBuiltinSpecs();
  if (problems.length > 0) return problems;
  const text = JSON.stringify({ key: cacheKey(files), catalogs }).replaceAll(JSON.stringify(BUILTIN_SYSTEMS_DIR).slice(1, -1), DIR_MARK);
  mkdirSync(dirname(BUILTIN_CACHE_FILE), { recursive: true });
  const part = `${BUILTIN_CACHE_FILE}.${process.pid}.part`;
  writeFileSync(part, text);
  renameSync(part, BUILTIN_CACHE_FILE);
  builtins = undefined;
  return [];
}

/**
 * The systems ferry knows: its built-in specs, extended by the spec files given (a project's
 * systems/ folder, read by {@link readSpecFolder}). Paths in problems and origins are as given.
 */
export function loadSystems(projectFiles: readonly { readonly path: string; readonly text: string }[] = []): LoadedSystems {
  const base = builtinSpecs();
  const problems: SpecProblem[] = [...base.problems];
  const texts = new Map(base.texts);
  if (projectFiles.length === 0) return { catalogs: base.catalogs, problems, texts };
  const project = parseAll(projectFiles, problems, texts);
  const catalogs = build(base.catalogs, [project], problems);
  return { catalogs, problems, texts };
}

/**
 * The spec files of a project's systems/ folder (`dir` as the user names it, e.g. "systems"), with
 * their text. ferry's own folder is not a project's: run from ferry's checkout, there is none.
 */
export function readSpecFolder(dir: string, cwd: string): { readonly path: string; readonly text: string }[] {
  const folder = join(cwd, dir);
  if (sameFolder(folder, BUILTIN_SYSTEMS_DIR)) return [];
  return specFiles(folder).map((full) => ({ path: join(dir, full.slice(folder.length + 1)), text: readFileSync(full, "utf8") }));
}

function sameFolder(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
