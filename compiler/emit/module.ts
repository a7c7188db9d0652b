import type { OptionalKind, Project, PropertySignatureStructure, SourceFile } from "ts-morph";
import type { FieldSchema, RecordSchema } from "../../connectors/catalog.js";
import { walkExpr, type EachModel, type EntryScope, type Expr, type FieldModel, type FlowModel } from "../model.js";
import type { FlowSpec } from "../../runtime/types.js";
import { certain, entryVariable, ExprEmitter, fits, sureType, tsBase, tsType, type EmitScope } from "./expr.js";
import { accessor, docText, literal, propertyKey, propertyName } from "./names.js";
import { onRelease, tsMorph } from "../ts-morph.js";

export interface EmitOptions {
  /** Module specifier of the runtime, `ferry/runtime` unless told otherwise. */
  readonly runtime?: string;
}

// One in-memory project for the process: ts-morph projects are costly to create.
let project: Project | undefined;
onRelease(() => (project = undefined));
function scratch(): SourceFile {
  const { IndentationText, Project } = tsMorph();
  project ??= new Project({
    useInMemoryFileSystem: true,
    skipLoadingLibFiles: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces },
  });
  return project.createSourceFile("/flow.ts", "", { overwrite: true });
}

/** Writes the TypeScript module of one checked flow. Output depends only on the model. */
export function emitModule(model: FlowModel, options: EmitOptions = {}): string {
  const file = scratch();
  const exprs = new ExprEmitter(model.jsonata);
  const bodies = {
    params: paramsBody(model, exprs),
    lookupKeys: lookupKeysBody(model, exprs),
    jsonataInputs: jsonataInputsBody(model, exprs),
    map: mapBody(model, exprs),
    check: checkBody(model, exprs),
  };

  file.addImportDeclaration({
    isTypeOnly: true,
    moduleSpecifier: options.runtime ?? "ferry/runtime",
    namedImports: ["CheckFailure", "FlowSpec", "MapContext", "ParamContext", "Scalar"],
  });
  // Import only what the code uses, so strict projects with noUnusedLocals accept the module.
  const used = [...Object.values(bodies).flat(), ...exprs.declarations].join("\n");
  const helpers = [["coerce as c", /\bc\./], ["fieldError", /\bfieldError\(/], ["ops as o", /\bo\./], ["pipes as p", /\bp\./]] as const;
  file.addImportDeclaration({
    moduleSpecifier: options.runtime ?? "ferry/runtime",
    namedImports: helpers.filter(([, re]) => re.test(used)).map(([name]) => name),
  });

  file.addInterface({
    name: "Source",
    isExported: true,
    docs: [`A source record: one of the ${docText(model.sourceSchema.title)} of ${docText(model.source.connector)}.`],
    properties: recordProperties(model.sourceSchema),
    indexSignatures: openIndex(model.sourceSchema),
  });
  file.addInterface({
    name: "Target",
    isExported: true,
    docs: [`A row written to ${docText(model.target.title)}.`],
    properties: targetProperties(model.fields),
  });

  file.addVariableStatement({
    isExported: true,
    declarationKind: tsMorph().VariableDeclarationKind.Const,
    docs: ["The flow's settings, as the runtime reads them."],
    declarations: [{ name: "spec", type: "FlowSpec", initializer: JSON.stringify(flowSpec(model), null, 2) }],
  });
  if (exprs.declarations.length > 0) file.addStatements(exprs.declarations);

  file.addFunction({
    name: "params",
    isExported: true,
    docs: ["Request parameters of the source call."],
    parameters: [{ name: model.source.paramValues.some((p) => usesCtx(p.value)) ? "ctx" : "_ctx", type: "ParamContext" }],
    returnType: "Record<string, Scalar>",
    statements: bodies.params,
  });
  file.addFunction({
    name: "lookupKeys",
    isExported: true,
    docs: ["The keys each lookup compares for a record (one per entry inside `each`); the runtime answers all keys of a page with one query."],
    parameters: [
      { name: model.lookups.length ? "src" : "_src", type: "Source" },
      { name: model.lookups.some((l) => usesCtx(l.key) || l.entries.some((e) => usesCtx(e.source))) ? "ctx" : "_ctx", type: "ParamContext" },
    ],
    returnType: "readonly (readonly unknown[])[]",
    statements: bodies.lookupKeys,
  });
  file.addFunction({
    name: "jsonataInputs",
    isExported: true,
    docs: ["What each JSONata expression is evaluated against for a record: the record, or each entry of the `each` it sits in."],
    parameters: [{ name: model.jsonata.length ? "src" : "_src", type: "Source" }],
    returnType: "readonly (readonly unknown[])[]",
    statements: bodies.jsonataInputs,
  });
  file.addFunction({
    name: "map",
    isExported: true,
    docs: ["Maps one source record to one target row. Throws a MapError naming the field when a row cannot be mapped."],
    parameters: [{ name: "src", type: "Source" }, { name: model.allFields.some((f) => usesCtx(f.value)) ? "ctx" : "_ctx", type: "MapContext" }],
    returnType: "Target",
    statements: bodies.map,
  });
  file.addFunction({
    name: "check",
    isExported: true,
    docs: ["The data-quality rules the row fails (empty when it passes all)."],
    parameters: [{ name: model.checks.length ? "row" : "_row", type: "Target" }],
    returnType: "readonly CheckFailure[]",
    statements: bodies.check,
  });
  const header = [
    `// Generated by ferry from ${JSON.stringify(model.file)}. DO NOT EDIT: change the .map file and run \`ferry build\`.`,
    `// ${docText(model.source.title)} → ${docText(model.target.title)}`,
    "",
  ].join("\n");
  const text = header + file.getFullText();
  file.delete();
  return text;
}

/** Whether generated code for this value reads the context (window, env, now, lookups, JSONata). */
function usesCtx(value: Expr | EachModel): boolean {
  if (value.k === "each") return value.fields.some((f) => usesCtx(f.value));
  let uses = false;
  walkExpr(value, (x) => {
    if (x.k === "window" || x.k === "env" || x.k === "now" || x.k === "lookup" || x.k === "jsonata") uses = true;
  });
  return uses;
}

function schemaType(f: FieldSchema): string {
  switch (f.type) {
    case "object":
      if (f.fields) return `{ ${f.fields.map((x) => `readonly ${propertyName(x.name)}${x.required ? "" : "?"}: ${schemaType(x)}${x.required ? "" : " | null"};`).join(" ")} }`;
      return "Readonly<Record<string, unknown>>";
    case "array":
      return f.fields ? `ReadonlyArray<{ ${f.fields.map((x) => `readonly ${propertyName(x.name)}?: ${schemaType(x)} | null;`).join(" ")} }>` : "readonly unknown[]";
    case "ref":
      return `{ readonly ${propertyName(f.refKey ?? "FNumber")}: string | number }`;
    default:
      return tsBase({ base: f.type, nullable: false });
  }
}

function recordProperties(schema: RecordSchema): OptionalKind<PropertySignatureStructure>[] {
  return schema.fields.map((f) => ({
    kind: tsMorph().StructureKind.PropertySignature,
    name: propertyName(f.name),
    isReadonly: true,
    hasQuestionToken: !f.required,
    type: f.required ? schemaType(f) : `${schemaType(f)} | null`,
    docs: f.label || f.description ? [docText([f.label, f.description].filter(Boolean).join(": "))] : [],
  }));
}

/** Open keys (Banniu columns) become an index signature wide enough for the named fields too. */
function openIndex(schema: RecordSchema) {
  if (!schema.openKeys) return [];
  const open = schema.openKeys.type === "any" ? "unknown" : schemaType({ name: "", type: schema.openKeys.type });
  if (open === "unknown") return [{ keyName: "key", keyType: "string", returnType: "unknown", isReadonly: true, docs: [docText(schema.openKeys.description)] }];
  const types = new Set([open, ...schema.fields.map(schemaType), "null", "undefined"]);
  return [{ keyName: "column", keyType: "string", returnType: [...types].join(" | "), isReadonly: true, docs: [docText(schema.openKeys.description)] }];
}

/** The Target interface: the fields this mapping writes, nested as their paths are. */
function targetProperties(fields: readonly FieldModel[]): OptionalKind<PropertySignatureStructure>[] {
  interface Node { field?: FieldModel; children: Map<string, Node> }
  const root: Node = { children: new Map() };
  for (const f of fields) {
    let node = root;
    for (const seg of f.path) {
      let next = node.children.get(seg);
      if (!next) node.children.set(seg, (next = { children: new Map() }));
      node = next;
    }
    node.field = f;
  }
  const typeOf = (node: Node): string => {
    if (node.field) return fieldTsType(node.field);
    return `{ ${[...node.children].map(([k, n]) => `${propertyName(k)}${optionalNode(n) ? "?" : ""}: ${typeOf(n)};`).join(" ")} }`;
  };
  const optionalNode = (node: Node): boolean => (node.field ? node.field.optional : false);
  return [...root.children].map(([name, node]) => ({
    kind: tsMorph().StructureKind.PropertySignature,
    name: propertyName(name),
    hasQuestionToken: optionalNode(node),
    type: typeOf(node),
    docs: node.field?.label ? [docText(node.field.label)] : [],
  }));
}

function fieldTsType(f: FieldModel): string {
  if (f.value.k === "each") return `Array<${entryTsType(f.value)}>`;
  if (f.type.base === "ref") {
    const key = f.type.refKey ?? "FNumber";
    // What the ref pipe's key certainly is (see ExprEmitter "ref"); a key only a check can tell is text or a number.
    const sure = f.value.k === "ref" ? sureType(f.value.input) : undefined;
    const v = sure === "int" || sure === "number" ? "number" : sure === "string" || sure === "date" || sure === "datetime" ? "string" : "string | number";
    return `{ ${propertyName(key)}: ${v} }`;
  }
  return tsBase(f.type);
}

/** One entry of an `each`: its fields, nested as their paths are (as the Target interface). */
function entryTsType(each: EachModel): string {
  return `{ ${targetProperties(each.fields).map((p) => `${p.name}${p.hasQuestionToken ? "?" : ""}: ${String(p.type)};`).join(" ")} }`;
}

/**
 * The value a field computes. Unless its type is certain by construction (see sureType), it is
 * checked against the field's type where it is computed: a value of another type fails the row
 * with the field's name and what it got, instead of reaching the target.
 */
function fieldValue(f: FieldModel, e: Expr, exprs: ExprEmitter, scope: EmitScope): string {
  const code = exprs.emit(e, scope);
  if (f.type.base === "any" || fits(sureType(e), f.type.base)) return code;
  return exprs.convert(code, f.type);
}

function fieldStatements(fields: readonly FieldModel[], exprs: ExprEmitter, scope: EmitScope, out: string[]): void {
  for (const f of fields) {
    out.push(`at = ${f.index}; // ${docText(f.display)}`);
    if (f.value.k === "each") {
      const inner: string[] = [];
      const element = entryVariable(f.index);
      fieldStatements(f.value.fields, exprs, scope, inner);
      const row = objectLiteral(f.value.fields, "entry");
      out.push(`const f${f.index} = o.each(${exprs.emit(f.value.source, scope)}, (${element}: unknown) => {`, ...inner.map((l) => `  ${l}`));
      out.push(`  const entry: ${entryTsType(f.value)} = ${row.literal};`, ...row.optional.map((l) => `  ${l}`), "  return entry;", "});");
      continue;
    }
    out.push(`const f${f.index} = ${fieldValue(f, f.value, exprs, scope)};`);
    // Constants cannot be null; everything else is checked, whatever the catalog promises of the data.
    if (!f.optional && !certain(f.value)) out.push(`if (f${f.index} == null) throw o.missing();`);
  }
}

/** A row (or entry) as one object literal of its required fields; optional fields are set on `target` when not null. */
function objectLiteral(fields: readonly FieldModel[], target: string): { literal: string; optional: string[] } {
  interface Node { field?: FieldModel; children: Map<string, Node> }
  const root: Node = { children: new Map() };
  const optional: string[] = [];
  for (const f of fields) {
    if (f.optional && f.value.k !== "each") {
      optional.push(`if (f${f.index} != null) ${target}${f.path.map(accessor).join("")} = f${f.index};`);
    }
    let node = root;
    const path = f.optional && f.value.k !== "each" ? f.path.slice(0, -1) : f.path;
    for (const seg of path) {
      let next = node.children.get(seg);
      if (!next) node.children.set(seg, (next = { children: new Map() }));
      node = next;
    }
    if (!(f.optional && f.value.k !== "each")) node.field = f;
  }
  const write = (node: Node): string =>
    node.field ? `f${node.field.index}` : node.children.size === 0 ? "{}" : `{ ${[...node.children].map(([k, n]) => `${propertyKey(k)}: ${write(n)}`).join(", ")} }`;
  return { literal: write(root), optional };
}

function mapBody(model: FlowModel, exprs: ExprEmitter): string[] {
  const lines: string[] = [];
  fieldStatements(model.fields, exprs, { record: "src" }, lines);
  const row = objectLiteral(model.fields, "out");
  return [
    "let at = -1;",
    "try {",
    ...lines.map((l) => `  ${l}`),
    `  const out: Target = ${row.literal};`,
    ...row.optional.map((l) => `  ${l}`),
    "  return out;",
    "} catch (error) {",
    "  throw fieldError(spec, at, error);",
    "}",
  ];
}

function paramsBody(model: FlowModel, exprs: ExprEmitter): string[] {
  const entries = model.source.paramValues.map((p) => `${propertyKey(p.name)}: ${scalar(exprs.emit(p.value, { record: "null" }), p.value)}`);
  return [entries.length ? `return { ${entries.join(", ")} };` : "return {};"];
}

function scalar(code: string, e: Expr): string {
  return ["object", "array", "ref", "any"].includes(e.type.base) ? `c.string(${code})` : code;
}

/**
 * Per lookup, the keys a record needs: one, or one per entry of the `each` the lookup sits in.
 * Each key is computed on its own: a key that cannot be computed (it fails `map` where it is used,
 * with the field's location) must not cost the other lookups or entries theirs.
 */
function lookupKeysBody(model: FlowModel, exprs: ExprEmitter): string[] {
  if (model.lookups.length === 0) return ["return [];"];
  const lines: string[] = [];
  for (const l of model.lookups) {
    lines.push(`const k${l.index}: unknown[] = [];`);
    // One statement per block: the printer would part the lines of a block with blank lines.
    lines.push(perEntry(l.entries, exprs, [`k${l.index}.push(${exprs.emit(l.key, { record: "src" })});`], true).join("\n"));
  }
  lines.push(`return [${model.lookups.map((l) => `k${l.index}`).join(", ")}];`);
  return lines;
}

/** Per JSONata expression, what it is evaluated against: the record, or every element of its innermost `each`. */
function jsonataInputsBody(model: FlowModel, exprs: ExprEmitter): string[] {
  if (model.jsonata.length === 0) return ["return [];"];
  const lines: string[] = [];
  for (const j of model.jsonata) {
    const innermost = j.entries.at(-1);
    if (!innermost) continue;
    lines.push(`const j${j.index}: unknown[] = [];`);
    lines.push(perEntry(j.entries, exprs, [`j${j.index}.push(${entryVariable(innermost.each)});`], false).join("\n"));
  }
  lines.push(`return [${model.jsonata.map((j) => (j.entries.length ? `j${j.index}` : "[src]")).join(", ")}];`);
  return lines;
}

/**
 * `body` once per element of nested `entries` (outermost first), each element in its `e<index>`;
 * at the top level, once. A failure is skipped (each run of `body` on its own when `guard`): `map`
 * meets the same failure and reports it with the field's location.
 */
function perEntry(entries: readonly EntryScope[], exprs: ExprEmitter, body: readonly string[], guard: boolean): string[] {
  let inner = guard ? ["try {", ...body.map((l) => `  ${l}`), "} catch {", "  // map() fails this record with the field's location", "}"] : [...body];
  for (const entry of [...entries].reverse()) {
    inner = [`for (const ${entryVariable(entry.each)} of o.list(${exprs.emit(entry.source, { record: "src" })})) {`, ...inner.map((l) => `  ${l}`), "}"];
  }
  if (entries.length === 0) return inner;
  return ["try {", ...inner.map((l) => `  ${l}`), "} catch {", "  // a list that is not one: map() fails this record where the `each` reads it", "}"];
}

function checkBody(model: FlowModel, exprs: ExprEmitter): string[] {
  if (model.checks.length === 0) return ["return [];"];
  return [
    "const failures: CheckFailure[] = [];",
    ...model.checks.map(
      (c, i) => `if (!${exprs.condition(c.test, { record: "row" })}) failures.push({ rule: ${i}, message: ${literal(c.message)} });`,
    ),
    "return failures;",
  ];
}

/** The settings the runtime reads, as plain data. */
export function flowSpec(model: FlowModel): FlowSpec {
  const { title: _s, paramValues: _p, ...source } = model.source;
  const { title: _t, ...target } = model.target;
  return {
    name: model.name,
    title: model.title ?? null,
    file: model.file,
    source,
    target,
    fields: model.allFields.map((f) => ({
      target: f.display,
      type: f.type.base,
      optional: f.optional,
      label: f.label ?? null,
      line: f.span.line,
      column: f.span.column,
    })),
    lookups: model.lookups.map((l) => ({
      store: l.store,
      collection: l.collection,
      keyPath: l.keyPath,
      where: l.where,
      find: l.find,
      line: l.span.line,
      column: l.span.column,
    })),
    jsonata: model.jsonata.map((j) => j.source),
    checks: model.checks.map((c) => ({ message: c.message, line: c.span.line, column: c.span.column })),
  };
}

export { tsType };
