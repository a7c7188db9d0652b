/**
 * Reads the system specs: ferry's built-in ones under its own systems/ folder, then a project's
 * systems/ folder, which can add systems and extend built-in ones. Every problem is reported with
 * where it was written; a system whose spec has errors is left out (its flows then report the
 * system as unknown, after the spec's own errors).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConnectorCatalog } from "../catalog.js";
import { SpecFile, type SpecProblem } from "./spec-file.js";
import { CatalogBuilder, originText, type SpecDocument } from "./to-catalog.js";
import { validateSpec } from "./validate.js";

/** ferry's own systems/ folder. */
export const BUILTIN_SYSTEMS_DIR = fileURLToPath(new URL(`${import.meta.url.includes("/dist/") ? "../../../" : "../../"}systems/`, import.meta.url));

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

/** Builds the catalogs of `layers` in order: each layer's new systems, then its extensions. */
function build(layers: readonly ParsedSpec[][], problems: SpecProblem[]): ConnectorCatalog[] {
  const catalogs: ConnectorCatalog[] = [];
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

let builtins: { readonly parsed: ParsedSpec[]; readonly problems: SpecProblem[]; readonly texts: Map<string, string> } | undefined;

/** The built-in specs, parsed once per process. */
function builtinSpecs(): NonNullable<typeof builtins> {
  if (!builtins) {
    const problems: SpecProblem[] = [];
    const texts = new Map<string, string>();
    const files = specFiles(BUILTIN_SYSTEMS_DIR).map((path) => ({ path, text: readFileSync(path, "utf8") }));
    builtins = { parsed: parseAll(files, problems, texts), problems, texts };
  }
  return builtins;
}

/**
 * The systems ferry knows: its built-in specs, extended by the spec files given (a project's
 * systems/ folder, read by {@link readSpecFolder}). Paths in problems and origins are as given.
 */
export function loadSystems(projectFiles: readonly { readonly path: string; readonly text: string }[] = []): LoadedSystems {
  const base = builtinSpecs();
  const problems: SpecProblem[] = [...base.problems];
  const texts = new Map(base.texts);
  const project = parseAll(projectFiles, problems, texts);
  const catalogs = build([base.parsed, project], problems);
  return { catalogs, problems, texts };
}

/** The spec files of a project's systems/ folder (`dir` as the user names it, e.g. "systems"), with their text. */
export function readSpecFolder(dir: string, cwd: string): { readonly path: string; readonly text: string }[] {
  return specFiles(join(cwd, dir)).map((full) => ({ path: join(dir, full.slice(join(cwd, dir).length + 1)), text: readFileSync(full, "utf8") }));
}
