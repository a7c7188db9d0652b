import type { ConnectorCatalog } from "../connectors/catalog.js";
import { checkMapFile } from "./check.js";
import { sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { emitModule, type EmitOptions } from "./emit/module.js";
import type { FlowModel } from "./model.js";
import { decodeMapFile, parseMapFile } from "./parse.js";

export interface CompileResult {
  /** The checked flow; undefined when the file has errors. */
  readonly model: FlowModel | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Missing blocks, fields and settings: after a syntax error they are usually the part that did not parse. */
const ECHOES_OF_SYNTAX_ERRORS: ReadonlySet<string> = new Set(["MAP2013", "MAP2008", "MAP3009"]);

/** Parses and checks one `.map` text against `systems` (default: ferry's built-in ones). Never throws on bad input. */
export function checkSource(text: string, file: string, systems?: readonly ConnectorCatalog[]): CompileResult {
  const parsed = parseMapFile(text, file);
  const checked = checkMapFile(parsed.value, file, systems);
  const syntaxErrors = parsed.diagnostics.some((d) => d.severity === "error");
  // After syntax errors the tree is partial: its semantic errors would mostly be echoes.
  const semantic = syntaxErrors ? checked.diagnostics.filter((d) => !ECHOES_OF_SYNTAX_ERRORS.has(d.code)) : checked.diagnostics;
  return {
    model: syntaxErrors ? undefined : checked.value,
    diagnostics: sortDiagnostics([...parsed.diagnostics, ...semantic]),
  };
}

/** Decodes, parses and checks one `.map` file's bytes. */
export function checkBytes(bytes: Uint8Array, file: string, systems?: readonly ConnectorCatalog[]): CompileResult & { readonly text: string | undefined } {
  const decoded = decodeMapFile(bytes, file);
  if (decoded.value === undefined) return { model: undefined, diagnostics: decoded.diagnostics, text: undefined };
  return { ...checkSource(decoded.value, file, systems), text: decoded.value };
}

/** The TypeScript module of a `.map` text, or the diagnostics that prevent it. */
export function compileSource(text: string, file: string, options: EmitOptions = {}, systems?: readonly ConnectorCatalog[]): CompileResult & { readonly code: string | undefined } {
  const checked = checkSource(text, file, systems);
  return { ...checked, code: checked.model ? emitModule(checked.model, options) : undefined };
}
