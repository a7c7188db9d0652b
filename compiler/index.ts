/**
 * ferry's compiler: `.map` text → checked model → TypeScript module, with coded diagnostics.
 */
export { checkSource, checkBytes, compileSource, type CompileResult } from "./compile.js";
export { emitModule, flowSpec, type EmitOptions } from "./emit/module.js";
export { runExamples, loadModule, compare, EXAMPLE_NOW, type ExampleResult, type FieldDifference } from "./examples.js";
export { DIAGNOSTICS, hasErrors, sortDiagnostics, isDiagnosticCode, type Diagnostic, type DiagnosticCode, type Severity } from "./diagnostics.js";
export { renderDiagnostic, renderSummary, renderExplanation, toJson, type DiagnosticJson, type RenderOptions } from "./render.js";
export type { FlowModel, FieldModel } from "./model.js";
export type { Span } from "./ast.js";
