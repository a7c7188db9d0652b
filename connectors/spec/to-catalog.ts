/**
 * A spec document that fits the schema, turned into the catalog the checker and the runtime read:
 * durations and rates into milliseconds, mappings of named definitions into ordered lists, each
 * definition carrying where it was written. What the schema cannot say (a regular expression that
 * does not compile, a reference to an operation that does not exist) is checked here.
 */
import type {
  ConnectorCatalog,
  FieldSchema,
  FormSchema,
  OpenKeys,
  OperationSchema,
  OptionSchema,
  ParamSchema,
  Rate,
  RecordSchema,
  SystemConnection,
} from "../catalog.js";
import type { CommonParam, Encoding, Envelope, ErrorRule, HashKind, SignedProtocol } from "../signed/recipe.js";
import type { SpecFile, SpecPath, SpecProblem } from "./spec-file.js";

/** The document as the schema describes it (only what conversion reads). */
export interface SpecDocument {
  readonly system?: string;
  readonly extends?: string;
  readonly title?: string;
  readonly description?: string;
  readonly protocol?: string;
  readonly connection?: {
    readonly url?: { readonly variable: string; readonly default?: string };
    readonly credentials?: Readonly<Record<string, { readonly description: string; readonly secret?: boolean; readonly required?: boolean }>>;
  };
  readonly defaults?: { readonly rate?: string; readonly retry: { readonly attempts: number; readonly backoff: string }; readonly timeout: string };
  readonly dynamic?: { readonly read: string; readonly write: string };
  readonly wire?: {
    readonly endpoint: string;
    readonly encoding: Encoding;
    readonly params?: Readonly<Record<string, CommonParam>>;
    readonly business?: "flat" | { readonly json: string };
    readonly bearer?: string;
    readonly sign?: { readonly param: string; readonly hash: HashKind; readonly secret: string; readonly case?: "lower" | "upper"; readonly pairs?: { readonly format: string; readonly join?: string; readonly lengths?: "chars" | "bytes" }; readonly text: string };
  };
  readonly envelope?: Envelope;
  readonly errors?: readonly (Omit<ErrorRule, "waitMs"> & { readonly wait?: string })[];
  readonly operations?: Readonly<Record<string, OperationDocument>>;
}

export interface OperationDocument {
  readonly kind?: "read" | "write";
  readonly label?: string;
  readonly description?: string;
  readonly wireName?: string;
  readonly method?: "GET" | "POST";
  readonly params?: Readonly<Record<string, ParamDocument>>;
  readonly anyParams?: boolean;
  readonly record?: RecordDocument;
  readonly forms?: Readonly<Record<string, FormDocument>>;
  readonly options?: Readonly<Record<string, OptionDocument>>;
  readonly response?: { readonly records: string; readonly total?: string; readonly paths?: readonly string[] };
  readonly anyResponsePath?: boolean;
  readonly limits?: { readonly maxBatch?: number };
  readonly defaults?: { readonly rate?: string; readonly batch?: number };
  readonly confirm?: string;
  readonly window?: { readonly start: string; readonly end: string; readonly format?: string; readonly maxSpan?: string; readonly field?: string };
  readonly paging?: { readonly kind: "number" | "offset" | "cursor" | "none"; readonly param?: string; readonly from?: number | string; readonly size?: string; readonly maxSize?: number; readonly defaultSize?: number };
  readonly id?: string;
  readonly number?: string;
  readonly result?: "per-row" | "whole-call";
  readonly sendAs?: string;
}

interface ParamDocument {
  readonly type: FieldSchema["type"];
  readonly format?: string;
  readonly fill?: "reads";
  readonly enum?: readonly (string | number | boolean)[];
  readonly required?: boolean;
  readonly label?: string;
  readonly description: string;
  readonly default?: string | number | boolean;
}

interface OptionDocument {
  readonly type: OptionSchema["type"];
  readonly label?: string;
  readonly description: string;
  readonly default?: string | number | boolean;
}

interface FieldDocument {
  readonly type: FieldSchema["type"];
  readonly format?: string;
  readonly enum?: readonly (string | number | boolean)[];
  readonly required?: boolean;
  readonly label?: string;
  readonly description?: string;
  readonly refKey?: string;
  readonly fields?: Readonly<Record<string, FieldDocument>>;
  readonly openKeys?: OpenKeys;
}

export interface RecordDocument {
  readonly title?: string;
  readonly fields?: Readonly<Record<string, FieldDocument>>;
  readonly openKeys?: OpenKeys;
}

export interface FormDocument {
  readonly title?: string;
  readonly key?: string;
  readonly number?: string;
  readonly rowTitle?: string;
  readonly fields?: Readonly<Record<string, FieldDocument>>;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s` → 30000. The schema has checked the shape. */
export function durationMs(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(text);
  if (!match) return Number.NaN;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}

/** `2/1s` → 2 calls per 1000 ms. */
export function rateOf(text: string): Rate {
  const [count = "", per = ""] = text.split("/");
  return { count: Number(count), perMs: durationMs(per) };
}

/** Converts problems-free documents; problems it finds are added to `problems`. */
export class CatalogBuilder {
  constructor(
    private readonly spec: SpecFile,
    private readonly problems: SpecProblem[],
  ) {}

  /** The entries of the mapping at `path`, in the order the spec wrote them. */
  private entries<T>(docs: Readonly<Record<string, T>>, path: SpecPath): [string, T][] {
    const keys = this.spec.keysAt(path) ?? Object.keys(docs);
    return keys.filter((k) => Object.hasOwn(docs, k)).map((k) => [k, docs[k]!]);
  }

  private problem(code: SpecProblem["code"], path: SpecPath, message: string, extra: Partial<SpecProblem> = {}, key = false): void {
    this.problems.push({ code, message, file: this.spec.file, span: this.spec.locate(path, { key }), ...extra });
  }

  /** The catalog of a document naming `system`. */
  system(doc: SpecDocument): ConnectorCatalog | undefined {
    const name = doc.system!;
    let ok = true;
    for (const key of ["title", "protocol", "defaults"] as const) {
      if (doc[key] === undefined) {
        this.problem("MAP5002", [], `the spec of system \`${name}\` is missing \`${key}\``, { label: `add \`${key}\`` });
        ok = false;
      }
    }
    if (!ok) return undefined;
    const signed = this.signed(doc);
    const operations = this.sentAs(this.operations(doc.operations ?? {}, ["operations"]));
    const catalog: ConnectorCatalog = {
      ...(signed ? { signed } : {}),
      name,
      title: doc.title!,
      ...(doc.description ? { description: doc.description } : {}),
      protocol: doc.protocol!,
      connection: this.connection(doc.connection),
      operations,
      defaults: this.defaults(doc.defaults!),
      files: [this.spec.file],
      origin: this.spec.origin(["system"]),
    };
    if (doc.dynamic) {
      const read = this.templateOf(catalog, doc.dynamic.read, "read");
      const write = this.templateOf(catalog, doc.dynamic.write, "write");
      if (!read || !write) return undefined;
      return { ...catalog, dynamic: { read, write } };
    }
    return catalog;
  }

  /** Operations, forms, options, params and fields `doc` adds to `base`; conflicts are problems. */
  extend(base: ConnectorCatalog, doc: SpecDocument): ConnectorCatalog {
    for (const key of ["title", "protocol", "connection", "defaults", "dynamic", "description"] as const) {
      if (doc[key] !== undefined) {
        this.problem("MAP5004", [key], `\`${key}\` of system \`${base.name}\` is defined by ${base.files?.[0] ?? "ferry"}; a spec that extends it can only add operations, forms, options, params and fields`, { label: "cannot be changed here" }, true);
      }
    }
    const operations = [...base.operations];
    for (const [name, opDoc] of this.entries(doc.operations ?? {}, ["operations"])) {
      const at = operations.findIndex((op) => op.name === name);
      if (at < 0) {
        const added = this.operation(name, opDoc, ["operations", name]);
        if (added) operations.push(added);
        continue;
      }
      operations[at] = this.extendOperation(operations[at]!, opDoc, ["operations", name]);
    }
    return { ...base, operations, files: [...(base.files ?? []), this.spec.file] };
  }

  /** The `signed` protocol's recipe, required by it and refused by every other protocol. */
  private signed(doc: SpecDocument): SignedProtocol | undefined {
    if (doc.protocol !== "signed") {
      for (const key of ["wire", "envelope", "errors"] as const) {
        if (doc[key] !== undefined) this.problem("MAP5005", [key], `\`${key}\` describes the \`signed\` protocol; this system speaks \`${doc.protocol}\`, whose wire is built in`, { label: "not used by this protocol" }, true);
      }
      return undefined;
    }
    if (!doc.wire || !doc.envelope) {
      this.problem("MAP5002", ["protocol"], `the \`signed\` protocol needs \`wire\` and \`envelope\`: how requests are built and signed, and how an answer says it succeeded`, { label: "add `wire` and `envelope`" });
      return undefined;
    }
    const declared = new Set((Object.keys(doc.connection?.credentials ?? {})));
    const variables: [SpecPath, string][] = [
      ...Object.entries(doc.wire.params ?? {}).flatMap(([name, p]): [SpecPath, string][] => ("variable" in p ? [[["wire", "params", name, "variable"], p.variable]] : [])),
      ...(doc.wire.sign ? [[["wire", "sign", "secret"], doc.wire.sign.secret] as [SpecPath, string]] : []),
      ...(doc.wire.bearer ? [[["wire", "bearer"], doc.wire.bearer] as [SpecPath, string]] : []),
    ];
    for (const [path, variable] of variables) {
      if (!declared.has(variable)) this.problem("MAP5003", path, `\`${variable}\` is not one of the system's \`connection.credentials\``, { got: variable, expected: [...declared], label: "declare it under connection.credentials" });
    }
    const errors = (doc.errors ?? []).map((rule, i) => {
      if (rule.message !== undefined) {
        try {
          new RegExp(rule.message, "u");
        } catch (error) {
          this.problem("MAP5005", ["errors", i, "message"], `\`${rule.message}\` is not a regular expression: ${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, "") : String(error)}`, { label: "does not compile" });
        }
      }
      const { wait, ...rest } = rule;
      return { ...rest, ...(wait ? { waitMs: durationMs(wait) } : {}) };
    });
    const sign = doc.wire.sign;
    return {
      wire: {
        endpoint: doc.wire.endpoint,
        encoding: doc.wire.encoding,
        params: doc.wire.params ?? {},
        business: doc.wire.business ?? "flat",
        ...(doc.wire.bearer ? { bearer: doc.wire.bearer } : {}),
        ...(sign
          ? { sign: { param: sign.param, hash: sign.hash, secret: sign.secret, case: sign.case ?? "lower", ...(sign.pairs ? { pairs: { format: sign.pairs.format, join: sign.pairs.join ?? "", lengths: sign.pairs.lengths ?? "chars" } } : {}), text: sign.text } }
          : {}),
      },
      envelope: doc.envelope,
      errors,
    };
  }

  /** Writes sent as another write take its batch size and limit, unless they give their own. */
  private sentAs(operations: OperationSchema[]): OperationSchema[] {
    return operations.map((op) => {
      if (op.sendAs === undefined) return op;
      const via = operations.find((o) => o.name === op.sendAs);
      if (!via || via.direction !== "write" || op.direction !== "write" || via.sendAs !== undefined) {
        this.problem("MAP5003", ["operations", op.name, "sendAs"], `\`sendAs\` of \`${op.name}\` names \`${op.sendAs}\`, which is not another write operation of this system`, {
          got: op.sendAs,
          expected: operations.filter((o) => o.direction === "write" && o.name !== op.name).map((o) => o.name),
        });
        return op;
      }
      const batch = op.defaults?.batch ?? via.defaults?.batch;
      const maxBatch = via.limits?.maxBatch;
      return {
        ...op,
        ...(batch !== undefined ? { defaults: { ...op.defaults, batch } } : {}),
        ...(maxBatch !== undefined ? { limits: { ...op.limits, maxBatch } } : {}),
      };
    });
  }

  private templateOf(catalog: ConnectorCatalog, name: string, direction: "read" | "write"): OperationSchema | undefined {
    const op = catalog.operations.find((o) => o.name === name);
    if (!op || op.direction !== direction) {
      this.problem("MAP5003", ["dynamic", direction], `\`dynamic.${direction}\` names \`${name}\`, which is not a ${direction} operation of \`${catalog.name}\``, {
        got: name,
        expected: catalog.operations.filter((o) => o.direction === direction).map((o) => o.name),
      });
      return undefined;
    }
    return op;
  }

  private connection(doc: SpecDocument["connection"]): SystemConnection {
    return {
      ...(doc?.url ? { url: doc.url } : {}),
      credentials: this.entries(doc?.credentials ?? {}, ["connection", "credentials"]).map(([variable, c]) => ({ variable, description: c.description, secret: c.secret ?? true, required: c.required ?? true })),
    };
  }

  private defaults(doc: NonNullable<SpecDocument["defaults"]>): ConnectorCatalog["defaults"] {
    const [min = "", max = ""] = doc.retry.backoff.split("..");
    if (durationMs(min) > durationMs(max)) {
      this.problem("MAP5005", ["defaults", "retry", "backoff"], `the backoff's first wait (${min}) is longer than its longest (${max})`, { label: "write it shortest..longest" });
    }
    return {
      ...(doc.rate ? { rate: rateOf(doc.rate) } : {}),
      retry: { attempts: doc.retry.attempts, minMs: durationMs(min), maxMs: durationMs(max) },
      timeoutMs: durationMs(doc.timeout),
    };
  }

  private operations(docs: Readonly<Record<string, OperationDocument>>, path: SpecPath): OperationSchema[] {
    const out: OperationSchema[] = [];
    for (const [name, doc] of this.entries(docs, path)) {
      const op = this.operation(name, doc, ["operations", name]);
      if (op) out.push(op);
    }
    return out;
  }

  private operation(name: string, doc: OperationDocument, path: SpecPath): OperationSchema | undefined {
    if (doc.kind === undefined) {
      this.problem("MAP5002", path, `operation \`${name}\` is missing \`kind\` (read or write)`, { label: "add `kind: read` or `kind: write`" }, true);
      return undefined;
    }
    if (doc.description === undefined) {
      this.problem("MAP5002", path, `operation \`${name}\` is missing \`description\``, { label: "say what it does" }, true);
      return undefined;
    }
    const direction = doc.kind;
    if (direction === "write" && doc.response) this.problem("MAP5005", [...path, "response"], `\`response\` describes what a read answers; \`${name}\` is a write operation`, {}, true);
    if (direction === "read" && doc.forms) this.problem("MAP5005", [...path, "forms"], `\`forms\` are what a write saves; \`${name}\` is a read operation`, {}, true);
    const record = doc.record ? this.record(doc.record, `${name} ${direction === "read" ? "records" : "rows"}`, [...path, "record"]) : undefined;
    const response = doc.response ? { records: doc.response.records, ...(doc.response.total ? { total: doc.response.total } : {}), paths: doc.response.paths ?? [doc.response.records, ...(doc.response.total ? [doc.response.total] : [])] } : undefined;
    if (direction === "write" && (doc.window || doc.paging || doc.id || doc.number)) {
      this.problem("MAP5005", [...path, doc.window ? "window" : doc.paging ? "paging" : doc.id ? "id" : "number"], `windows, paging, ids and numbers describe what a read answers; \`${name}\` is a write operation`, {}, true);
    }
    this.checkParamRefs(doc, path);
    // Window span and page size live with the window and paging; the checker reads them as limits.
    const limitEntries = {
      ...(doc.window?.maxSpan ? { maxWindowMs: durationMs(doc.window.maxSpan) } : {}),
      ...(doc.paging?.maxSize !== undefined ? { maxPageSize: doc.paging.maxSize } : {}),
      ...(doc.limits?.maxBatch !== undefined ? { maxBatch: doc.limits.maxBatch } : {}),
    };
    const limits = Object.keys(limitEntries).length ? limitEntries : undefined;
    const defaultEntries = {
      ...(doc.defaults?.rate ? { rate: rateOf(doc.defaults.rate) } : {}),
      ...(doc.defaults?.batch !== undefined ? { batch: doc.defaults.batch } : {}),
      ...(doc.paging?.defaultSize !== undefined ? { pageSize: doc.paging.defaultSize } : {}),
    };
    const defaults = Object.keys(defaultEntries).length ? defaultEntries : undefined;
    const window = doc.window ? { startParam: doc.window.start, endParam: doc.window.end, ...(doc.window.format ? { format: doc.window.format } : {}), ...(doc.window.field ? { field: doc.window.field } : {}) } : undefined;
    const paging = doc.paging
      ? { kind: doc.paging.kind, ...(doc.paging.param ? { param: doc.paging.param } : {}), ...(doc.paging.from !== undefined ? { from: doc.paging.from } : {}), ...(doc.paging.size ? { sizeParam: doc.paging.size } : {}) }
      : undefined;
    return {
      name,
      ...(doc.wireName ? { wireName: doc.wireName } : {}),
      ...(doc.label ? { label: doc.label } : {}),
      direction,
      description: doc.description,
      method: doc.method ?? "POST",
      params: this.params(doc.params ?? {}, [...path, "params"]),
      ...(doc.anyParams ? { anyParams: true } : {}),
      ...(record ? { record } : {}),
      ...(doc.forms ? { forms: this.forms(doc.forms, [...path, "forms"]) } : {}),
      ...(doc.options ? { options: this.options(doc.options, [...path, "options"]) } : {}),
      ...(response ? { response } : {}),
      ...(doc.anyResponsePath ? { anyResponsePath: true } : {}),
      ...(limits ? { limits } : {}),
      ...(defaults ? { defaults } : {}),
      ...(doc.confirm ? { confirm: doc.confirm } : {}),
      ...(window ? { window } : {}),
      ...(paging ? { paging } : {}),
      ...(doc.id ? { id: doc.id } : {}),
      ...(doc.number ? { number: doc.number } : {}),
      ...(doc.result ? { result: doc.result } : {}),
      ...(doc.sendAs ? { sendAs: doc.sendAs } : {}),
      origin: this.spec.origin(path),
    };
  }

  /** The window and paging name parameters the operation has. */
  private checkParamRefs(doc: OperationDocument, path: SpecPath): void {
    if (doc.anyParams) return;
    const params = Object.keys(doc.params ?? {});
    const refs: [SpecPath, string | undefined][] = [
      [["window", "start"], doc.window?.start],
      [["window", "end"], doc.window?.end],
      [["paging", "param"], doc.paging?.kind === "none" ? undefined : doc.paging?.param],
      [["paging", "size"], doc.paging?.size],
    ];
    for (const [at, name] of refs) {
      if (name === undefined || params.includes(name)) continue;
      this.problem("MAP5003", [...path, ...at], `\`${at.join(".")}\` names \`${name}\`, which is not one of the operation's params`, { got: name, expected: params, label: "not a param" });
    }
  }

  /** An operation a spec extends: new params, forms, form fields, options and record fields only. */
  private extendOperation(base: OperationSchema, doc: OperationDocument, path: SpecPath): OperationSchema {
    const additive = new Set(["params", "forms", "options", "record"]);
    for (const key of Object.keys(doc)) {
      if (!additive.has(key)) {
        this.problem("MAP5004", [...path, key], `\`${key}\` of operation \`${base.name}\` is defined in ${originText(base.origin)}; an extending spec can only add params, forms, options and fields`, { label: "cannot be changed here" }, true);
      }
    }
    const params = [...base.params, ...this.additions(base.params, this.params(doc.params ?? {}, [...path, "params"]), [...path, "params"], "param")];
    const options = doc.options ? [...(base.options ?? []), ...this.additions(base.options ?? [], this.options(doc.options, [...path, "options"]), [...path, "options"], "option")] : base.options;
    let forms = base.forms;
    if (doc.forms) {
      const merged = [...(base.forms ?? [])];
      for (const [id, formDoc] of this.entries(doc.forms, [...path, "forms"])) {
        const at = merged.findIndex((f) => f.id === id);
        const formPath = [...path, "forms", id];
        if (at < 0) {
          merged.push(this.form(id, formDoc, formPath));
          continue;
        }
        const existing = merged[at]!;
        for (const key of ["title", "key", "number", "rowTitle"] as const) {
          if (formDoc[key] !== undefined) this.problem("MAP5004", [...formPath, key], `\`${key}\` of form \`${id}\` is defined in ${originText(existing.origin)}; an extending spec can only add fields`, { label: "cannot be changed here" }, true);
        }
        const fields = this.fields(formDoc.fields ?? {}, [...formPath, "fields"]);
        merged[at] = { ...existing, row: { ...existing.row, fields: this.mergeFields(existing.row.fields, fields, [...formPath, "fields"]) } };
      }
      forms = merged;
    }
    let record = base.record;
    if (doc.record) {
      const recordPath = [...path, "record"];
      if (!record) {
        record = this.record(doc.record, `${base.name} ${base.direction === "read" ? "records" : "rows"}`, recordPath);
      } else {
        if (doc.record.title !== undefined || doc.record.openKeys !== undefined) {
          this.problem("MAP5004", recordPath, `the record of \`${base.name}\` is defined in ${originText(base.origin)}; an extending spec can only add fields to it`, { label: "only `fields` can be added" }, true);
        }
        const fields = this.fields(doc.record.fields ?? {}, [...recordPath, "fields"]);
        record = { ...record, fields: this.mergeFields(record.fields, fields, [...recordPath, "fields"]) };
      }
    }
    return { ...base, params, ...(options ? { options } : {}), ...(forms ? { forms } : {}), ...(record ? { record } : {}) };
  }

  /**
   * `existing` fields with `added` ones: new fields are appended; an object or list field given again
   * with the same type and nothing but nested fields gains those (a Banniu task's `contents` gains a
   * project's columns, an entry table a tenant's fields); anything else given again is a problem.
   */
  private mergeFields(existing: readonly FieldSchema[], added: readonly FieldSchema[], path: SpecPath): FieldSchema[] {
    const out = [...existing];
    const fresh: FieldSchema[] = [];
    for (const item of added) {
      const at = out.findIndex((f) => f.name === item.name);
      const earlier = out[at];
      const nestedOnly = earlier && item.type === earlier.type && (item.type === "object" || item.type === "array") && item.fields !== undefined && item.label === undefined && item.required === undefined && item.description === undefined && item.openKeys === undefined;
      if (earlier && nestedOnly) {
        out[at] = { ...earlier, fields: this.mergeFields(earlier.fields ?? [], item.fields ?? [], [...path, item.name, "fields"]) };
        continue;
      }
      fresh.push(item);
    }
    return [...out, ...this.additions(existing, fresh, path, "field")];
  }

  /** The definitions of `added` not already in `existing`; a name defined twice is a problem. */
  private additions<T extends { readonly name: string; readonly origin?: import("../catalog.js").Origin }>(existing: readonly T[], added: readonly T[], path: SpecPath, what: string): T[] {
    const out: T[] = [];
    for (const item of added) {
      const earlier = existing.find((e) => e.name === item.name);
      if (earlier) {
        this.problem("MAP5004", [...path, item.name], `${what} \`${item.name}\` is already defined in ${originText(earlier.origin)}`, { label: "defined twice" }, true);
        continue;
      }
      out.push(item);
    }
    return out;
  }

  private params(docs: Readonly<Record<string, ParamDocument>>, path: SpecPath): ParamSchema[] {
    return this.entries(docs, path).map(([name, p]) => ({
      name,
      type: p.type,
      ...(p.required ? { required: true } : {}),
      ...(p.label ? { label: p.label } : {}),
      description: p.description,
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.format ? { format: p.format } : {}),
      ...(p.enum ? { enum: p.enum } : {}),
      ...(p.fill ? { fill: p.fill } : {}),
      origin: this.spec.origin([...path, name]),
    }));
  }

  private options(docs: Readonly<Record<string, OptionDocument>>, path: SpecPath): OptionSchema[] {
    return this.entries(docs, path).map(([name, o]) => {
      if (o.default !== undefined && typeof o.default !== (o.type === "bool" ? "boolean" : o.type)) {
        this.problem("MAP5005", [...path, name, "default"], `the default of option \`${name}\` is ${JSON.stringify(o.default)}, not a ${o.type}`, { label: `expected a ${o.type}` });
      }
      return {
        name,
        type: o.type,
        ...(o.label ? { label: o.label } : {}),
        description: o.description,
        ...(o.default !== undefined ? { default: o.default } : {}),
        origin: this.spec.origin([...path, name]),
      };
    });
  }

  private forms(docs: Readonly<Record<string, FormDocument>>, path: SpecPath): FormSchema[] {
    return this.entries(docs, path).map(([id, f]) => this.form(id, f, [...path, id]));
  }

  private form(id: string, doc: FormDocument, path: SpecPath): FormSchema {
    for (const key of ["title", "key", "number"] as const) {
      if (doc[key] === undefined) this.problem("MAP5002", path, `form \`${id}\` is missing \`${key}\``, { label: `add \`${key}\`` }, true);
    }
    const fields = this.fields(doc.fields ?? {}, [...path, "fields"]);
    for (const key of ["key", "number"] as const) {
      const name = doc[key];
      if (name !== undefined && !fields.some((f) => f.name === name)) {
        this.problem("MAP5003", [...path, key], `the ${key} field \`${name}\` of form \`${id}\` is not one of its fields`, { got: name, expected: fields.map((f) => f.name) });
      }
    }
    return {
      id,
      title: doc.title ?? id,
      key: doc.key ?? "",
      number: doc.number ?? "",
      row: { title: doc.rowTitle ?? `${id} rows`, fields },
      origin: this.spec.origin(path),
    };
  }

  private record(doc: RecordDocument, title: string, path: SpecPath): RecordSchema {
    if (doc.openKeys) this.checkPattern(doc.openKeys, [...path, "openKeys", "pattern"]);
    return { title: doc.title ?? title, fields: this.fields(doc.fields ?? {}, [...path, "fields"]), ...(doc.openKeys ? { openKeys: doc.openKeys } : {}) };
  }

  private fields(docs: Readonly<Record<string, FieldDocument>>, path: SpecPath): FieldSchema[] {
    return this.entries(docs, path).map(([name, f]) => this.field(name, f, [...path, name]));
  }

  private field(name: string, doc: FieldDocument, path: SpecPath): FieldSchema {
    if (doc.refKey !== undefined && doc.type !== "ref") {
      this.problem("MAP5005", [...path, "refKey"], `\`refKey\` belongs to ref fields; \`${name}\` is of type ${doc.type}`, { label: "only for `type: ref`" }, true);
    }
    if ((doc.fields !== undefined || doc.openKeys !== undefined) && doc.type !== "object" && doc.type !== "array") {
      this.problem("MAP5005", [...path, doc.fields !== undefined ? "fields" : "openKeys"], `only object and array fields have fields of their own; \`${name}\` is of type ${doc.type}`, { label: "only for `type: object` or `type: array`" }, true);
    }
    if (doc.openKeys) this.checkPattern(doc.openKeys, [...path, "openKeys", "pattern"]);
    return {
      name,
      type: doc.type,
      ...(doc.required ? { required: true } : {}),
      ...(doc.label ? { label: doc.label } : {}),
      ...(doc.description ? { description: doc.description } : {}),
      ...(doc.type === "ref" ? { refKey: doc.refKey ?? "FNumber" } : {}),
      ...(doc.fields ? { fields: this.fields(doc.fields, [...path, "fields"]) } : {}),
      ...(doc.openKeys ? { openKeys: doc.openKeys } : {}),
      ...(doc.format ? { format: doc.format } : {}),
      ...(doc.enum ? { enum: doc.enum } : {}),
      origin: this.spec.origin(path),
    };
  }

  private checkPattern(openKeys: OpenKeys, path: SpecPath): void {
    try {
      new RegExp(openKeys.pattern, "u");
    } catch (error) {
      this.problem("MAP5005", path, `\`${openKeys.pattern}\` is not a regular expression: ${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, "") : String(error)}`, { label: "does not compile" });
    }
  }
}

/** `systems/kingdee.yaml:12:5`, or "ferry's built-in specs" when unknown. */
export function originText(origin: { readonly file: string; readonly line: number; readonly column: number } | undefined): string {
  return origin ? `${origin.file}:${origin.line}:${origin.column}` : "ferry's built-in specs";
}
