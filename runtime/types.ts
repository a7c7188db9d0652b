/**
 * The small public types a generated flow module is written against. A module exports `spec` (the
 * flow's settings as data), `params`, `lookupKeys`, `map` and `check`; the runtime drives them.
 */

export type Scalar = string | number | boolean | null;

/** Where in a `.map` file a piece of a flow was written. */
export interface SourceLocation {
  readonly line: number;
  readonly column: number;
}

export interface RetrySpec {
  readonly attempts: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface RateSpec {
  readonly count: number;
  readonly perMs: number;
}

export interface WindowSpec {
  /** null: the window reaches the request only through params that use `window.start`/`window.end`. */
  readonly startParam: string | null;
  readonly endParam: string | null;
  /** Longest window one call asks for; larger windows are cut into steps. */
  readonly stepMs: number | null;
  /** Where a flow without a checkpoint starts, in `format`. */
  readonly from: string | null;
  readonly format: string;
}

export interface PageSpec {
  readonly mode: "number" | "offset" | "cursor";
  readonly param: string;
  /** First page number or offset; for cursor paging, the response path of the next cursor. */
  readonly from: number | string;
  readonly sizeParam: string | null;
  readonly size: number | null;
}

export interface SourceSpec {
  readonly connector: string;
  readonly operation: string;
  /** Names of the request parameters `params()` computes. */
  readonly params: readonly string[];
  readonly window: WindowSpec | null;
  readonly page: PageSpec | null;
  readonly records: string;
  readonly total: string | null;
  readonly id: string;
  readonly number: string | null;
  readonly rate: RateSpec | null;
  readonly retry: RetrySpec;
  readonly timeoutMs: number;
}

export interface TargetSpec {
  readonly connector: string;
  readonly operation: string;
  readonly form: string | null;
  readonly batch: number;
  readonly options: Readonly<Record<string, Scalar>>;
  /** Target field that identifies a written row; rows with unchanged content are skipped. */
  readonly idcheck: string | null;
  readonly rate: RateSpec | null;
  readonly retry: RetrySpec;
  readonly timeoutMs: number;
}

export interface FieldSpec extends SourceLocation {
  /** Dotted target path as written, e.g. "contents.101297". */
  readonly target: string;
  readonly type: string;
  readonly optional: boolean;
  readonly label: string | null;
}

/** One `lookup` of the flow, answered per page with one query over all keys. */
export interface LookupSpec extends SourceLocation {
  readonly store: string;
  readonly collection: string;
  /** Document path compared with the key each record computes. */
  readonly keyPath: string;
  /** The constant part of the `where` filter (MongoDB query language). */
  readonly where: Readonly<Record<string, unknown>>;
  /** Document path whose value the lookup yields. */
  readonly find: string;
}

export interface CheckSpec extends SourceLocation {
  readonly message: string;
}

export interface FlowSpec {
  readonly name: string;
  readonly title: string | null;
  /** The `.map` file the module was generated from, as given to `ferry build`. */
  readonly file: string;
  readonly source: SourceSpec;
  readonly target: TargetSpec;
  readonly fields: readonly FieldSpec[];
  readonly lookups: readonly LookupSpec[];
  /** JSONata expressions, evaluated per record before the transform. */
  readonly jsonata: readonly string[];
  readonly checks: readonly CheckSpec[];
}

/** What request parameters may depend on. */
export interface ParamContext {
  /** Bounds of the window being read, already formatted in the window's format. */
  readonly window: { readonly start: string; readonly end: string } | null;
  env(name: string): string | undefined;
  /** The run's start time, formatted `yyyy-MM-dd HH:mm:ss`. */
  now(): string;
}

/** What the transform may read besides the record. Lookups and JSONata are resolved beforehand. */
export interface MapContext extends ParamContext {
  /** The value lookup `index` found for `key`, or undefined when nothing matched. */
  lookup(index: number, key: unknown): unknown;
  /**
   * The value of JSONata expression `index` for `input`: the current record, or an entry of the
   * `each` the expression sits in (see {@link FlowModule.jsonataInputs}).
   */
  jsonata(index: number, input: unknown): unknown;
}

/** A `check` rule the mapped row failed. */
export interface CheckFailure {
  readonly rule: number;
  readonly message: string;
}

/** The shape every generated flow module has. */
export interface FlowModule<S = unknown, T = unknown> {
  readonly spec: FlowSpec;
  params(ctx: ParamContext): Record<string, Scalar>;
  /**
   * Per lookup (in spec.lookups order), the keys a record needs: one, or one per entry of the
   * `each` the lookup sits in. A key that cannot be computed is left out (`map` then reports it).
   */
  lookupKeys(src: S, ctx: ParamContext): readonly (readonly unknown[])[];
  /**
   * Per JSONata expression (in spec.jsonata order), what it is evaluated against: the record, or
   * each element of the `each` it sits in. Absent: every expression is evaluated against the record.
   */
  jsonataInputs?(src: S): readonly (readonly unknown[])[];
  map(src: S, ctx: MapContext): T;
  check(row: T): readonly CheckFailure[];
}
