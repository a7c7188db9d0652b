import { assertNever, type Span } from "./ast.js";
import type { FieldSchema, RecordSchema } from "../connectors/catalog.js";
import type { Scalar, SourceSpec, TargetSpec } from "../runtime/types.js";

/**
 * The checked model of a flow: names resolved against the connector catalogs, types inferred,
 * settings filled with defaults. Emit and docs read only this, never the syntax.
 */

export type BaseType =
  | "string" | "int" | "number" | "bool" | "date" | "datetime"
  | "ref" | "object" | "array" | "null" | "any";

export interface ValueType {
  readonly base: BaseType;
  /** The value may be null at run time. */
  readonly nullable: boolean;
  /** For refs: the key of the reference object. */
  readonly refKey?: string | undefined;
  /** The null comes from an optional source field (worth a warning when it feeds a required field). */
  readonly fromOptionalSource?: boolean | undefined;
}

export type Expr =
  | {
      readonly k: "source";
      readonly path: readonly string[];
      readonly type: ValueType;
      /** The path is a key the schema allows by pattern (Banniu columns): its data type is not guaranteed. */
      readonly open?: boolean;
    }
  | {
      readonly k: "alias";
      readonly alias: string;
      /** The `each` field (index into allFields) whose element the alias names. */
      readonly each: number;
      readonly path: readonly string[];
      readonly type: ValueType;
    }
  | { readonly k: "row"; readonly path: readonly string[]; readonly type: ValueType }
  | { readonly k: "literal"; readonly value: Scalar; readonly type: ValueType }
  | { readonly k: "window"; readonly part: "start" | "end"; readonly type: ValueType }
  | { readonly k: "env"; readonly name: string; readonly type: ValueType }
  | { readonly k: "now"; readonly type: ValueType }
  | { readonly k: "binary"; readonly op: string; readonly left: Expr; readonly right: Expr; readonly type: ValueType }
  | { readonly k: "unary"; readonly op: "!" | "-"; readonly operand: Expr; readonly type: ValueType }
  | { readonly k: "matches"; readonly value: Expr; readonly pattern: string; readonly flags: string; readonly type: ValueType }
  | { readonly k: "if"; readonly test: Expr; readonly then: Expr; readonly else: Expr; readonly type: ValueType }
  | { readonly k: "pipe"; readonly name: string; readonly input: Expr; readonly args: readonly Expr[]; readonly type: ValueType }
  | { readonly k: "ref"; readonly input: Expr; readonly key: string; readonly type: ValueType }
  | {
      readonly k: "map";
      readonly input: Expr;
      readonly entries: readonly (readonly [string | null, Expr])[];
      readonly else: Expr | undefined;
      readonly type: ValueType;
    }
  | { readonly k: "lookup"; readonly index: number; readonly key: Expr; readonly else: Expr | undefined; readonly type: ValueType }
  | { readonly k: "jsonata"; readonly index: number; readonly type: ValueType }
  | { readonly k: "object"; readonly entries: readonly (readonly [string, Expr])[]; readonly type: ValueType }
  | { readonly k: "array"; readonly items: readonly Expr[]; readonly type: ValueType };

export interface EachModel {
  readonly k: "each";
  /** The list walked: a path of the record (`source`) or of an enclosing entry (`alias`). */
  readonly source: Expr;
  readonly alias: string;
  readonly fields: readonly FieldModel[];
}

/**
 * An `each` around a value, outermost first: the list it walks and the name of its element. Lookups
 * and JSONata inside entries carry their chain, so the runtime can gather their keys and inputs
 * entry by entry before the transform runs.
 */
export interface EntryScope {
  /** The `each` field (index into allFields); generated code names its element `e<each>`. */
  readonly each: number;
  readonly alias: string;
  readonly source: Expr;
}

export interface FieldModel {
  /** Index into the flow's flattened field list (spec.fields). */
  readonly index: number;
  /** Target path relative to its parent (the row, or an `each` entry). */
  readonly path: readonly string[];
  /** Dotted display form of the full target path. */
  readonly display: string;
  readonly type: ValueType;
  readonly optional: boolean;
  readonly label: string | undefined;
  readonly doc: string | undefined;
  readonly value: Expr | EachModel;
  /** The catalog's description of the field, when it has one. */
  readonly schema: FieldSchema | undefined;
  /** Span of the value expression (run-time errors point here). */
  readonly span: Span;
  readonly targetSpan: Span;
}

export interface LookupModel {
  readonly index: number;
  readonly store: string;
  readonly collection: string;
  readonly keyPath: string;
  readonly key: Expr;
  readonly where: Record<string, unknown>;
  readonly find: string;
  readonly span: Span;
  /** The entries the lookup sits in (empty at the top level): one key per entry. */
  readonly entries: readonly EntryScope[];
}

export interface JsonataModel {
  readonly index: number;
  /** The expression's text. */
  readonly source: string;
  /** The entries it sits in (empty at the top level): it is evaluated against the innermost element. */
  readonly entries: readonly EntryScope[];
}

export interface CheckModel {
  readonly test: Expr;
  readonly message: string;
  readonly span: Span;
}

export type JsonValue = Scalar | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface ExampleModel {
  readonly name: string;
  readonly given: readonly { readonly store: string; readonly collection: string; readonly documents: readonly JsonValue[] }[];
  readonly input: { readonly [key: string]: JsonValue };
  readonly output: { readonly [key: string]: JsonValue };
  readonly span: Span;
}

export interface ParamModel {
  readonly name: string;
  readonly value: Expr;
}

export interface FlowModel {
  readonly file: string;
  readonly name: string;
  readonly title: string | undefined;
  readonly doc: string | undefined;
  readonly source: SourceSpec & { readonly title: string; readonly paramValues: readonly ParamModel[] };
  readonly target: TargetSpec & { readonly title: string };
  readonly sourceSchema: RecordSchema;
  readonly targetSchema: RecordSchema;
  readonly fields: readonly FieldModel[];
  /** Every field, nested `each` fields included, in index order. */
  readonly allFields: readonly FieldModel[];
  readonly lookups: readonly LookupModel[];
  readonly jsonata: readonly JsonataModel[];
  readonly checks: readonly CheckModel[];
  readonly examples: readonly ExampleModel[];
}

/** Calls `visit` on `e` and every expression inside it, lookups' keys included, depth first. */
export function walkExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.k) {
    case "binary":
      walkExpr(e.left, visit);
      walkExpr(e.right, visit);
      return;
    case "unary":
      walkExpr(e.operand, visit);
      return;
    case "matches":
      walkExpr(e.value, visit);
      return;
    case "if":
      walkExpr(e.test, visit);
      walkExpr(e.then, visit);
      walkExpr(e.else, visit);
      return;
    case "pipe":
      walkExpr(e.input, visit);
      for (const a of e.args) walkExpr(a, visit);
      return;
    case "ref":
      walkExpr(e.input, visit);
      return;
    case "map":
      walkExpr(e.input, visit);
      for (const [, v] of e.entries) walkExpr(v, visit);
      if (e.else) walkExpr(e.else, visit);
      return;
    case "lookup":
      walkExpr(e.key, visit);
      if (e.else) walkExpr(e.else, visit);
      return;
    case "object":
      for (const [, v] of e.entries) walkExpr(v, visit);
      return;
    case "array":
      for (const i of e.items) walkExpr(i, visit);
      return;
    case "literal":
    case "source":
    case "alias":
    case "row":
    case "window":
    case "env":
    case "now":
    case "jsonata":
      return;
    default:
      assertNever(e);
  }
}
