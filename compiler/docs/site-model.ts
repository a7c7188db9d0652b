/**
 * Checked flows → a plain data model of the docs site: one page per flow, the index, the systems
 * page and the search index. The HTML and Markdown renderers only lay this out, so both formats say
 * the same thing. All text is unescaped; renderers escape it.
 */
import { relative, resolve } from "node:path";
import {
  describeExpr,
  exprInputs,
  lookupsOf,
  transformLabel,
  valueMapsOf,
  type ExprScope,
  type LookupDescription,
  type ValueMapTable,
} from "./describe-expr.js";
import { pathToUrl } from "./escape.js";
import { compare } from "./order.js";
import { buildSystems, type SystemEntry } from "./systems.js";
import { rateShort, sourceSettings, targetSettings, windowShort, type Setting } from "./words.js";
import { findConnector, findOperation } from "../../connectors/index.js";
import type { FieldSchema, RecordSchema } from "../../connectors/catalog.js";
import type { EachModel, ExampleModel, FieldModel, FlowModel, JsonValue, ValueType } from "../model.js";

/** One checked flow to document. */
export interface DocsInput {
  /** The `.map` file, relative to `cwd` (as `checkFiles` gives it). */
  readonly file: string;
  /** The file's name below the folder it was found in, without `.map` (page names derive from it). */
  readonly outName: string;
  readonly model: FlowModel;
}

export interface SiteOptions {
  /** The output folder, absolute or relative to `cwd`: links to `.map` files are relative to it. */
  readonly outDir: string;
  readonly cwd: string;
}

export interface SiteModel {
  /** Sorted by `.map` file path. */
  readonly flows: readonly FlowPage[];
  /** Sorted by connector name. */
  readonly systems: readonly SystemEntry[];
  readonly search: readonly SearchEntry[];
}

export interface EndpointPage {
  readonly connector: string;
  /** The system's name, e.g. 管易云 ERP. */
  readonly system: string;
  readonly operation: string;
  readonly direction: "read" | "write";
  /** What the operation does, from the connector catalog. */
  readonly description: string | undefined;
  /** e.g. "gy.erp.shop.get records". */
  readonly record: string;
  readonly settings: readonly Setting[];
}

export interface FieldRow {
  readonly target: string;
  /** 0 for a row field, 1 and more for fields inside `each`. */
  readonly depth: number;
  readonly type: string;
  readonly label: string | undefined;
  readonly doc: string | undefined;
  readonly expression: string;
  readonly valueMaps: readonly ValueMapTable[];
  readonly lookups: readonly LookupDescription[];
  readonly required: boolean;
  /** Line of the field in its `.map` file. */
  readonly line: number;
}

export interface RuleRow {
  readonly rule: string;
  readonly message: string;
  readonly line: number;
}

export interface ValueRow {
  readonly path: string;
  readonly value: string;
  /** The field is absent from the row (an optional field fed null). */
  readonly leftOut?: boolean;
}

export interface ExamplePage {
  readonly name: string;
  readonly line: number;
  readonly given: readonly { readonly collection: string; readonly documents: readonly string[] }[];
  readonly before: readonly ValueRow[];
  readonly after: readonly ValueRow[];
}

export interface LineageNode {
  readonly name: string;
  readonly label: string | undefined;
}

/** Source fields → one transform per target field → target fields. */
export interface LineageGraph {
  readonly title: string;
  readonly sourceHeading: string;
  readonly targetHeading: string;
  readonly sources: readonly LineageNode[];
  /** `transforms[i]` computes `targets[i]`. */
  readonly transforms: readonly LineageNode[];
  readonly targets: readonly LineageNode[];
  /** Source `source` feeds transform `transform`, sorted. */
  readonly edges: readonly { readonly source: number; readonly transform: number }[];
}

export interface FlowSummary {
  readonly from: string;
  readonly to: string;
  readonly window: string;
  /** Page size, batch and rates in one line. */
  readonly throughput: string;
  readonly fields: number;
  readonly rules: number;
  readonly examples: number;
}

export interface FlowPage {
  /** File name of the page without extension, unique in the site. */
  readonly slug: string;
  readonly file: string;
  /** The `.map` file relative to the flow pages' folder (`<out>/flows/`), as a URL path. */
  readonly mapUrl: string;
  readonly name: string;
  /** The mapping's title, or its name when it has none. */
  readonly title: string;
  /** Paragraphs of the `///` comment; the first is its first line. */
  readonly doc: readonly string[];
  readonly source: EndpointPage;
  readonly target: EndpointPage;
  readonly fields: readonly FieldRow[];
  readonly rules: readonly RuleRow[];
  readonly examples: readonly ExamplePage[];
  readonly lineage: LineageGraph;
  readonly summary: FlowSummary;
}

/** What the index page's search looks through, per flow (same order as `flows`). */
export interface SearchEntry {
  readonly slug: string;
  readonly name: string;
  readonly title: string;
  /** [target field, label] pairs. */
  readonly fields: readonly (readonly [string, string])[];
}

/** Builds the site model; output depends only on the inputs, never on their order or the clock. */
export function buildSite(inputs: readonly DocsInput[], options: SiteOptions): SiteModel {
  const sorted = [...inputs].sort((a, b) => compare(a.file, b.file));
  const slugs = uniqueSlugs(sorted.map((i) => i.outName));
  const flowsDir = resolve(options.cwd, options.outDir, "flows");
  const flows = sorted.map((input, i) => flowPage(input, slugs[i] ?? input.outName, flowsDir, options.cwd));
  return {
    flows,
    systems: buildSystems(sorted.map((input, i) => ({ model: input.model, page: flows[i] as FlowPage }))),
    search: flows.map((f) => ({ slug: f.slug, name: f.name, title: f.title, fields: f.fields.map((r) => [r.target, r.label ?? ""] as const) })),
  };
}

// Pages sit in one folder, so `sub/x` becomes `sub--x`; names that still collide get a number.
function uniqueSlugs(outNames: readonly string[]): string[] {
  const taken = new Set<string>();
  return outNames.map((name) => {
    const base = name.replace(/[\\/]+/g, "--").replace(/^\.+/, "_") || "flow";
    let slug = base;
    for (let n = 2; taken.has(slug.toLowerCase()); n++) slug = `${base}-${n}`;
    taken.add(slug.toLowerCase());
    return slug;
  });
}

function flowPage(input: DocsInput, slug: string, flowsDir: string, cwd: string): FlowPage {
  const flow = input.model;
  const scope: ExprScope = { flow, aliases: new Map() };
  const fields = fieldRows(flow.fields, scope, 0);
  const source = endpoint(flow, "read", sourceSettings(flow, scope));
  const target = endpoint(flow, "write", targetSettings(flow));
  const page = flow.source.page;
  const rates = flow.source.rate || flow.target.rate ? [`read ${rateShort(flow.source.rate)}`, `write ${rateShort(flow.target.rate)}`] : ["no rate limit"];
  const throughput = [...(page?.size != null ? [`page ${page.size}`] : []), `batch ${flow.target.batch}`, ...rates];
  return {
    slug,
    file: input.file,
    mapUrl: pathToUrl(relative(flowsDir, resolve(cwd, input.file)).split("\\").join("/")),
    name: flow.name,
    title: flow.title ?? flow.name,
    doc: paragraphs(flow.doc),
    source,
    target,
    fields,
    rules: flow.checks.map((c) => ({ rule: describeExpr(c.test, scope), message: c.message, line: c.span.line })),
    examples: flow.examples.map((e) => examplePage(e, flow)),
    lineage: lineage(flow, source, target),
    summary: {
      from: `${source.system} ${source.operation}`,
      to: `${target.system} ${target.operation}${flow.target.form ? ` ${flow.target.form}` : ""}`,
      window: windowShort(flow.source.window),
      throughput: throughput.join(" · "),
      fields: fields.length,
      rules: flow.checks.length,
      examples: flow.examples.length,
    },
  };
}

function endpoint(flow: FlowModel, direction: "read" | "write", settings: Setting[]): EndpointPage {
  const spec = direction === "read" ? flow.source : flow.target;
  const connector = findConnector(spec.connector);
  const operation = connector ? findOperation(connector, spec.operation, direction) : undefined;
  return {
    connector: spec.connector,
    system: connector?.title ?? spec.connector,
    operation: spec.operation,
    direction,
    description: operation?.description,
    record: (direction === "read" ? flow.sourceSchema : flow.targetSchema).title,
    settings,
  };
}

function fieldRows(fields: readonly FieldModel[], scope: ExprScope, depth: number): FieldRow[] {
  const out: FieldRow[] = [];
  for (const f of fields) {
    const base = {
      target: f.display,
      depth,
      type: typeText(f.type),
      label: f.label,
      doc: f.doc,
      required: !f.optional,
      line: f.targetSpan.line,
    };
    if (isEach(f.value)) {
      const each = f.value;
      const from = eachSource(each, scope);
      out.push({ ...base, expression: `each element of ${from} (as ${each.alias})`, valueMaps: [], lookups: [] });
      const inner: ExprScope = { flow: scope.flow, aliases: new Map([...scope.aliases, [each.alias, `${from}[]`]]) };
      out.push(...fieldRows(each.fields, inner, depth + 1));
      continue;
    }
    out.push({ ...base, expression: describeExpr(f.value, scope), valueMaps: valueMapsOf(f.value, scope), lookups: lookupsOf(f.value, scope) });
  }
  return out;
}

function isEach(value: FieldModel["value"]): value is EachModel {
  return value.k === "each";
}

// An `each` over a path of an outer element is shown under the outer list (`items[].parts`); one
// over a path of the record, as that path.
function eachSource(each: EachModel, scope: ExprScope): string {
  const list = each.source;
  if (list.k === "alias") return [scope.aliases.get(list.alias) ?? list.alias, ...list.path].join(".");
  if (list.k === "source") return list.path.join(".");
  return describeExpr(list, scope);
}

function typeText(t: ValueType): string {
  return t.base === "ref" && t.refKey ? `ref(${t.refKey})` : t.base;
}

const CJK = /[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]/;

/**
 * A doc comment as paragraphs: its first line on its own (the summary, often in Chinese), then the
 * rest split at blank lines. Wrapped lines are joined with a space, or with nothing between Chinese
 * characters, where a space would be a visible gap.
 */
export function paragraphs(doc: string | undefined): string[] {
  if (doc === undefined) return [];
  const lines = doc.split(/\r?\n/).map((l) => l.trim());
  const out: string[] = [];
  const [first, ...rest] = lines;
  if (first) out.push(first);
  let current = "";
  for (const line of rest) {
    if (line === "") {
      if (current) out.push(current);
      current = "";
      continue;
    }
    const joiner = current === "" || CJK.test(current.slice(-1)) || CJK.test(line.charAt(0)) ? "" : " ";
    current += joiner + line;
  }
  if (current) out.push(current);
  return out;
}

function examplePage(e: ExampleModel, flow: FlowModel): ExamplePage {
  const after = flatten(e.output);
  const written = new Set(after.map((r) => r.path));
  const leftOut = flow.allFields
    .filter((f) => !isEach(f.value) && !f.display.includes("[]"))
    .filter((f) => !written.has(f.display) && ![...written].some((p) => p.startsWith(`${f.display}.`) || p.startsWith(`${f.display}[`)))
    .map((f) => ({ path: f.display, value: "(left out)", leftOut: true }));
  return {
    name: e.name,
    line: e.span.line,
    given: e.given.map((g) => ({ collection: g.collection, documents: g.documents.map((d) => JSON.stringify(d)) })),
    before: flatten(e.input),
    after: [...after, ...leftOut],
  };
}

/** Nested example values as dotted paths: `contents.101297 = 690…`, `lines[0].sku = A1`. */
function flatten(value: { readonly [key: string]: JsonValue }): ValueRow[] {
  const out: ValueRow[] = [];
  const visit = (v: JsonValue, path: string): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) out.push({ path, value: "[]" });
      v.forEach((item: JsonValue, i: number) => visit(item, `${path}[${i}]`));
    } else if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      if (keys.length === 0) out.push({ path, value: "{}" });
      for (const k of keys) visit((v as { readonly [key: string]: JsonValue })[k] as JsonValue, path ? `${path}.${k}` : k);
    } else {
      out.push({ path, value: typeof v === "string" ? (v === "" ? '""' : v) : String(v) });
    }
  };
  visit(value, "");
  return out;
}

function lineage(flow: FlowModel, source: EndpointPage, target: EndpointPage): LineageGraph {
  const sources: string[] = [];
  const index = new Map<string, number>();
  const transforms: LineageNode[] = [];
  const targets: LineageNode[] = [];
  const edges: { source: number; transform: number }[] = [];
  const visit = (fields: readonly FieldModel[], scope: ExprScope): void => {
    for (const f of fields) {
      if (isEach(f.value)) {
        const from = eachSource(f.value, scope);
        visit(f.value.fields, { flow, aliases: new Map([...scope.aliases, [f.value.alias, `${from}[]`]]) });
        continue;
      }
      const t = transforms.length;
      transforms.push({ name: transformLabel(f.value, scope), label: undefined });
      targets.push({ name: f.display, label: f.label });
      for (const input of exprInputs(f.value, scope)) {
        let s = index.get(input);
        if (s === undefined) {
          s = sources.length;
          sources.push(input);
          index.set(input, s);
        }
        edges.push({ source: s, transform: t });
      }
    }
  };
  visit(flow.fields, { flow, aliases: new Map() });
  return {
    title: `Lineage of ${flow.title ?? flow.name}: ${source.operation} fields → transforms → ${target.operation}${flow.target.form ? ` ${flow.target.form}` : ""} fields`,
    sourceHeading: `Source: ${source.record}`,
    targetHeading: `Target: ${target.record}`,
    sources: sources.map((s) => ({ name: s, label: sourceLabel(flow.sourceSchema, s) })),
    transforms,
    targets,
    edges: edges.sort((a, b) => a.source - b.source || a.transform - b.transform),
  };
}

/** The catalog's label of a source path, e.g. `name` → 店铺名称; none for open keys. */
function sourceLabel(schema: RecordSchema, path: string): string | undefined {
  let fields: readonly FieldSchema[] | undefined = schema.fields;
  let found: FieldSchema | undefined;
  for (const segment of path.split(".")) {
    found = fields?.find((f) => f.name === segment.replace(/\[\]$/, ""));
    if (!found) return undefined;
    fields = found.fields;
  }
  return found?.label;
}
