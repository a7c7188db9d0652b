/**
 * Drift: how the records a run reads differ from what the system's spec says they are — fields the
 * spec lacks, fields it declares that stopped coming, values of another type than declared. A
 * system that changes under a flow shows up here, run by run, before it shows up as wrong data.
 *
 * Every record of the first {@link FULL_RECORDS} is looked at, then one in {@link SAMPLE_EVERY}, so
 * a run of millions pays almost nothing; nested rows are looked at to {@link MAX_DEPTH} levels.
 */
import type { FieldSchema, FieldType, OpenKeys, RecordSchema } from "../connectors/catalog.js";

const FULL_RECORDS = 1000;
const SAMPLE_EVERY = 16;
const MAX_DEPTH = 4;
/** Elements of a nested list looked at per record. */
const MAX_ELEMENTS = 5;
/** Paths kept per kind: a record of thousands of unknown keys must not grow the report without end. */
const MAX_PATHS = 50;

export interface DriftReport {
  /** Records looked at. */
  readonly sampled: number;
  /** Fields records carry that the spec does not declare. */
  readonly unknown: readonly { readonly path: string; readonly count: number; readonly type: string }[];
  /** Declared fields no sampled record carried (only reported once enough records were seen). */
  readonly missing: readonly { readonly path: string; readonly required: boolean }[];
  /** Declared fields whose values came as another type. */
  readonly typeChanges: readonly { readonly path: string; readonly declared: FieldType; readonly got: string; readonly count: number }[];
}

/** Below this many records a field not seen says nothing: optional fields are often absent. */
const MIN_FOR_MISSING = 20;

/** The JSON type of a value, as drift reports it. */
function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "bigint") return "int";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "number";
  return typeof value;
}

/**
 * Whether a value fits a declared type. Systems send numbers as text and text as numbers freely
 * (Wangdiantong's amounts are strings, ids are numbers); only a change of kind counts: a list or
 * an object where a scalar was declared, a scalar where a list or object was, a word where a number was.
 */
function fits(value: unknown, declared: FieldType): boolean {
  const got = typeOf(value);
  switch (declared) {
    case "int":
      return got === "int" || (got === "string" && /^-?\d+$/.test((value as string).trim()));
    case "number":
      return got === "int" || got === "number" || (got === "string" && /^-?\d+(\.\d+)?$/.test((value as string).trim()));
    case "string":
    case "date":
    case "datetime":
      return got === "string" || got === "int" || got === "number";
    case "bool":
      return got === "boolean" || value === 0 || value === 1 || value === "0" || value === "1" || value === "true" || value === "false";
    case "ref":
    case "object":
      return got === "object";
    case "array":
      return got === "array";
  }
}

interface Node {
  readonly field: FieldSchema;
  readonly path: string;
  readonly children: Map<string, Node> | undefined;
  seen: number;
}

function nodesOf(fields: readonly FieldSchema[], prefix: string): Map<string, Node> {
  const map = new Map<string, Node>();
  for (const field of fields) {
    const path = prefix + field.name;
    const nested = field.fields && (field.type === "array" || field.type === "object") ? nodesOf(field.fields, `${path}${field.type === "array" ? "[]" : ""}.`) : undefined;
    map.set(field.name, { field, path, children: nested, seen: 0 });
  }
  return map;
}

/** Watches a run's records against the record schema of its source operation. */
export class DriftTracker {
  readonly #root: Map<string, Node>;
  readonly #open: OpenKeys | undefined;
  readonly #pattern: RegExp | undefined;
  readonly #unknown = new Map<string, { count: number; type: string }>();
  readonly #types = new Map<string, { declared: FieldType; got: string; count: number }>();
  #offered = 0;
  #sampled = 0;

  constructor(private readonly schema: RecordSchema | undefined) {
    this.#root = nodesOf(schema?.fields ?? [], "");
    this.#open = schema?.openKeys;
    this.#pattern = schema?.openKeys ? safeRegExp(schema.openKeys.pattern) : undefined;
  }

  /** Whether drift can be told at all: a schema that declares fields or keys. */
  get active(): boolean {
    return this.schema !== undefined && (this.#root.size > 0 || this.#open !== undefined) && this.#open?.type !== "any";
  }

  observe(record: unknown): void {
    if (!this.active) return;
    const n = this.#offered++;
    if (n >= FULL_RECORDS && n % SAMPLE_EVERY !== 0) return;
    if (record === null || typeof record !== "object" || Array.isArray(record)) return;
    this.#sampled++;
    this.#walk(record as Record<string, unknown>, this.#root, "", 0, true);
  }

  #walk(record: Record<string, unknown>, nodes: Map<string, Node>, prefix: string, depth: number, top: boolean): void {
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value === undefined) continue;
      const node = nodes.get(key);
      if (!node) {
        if (top && this.#pattern?.test(key)) continue;
        this.#note(this.#unknown, `${prefix}${key}`, () => ({ count: 0, type: typeOf(value) })).count++;
        continue;
      }
      if (value === null || value === undefined) continue;
      node.seen++;
      if (!fits(value, node.field.type)) {
        const got = typeOf(value);
        this.#note(this.#types, `${node.path}\u0000${got}`, () => ({ declared: node.field.type, got, count: 0 })).count++;
        continue;
      }
      if (!node.children || depth + 1 >= MAX_DEPTH) continue;
      if (node.field.type === "array" && Array.isArray(value)) {
        for (const element of value.slice(0, MAX_ELEMENTS)) {
          if (element !== null && typeof element === "object" && !Array.isArray(element)) this.#walk(element as Record<string, unknown>, node.children, `${node.path}[].`, depth + 1, false);
        }
      } else if (node.field.type === "object" && typeof value === "object" && !Array.isArray(value)) {
        this.#walk(value as Record<string, unknown>, node.children, `${node.path}.`, depth + 1, false);
      }
    }
  }

  #note<T>(map: Map<string, T>, key: string, create: () => T): T {
    let entry = map.get(key);
    if (entry) return entry;
    entry = create();
    // Past the cap, new paths are counted into a throwaway entry.
    if (map.size < MAX_PATHS) map.set(key, entry);
    return entry;
  }

  report(): DriftReport {
    const missing: { path: string; required: boolean }[] = [];
    if (this.#sampled >= MIN_FOR_MISSING) {
      const visit = (nodes: Map<string, Node>, parentSeen: boolean) => {
        for (const node of nodes.values()) {
          if (node.seen === 0 && parentSeen) missing.push({ path: node.path, required: node.field.required === true });
          if (node.children) visit(node.children, node.seen > 0);
        }
      };
      visit(this.#root, true);
    }
    return {
      sampled: this.#sampled,
      unknown: [...this.#unknown].map(([path, v]) => ({ path, count: v.count, type: v.type })),
      missing: missing.slice(0, MAX_PATHS),
      typeChanges: [...this.#types].map(([key, v]) => ({ path: key.split("\u0000")[0]!, declared: v.declared, got: v.got, count: v.count })),
    };
  }
}

/** Whether a report shows any drift. */
export function hasDrift(report: DriftReport): boolean {
  return report.unknown.length + report.missing.length + report.typeChanges.length > 0;
}

/** One line for a run summary: `drift: 2 fields the spec lacks (a, b); 1 stopped coming (c); 1 type change (d: int → string)`. */
export function describeDrift(report: DriftReport): string {
  const parts: string[] = [];
  const list = (paths: string[]) => (paths.length > 5 ? `${paths.slice(0, 5).join(", ")}, …` : paths.join(", "));
  if (report.unknown.length) parts.push(`${report.unknown.length} field${report.unknown.length === 1 ? "" : "s"} the spec lacks (${list(report.unknown.map((u) => u.path))})`);
  if (report.missing.length) parts.push(`${report.missing.length} declared field${report.missing.length === 1 ? "" : "s"} never came (${list(report.missing.map((m) => m.path))})`);
  if (report.typeChanges.length) parts.push(`${report.typeChanges.length} type change${report.typeChanges.length === 1 ? "" : "s"} (${list(report.typeChanges.map((t) => `${t.path}: ${t.declared} → ${t.got}`))})`);
  return parts.length ? `drift in ${report.sampled} records looked at: ${parts.join("; ")}` : `no drift in ${report.sampled} records looked at`;
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, "u");
  } catch {
    return undefined;
  }
}
