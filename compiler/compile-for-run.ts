import type { Diagnostic } from "./diagnostics.js";

/** What compiling a flow for a run gives: the check's diagnostics (and the text they point into), and the module's JavaScript when it checks clean. */
export interface RunCompilation {
  readonly text: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** CommonJS JavaScript of the generated module; undefined when the flow has errors. */
  readonly js: string | undefined;
  /** When the project's spec files have errors: their texts, for the diagnostics' code frames. */
  readonly specTexts?: Readonly<Record<string, string>>;
}

/**
 * Checks one flow (the bytes of `file`) and, when it is clean, emits and transpiles its module.
 * TypeScript is loaded for this and released before it returns (see releaseTsMorph), whichever
 * process it runs in.
 */
export async function compileForRun(file: string, bytes: Uint8Array, cwd: string = process.cwd()): Promise<RunCompilation> {
  const { checkBytes } = await import("./compile.js");
  const { projectSystems } = await import("./systems.js");
  const systems = projectSystems(cwd);
  // A flow of a project whose own specs are wrong is not run: their diagnostics say why.
  if (systems.diagnostics.some((d) => d.severity === "error")) return { text: undefined, diagnostics: systems.diagnostics, js: undefined, specTexts: Object.fromEntries(systems.texts) };
  const result = checkBytes(bytes, file, systems.catalogs);
  if (!result.model) return { text: result.text, diagnostics: result.diagnostics, js: undefined };
  const { emitModule } = await import("./emit/module.js");
  const { transpileModule } = await import("./examples.js");
  const { releaseTsMorph } = await import("./ts-morph.js");
  try {
    return { text: result.text, diagnostics: result.diagnostics, js: transpileModule(emitModule(result.model)) };
  } finally {
    releaseTsMorph();
  }
}
