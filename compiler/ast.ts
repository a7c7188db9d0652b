/**
 * The abstract syntax tree of a `.map` file. Every node is readonly and carries the span of the
 * source text it came from, so every later diagnostic can point at the exact characters.
 */

/** A range of source text. Offsets are 0-based; lines and columns 1-based; ends are exclusive. */
export interface Span {
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** An identifier or a backtick-quoted name, with the quotes removed. */
export interface Name {
  readonly text: string;
  readonly quoted: boolean;
  readonly span: Span;
}

export interface PathSegment extends Name {
  /** `FEntity[]`: the segment is an array of entries (target paths under `each`). */
  readonly array: boolean;
}

export interface PathExpr {
  readonly kind: "path";
  readonly segments: readonly PathSegment[];
  readonly span: Span;
}

export interface StringLit {
  readonly kind: "string";
  readonly value: string;
  readonly span: Span;
}
export interface NumberLit {
  readonly kind: "number";
  readonly value: number;
  readonly raw: string;
  readonly span: Span;
}
export interface BoolLit {
  readonly kind: "bool";
  readonly value: boolean;
  readonly span: Span;
}
export interface NullLit {
  readonly kind: "null";
  readonly span: Span;
}
/** `500ms`, `2s`, `1m`, `1h`, `1d`; `ms` holds the value in milliseconds. */
export interface DurationLit {
  readonly kind: "duration";
  readonly ms: number;
  readonly raw: string;
  readonly span: Span;
}
export interface RegexLit {
  readonly kind: "regex";
  readonly pattern: string;
  readonly flags: string;
  readonly span: Span;
}

export interface ObjectEntry {
  /** Identifier, backtick name, string literal or `$operator`, unquoted. */
  readonly key: Name;
  readonly value: Expr;
  readonly span: Span;
}
export interface ObjectLit {
  readonly kind: "object";
  readonly entries: readonly ObjectEntry[];
  readonly span: Span;
}
export interface ArrayLit {
  readonly kind: "array";
  readonly items: readonly Expr[];
  readonly span: Span;
}

export type BinaryOp =
  | "+" | "-" | "*" | "/" | "%"
  | "==" | "!=" | "<" | "<=" | ">" | ">="
  | "&&" | "||" | "??";

export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** Span of the operator token. */
  readonly opSpan: Span;
  readonly span: Span;
}
export interface UnaryExpr {
  readonly kind: "unary";
  readonly op: "!" | "-";
  readonly operand: Expr;
  readonly span: Span;
}
/** `value matches /re/` */
export interface MatchesExpr {
  readonly kind: "matches";
  readonly value: Expr;
  readonly regex: RegexLit;
  readonly span: Span;
}
export interface IfExpr {
  readonly kind: "if";
  readonly test: Expr;
  readonly then: Expr;
  readonly else: Expr;
  readonly span: Span;
}

/** One key of a `map { … }` table. Keys are literals. */
export interface MapEntry {
  readonly key: StringLit | NumberLit | BoolLit | NullLit;
  readonly value: Expr;
  readonly span: Span;
}

/** `input | name(args…)`, `input | map { … } else v`. */
export interface PipeExpr {
  readonly kind: "pipe";
  readonly input: Expr;
  readonly name: Name;
  /** undefined when written without parentheses (`| trim`); [] for `| trim()`. */
  readonly args: readonly Expr[] | undefined;
  readonly table: readonly MapEntry[] | undefined;
  readonly tableSpan: Span | undefined;
  readonly else: Expr | undefined;
  readonly span: Span;
}

/** A function call in an expression: `env("X")`, `now()`. */
export interface CallExpr {
  readonly kind: "call";
  readonly callee: Name;
  readonly args: readonly Expr[];
  readonly span: Span;
}

/** `lookup mongo("collection", where: {…}, find: path) else v` */
export interface LookupExpr {
  readonly kind: "lookup";
  readonly store: Name;
  readonly collection: StringLit;
  readonly where: ObjectLit;
  readonly find: PathExpr;
  readonly else: Expr | undefined;
  readonly span: Span;
}

export interface JsonataExpr {
  readonly kind: "jsonata";
  readonly source: StringLit;
  readonly span: Span;
}

export type Literal = StringLit | NumberLit | BoolLit | NullLit | DurationLit | RegexLit;

export type Expr =
  | PathExpr
  | Literal
  | ObjectLit
  | ArrayLit
  | BinaryExpr
  | UnaryExpr
  | MatchesExpr
  | IfExpr
  | PipeExpr
  | CallExpr
  | LookupExpr
  | JsonataExpr;

export interface TypeRef {
  readonly name: Name;
  readonly optional: boolean;
  readonly span: Span;
}

/** `each details as d { …field lines… }` */
export interface EachExpr {
  readonly kind: "each";
  readonly source: PathExpr;
  readonly alias: Name;
  readonly fields: readonly FieldDecl[];
  readonly span: Span;
}

/** `<targetPath> [: type] <- expr ["label"]` */
export interface FieldDecl {
  readonly kind: "field";
  readonly target: PathExpr;
  readonly type: TypeRef | undefined;
  readonly value: Expr | EachExpr;
  readonly label: StringLit | undefined;
  readonly doc: string | undefined;
  readonly span: Span;
}

// ---- source and target settings -------------------------------------------------------------

export interface ParamEntry {
  readonly name: Name;
  readonly value: Expr;
  readonly span: Span;
}
export interface ParamsSetting {
  readonly kind: "params";
  readonly entries: readonly ParamEntry[];
  readonly span: Span;
}
/** `window [start .. end] [step 1d] [from "…"] [format "…"]` */
export interface WindowSetting {
  readonly kind: "window";
  /** Absent when the window reaches the request only through params that use `window.start`/`window.end`. */
  readonly startParam: Name | undefined;
  readonly endParam: Name | undefined;
  readonly step: DurationLit | undefined;
  readonly from: StringLit | undefined;
  readonly format: StringLit | undefined;
  readonly span: Span;
}
/** `page number p from 1 size s 100` · `page offset o size s 100` · `page cursor c from next size s 100` */
export interface PageSetting {
  readonly kind: "page";
  readonly mode: Name;
  readonly param: Name;
  /** First page number or offset (number), or where the next cursor sits in a response (path). */
  readonly from: NumberLit | PathExpr | undefined;
  readonly sizeParam: Name | undefined;
  readonly size: NumberLit | undefined;
  readonly span: Span;
}
/** `records p` · `total p` · `id p` · `number p` · `idcheck p` */
export interface PathSetting {
  readonly kind: "records" | "total" | "id" | "number" | "idcheck";
  readonly path: PathExpr;
  readonly span: Span;
}
/** `rate 2/s` */
export interface RateSetting {
  readonly kind: "rate";
  readonly count: NumberLit;
  readonly unit: Name;
  readonly span: Span;
}
/** `retry 3 [backoff 1s..30s]` */
export interface RetrySetting {
  readonly kind: "retry";
  readonly attempts: NumberLit;
  readonly backoffMin: DurationLit | undefined;
  readonly backoffMax: DurationLit | undefined;
  readonly span: Span;
}
export interface TimeoutSetting {
  readonly kind: "timeout";
  readonly duration: DurationLit;
  readonly span: Span;
}
export interface FormSetting {
  readonly kind: "form";
  readonly form: StringLit;
  readonly span: Span;
}
export interface BatchSetting {
  readonly kind: "batch";
  readonly size: NumberLit;
  readonly span: Span;
}
/** `option Name = literal` */
export interface OptionSetting {
  readonly kind: "option";
  readonly name: Name;
  readonly value: Literal;
  readonly span: Span;
}

export type Setting =
  | ParamsSetting
  | WindowSetting
  | PageSetting
  | PathSetting
  | RateSetting
  | RetrySetting
  | TimeoutSetting
  | FormSetting
  | BatchSetting
  | OptionSetting;

// ---- top-level blocks -----------------------------------------------------------------------

export interface MappingDecl {
  readonly kind: "mapping";
  readonly name: Name;
  readonly title: StringLit | undefined;
  readonly doc: string | undefined;
  readonly span: Span;
}

/** `source <connector> "<operation>" { settings }` and `target …` share a shape. */
export interface EndpointDecl {
  readonly kind: "source" | "target";
  readonly connector: Name;
  readonly operation: StringLit;
  readonly settings: readonly Setting[];
  readonly doc: string | undefined;
  /** Span of the `source`/`target` keyword through the operation string (for diagnostics). */
  readonly headSpan: Span;
  readonly span: Span;
}

export interface FieldsBlock {
  readonly kind: "fields";
  readonly fields: readonly FieldDecl[];
  readonly span: Span;
}

/** `expr "message"` inside `check { … }`; paths name target fields. */
export interface CheckRule {
  readonly kind: "rule";
  readonly test: Expr;
  readonly message: StringLit;
  readonly span: Span;
}
export interface CheckBlock {
  readonly kind: "check";
  readonly rules: readonly CheckRule[];
  readonly span: Span;
}

/** `given mongo("collection") [ {…}, … ]` — lookup data an example runs against. */
export interface ExampleGiven {
  readonly store: Name;
  readonly collection: StringLit;
  readonly documents: ArrayLit;
  readonly span: Span;
}
export interface ExampleDecl {
  readonly kind: "example";
  readonly name: StringLit;
  readonly given: readonly ExampleGiven[];
  readonly input: ObjectLit | undefined;
  readonly output: ObjectLit | undefined;
  readonly doc: string | undefined;
  readonly span: Span;
}

export type TopLevel = MappingDecl | EndpointDecl | FieldsBlock | CheckBlock | ExampleDecl;

/** A whole `.map` file, top-level items in source order. */
export interface MapFile {
  readonly kind: "file";
  readonly items: readonly TopLevel[];
  readonly span: Span;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected node: ${JSON.stringify(value)}`);
}
