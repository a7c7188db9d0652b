/**
 * The systems a check runs against: ferry's built-in specs, and a project's own `systems/` folder
 * beside them. Problems in a project's spec files are diagnostics like a `.map` file's, with a code
 * frame in the spec file and a "did you mean" where a name was misspelt.
 */
import { createHash } from "node:crypto";
import type { ConnectorCatalog, Origin } from "../connectors/catalog.js";
import { loadSystems, readSpecFolder } from "../connectors/spec/load-systems.js";
import type { SpecProblem } from "../connectors/spec/spec-file.js";
import type { Span } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { didYouMean } from "./suggest.js";

/** A project keeps its own specs here, relative to its folder. */
export const PROJECT_SYSTEMS_DIR = "systems";

export interface Systems {
  readonly catalogs: readonly ConnectorCatalog[];
  /** Problems of the spec files read, as diagnostics (empty for ferry's own, which are checked when built). */
  readonly diagnostics: readonly Diagnostic[];
  /** The text of each spec file with diagnostics, for code frames. */
  readonly texts: ReadonlyMap<string, string>;
  /** Identifies the project's spec files by content: a compiled flow depends on them. */
  readonly stamp: string;
}

/** The systems of a project in `cwd`: the built-in specs and the project's `systems/` folder. */
export function projectSystems(cwd: string): Systems {
  const files = readSpecFolder(PROJECT_SYSTEMS_DIR, cwd);
  const loaded = loadSystems(files);
  const stamp = createHash("sha256");
  for (const f of files) stamp.update(`${f.path}\u0000${f.text}\u0000`);
  return {
    catalogs: loaded.catalogs,
    diagnostics: loaded.problems.map((p) => specDiagnostic(p)),
    texts: new Map(files.map((f) => [f.path, f.text])),
    stamp: stamp.digest("hex").slice(0, 16),
  };
}

let builtins: Systems | undefined;

/** ferry's built-in systems alone (what a single text is checked against when no project is given). */
export function builtinSystems(): Systems {
  builtins ??= { catalogs: loadSystems().catalogs, diagnostics: [], texts: new Map(), stamp: "" };
  return builtins;
}

/** A spec problem as a diagnostic; a misspelt name gets its "did you mean". */
export function specDiagnostic(problem: SpecProblem): Diagnostic {
  const hint = problem.got !== undefined && problem.expected && problem.expected.length > 0 ? didYouMean(problem.got, problem.expected) : undefined;
  return diagnostic(problem.code, {
    message: problem.message,
    file: problem.file,
    span: problem.span,
    label: problem.label,
    hint,
    notes: problem.notes,
    ...(problem.severity ? { severity: problem.severity } : {}),
  });
}

/** A definition's place as a span, for "defined here" notes. */
export function originSpan(origin: Origin): Span {
  return { start: 0, end: 0, line: origin.line, column: origin.column, endLine: origin.line, endColumn: origin.column };
}

/** "defined in systems/kingdee.yaml" notes point at ferry's built-ins by a short name. */
export function originFile(origin: Origin, cwd?: string): string {
  const builtin = origin.file.match(/[/\\]systems[/\\]([^/\\]+\.ya?ml)$/);
  if (cwd && origin.file.startsWith(cwd)) return origin.file.slice(cwd.length).replace(/^[/\\]/, "");
  return builtin && !origin.file.startsWith(PROJECT_SYSTEMS_DIR) ? `ferry/systems/${builtin[1]}` : origin.file;
}

/**
 * A note saying where a list of fields was defined, so a field a tenant added can be looked for in
 * the right file: `fields from systems/kingdee.yaml:35 (a project adds its own in systems/)`.
 */
export function definedIn(fields: readonly { readonly origin?: Origin }[] | undefined): string[] {
  const origin = fields?.find((f) => f.origin)?.origin;
  if (!origin) return [];
  const files = [...new Set((fields ?? []).map((f) => f.origin?.file).filter((f): f is string => f !== undefined))].map((file) => originFile({ file, line: 0, column: 0 }));
  return [`fields defined in ${files.join(" and ")} (from line ${origin.line}); a project adds its own fields in its systems/ folder`];
}
