import { jsonata } from "../runtime/lazy.js";
import * as runtime from "../runtime/index.js";
import { evaluateJsonata } from "../runtime/jsonata-values.js";
import { reasonOf } from "../runtime/run/map-record.js";
import type { FlowModule, MapContext } from "../runtime/types.js";
import type { ExampleModel, FlowModel, JsonValue } from "./model.js";
import { emitModule } from "./emit/module.js";
import { tsMorph } from "./ts-morph.js";

/** A field whose computed value differs from the example's `out`. */
export interface FieldDifference {
  readonly field: string;
  /** undefined: the field is absent. */
  readonly expected: unknown;
  readonly actual: unknown;
}

export interface ExampleResult {
  readonly name: string;
  readonly line: number;
  readonly passed: boolean;
  readonly differences: readonly FieldDifference[];
  /** The row could not be mapped (the message names the field). */
  readonly error?: string;
  /** `check` rules the mapped row fails. */
  readonly checkFailures: readonly string[];
}

/** The instant `now()` reads in examples, so they give the same result every day. */
export const EXAMPLE_NOW = "2024-01-01 00:00:00";

/**
 * Loads generated TypeScript as a live module. The code is ferry's own output (every `.map` string in
 * it went through JSON.stringify); it is transpiled and given the runtime as its only import.
 */
export function loadModule(code: string): FlowModule {
  return evaluateModule(transpileModule(code));
}

/** Generated TypeScript as CommonJS JavaScript (types erased). Loads TypeScript on first use. */
export function transpileModule(code: string): string {
  const { ts } = tsMorph();
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
}

/** Runs transpiled module code with the runtime as its only import. */
export function evaluateModule(js: string): FlowModule {
  const exports: Record<string, unknown> = {};
  const require = (id: string): unknown => {
    if (id === "ferry/runtime") return runtime;
    throw new Error(`generated module imports ${id}`);
  };
  new Function("require", "exports", js)(require, exports);
  return exports as unknown as FlowModule;
}

/** Runs every example of a checked flow through its generated transform. */
export async function runExamples(model: FlowModel): Promise<ExampleResult[]> {
  const flow = loadModule(emitModule(model));
  const results: ExampleResult[] = [];
  for (const example of model.examples) results.push(await runExample(flow, example));
  return results;
}

async function runExample(flow: FlowModule, example: ExampleModel): Promise<ExampleResult> {
  const store = new runtime.MemoryCollectionStore();
  for (const g of example.given) store.add(g.collection, g.documents as runtime.Document[]);
  const params = { window: null, env: () => undefined, now: () => EXAMPLE_NOW };
  const base = { name: example.name, line: example.span.line };
  let row: unknown;
  try {
    // As `ferry run` maps a record: lookups answered for it, then JSONata, then the transform.
    const answers = await runtime.resolveLookups(flow, [example.input], store, params);
    const values = await evaluateJsonata(flow, flow.spec.jsonata.map((source) => jsonata(source)), example.input);
    const ctx: MapContext = {
      ...params,
      lookup: (index, key) => answers[index]?.get(key),
      jsonata: (index, input) => values[index]?.get(input),
    };
    row = flow.map(example.input, ctx);
  } catch (error) {
    return { ...base, passed: false, differences: [], error: reasonOf(error), checkFailures: [] };
  }
  // A round trip through JSON is what the target receives.
  const written = JSON.parse(JSON.stringify(row)) as JsonValue;
  const differences = compare(example.output, written);
  const checkFailures = flow.check(row).map((f) => f.message);
  return { ...base, passed: differences.length === 0 && checkFailures.length === 0, differences, checkFailures };
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
}

/** Field-by-field differences between the expected and the actual row. */
export function compare(expected: unknown, actual: unknown): FieldDifference[] {
  const e = new Map<string, unknown>();
  const a = new Map<string, unknown>();
  flatten(expected, "", e);
  flatten(actual, "", a);
  const fields = [...new Set([...e.keys(), ...a.keys()])];
  return fields
    .filter((f) => JSON.stringify(e.get(f)) !== JSON.stringify(a.get(f)))
    .map((field) => ({ field, expected: e.get(field), actual: a.get(field) }));
}
