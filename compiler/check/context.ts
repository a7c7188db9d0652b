import type { Span } from "../ast.js";
import { diagnostic, type Diagnostic, type DiagnosticCode, type DiagnosticInput } from "../diagnostics.js";

type Extras = Omit<DiagnosticInput, "message" | "file" | "span">;

/** Collects the diagnostics of one file while the checker walks it. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly file: string) {}

  report(code: DiagnosticCode, span: Span, message: string, extras: Extras = {}): void {
    this.diagnostics.push(diagnostic(code, { message, file: this.file, span, ...extras }));
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }
}

/** The first few names of a list, for "has: a, b, c" notes. */
export function listNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown}, … (${names.length} in all)` : shown;
}

/** A span covering the first `length` characters of another (e.g. a block keyword). */
export function headOf(span: Span, length: number): Span {
  const end = Math.min(span.end, span.start + length);
  return { ...span, end, endLine: span.line, endColumn: span.column + (end - span.start) };
}
