import type { Diagnostic } from "./diagnostics.js";

/** What compiling a flow for a run gives: the check's diagnostics (and the text they point into), and the module's JavaScript when it checks clean. */
export interface RunCompilation {
  readonly text: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** CommonJS JavaScript of the generated module; undefined when the flow has errors. */
  readonly js: string | undefined;
}

/**
 * Checks one flow (the bytes of `file`) and, when it is clean, emits and transpiles its module.
 * TypeScript is loaded for this and released before it returns (see releaseTsMorph), whichever
 * process it runs in.
 */
export async function compileForRun(file: string, bytes: Uint8Array): Promise<RunCompilation> {
  const { checkBytes } = await import("./compile.js");
  const result = checkBytes(bytes, file);
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
