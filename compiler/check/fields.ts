import type * as ast from "../ast.js";
import type { Span } from "../ast.js";
import type { FieldSchema, FieldType, OpenKeys, RecordSchema } from "../../connectors/catalog.js";
import type { EachModel, Expr, FieldModel, ValueType } from "../model.js";
import { definedIn } from "../systems.js";
import { namesForLabels } from "./labels.js";
import { didYouMean } from "../suggest.js";
import { headOf, listNames, type Reporter } from "./context.js";
import type { EntryContext, ExprChecker, Scope } from "./expr.js";
import { assignProblem, conversionHint, describe, FIELD_TYPES, isFieldType, sameKind, type } from "./types.js";

/** What a target path resolved to in the target's schema. */
interface TargetSlot {
  readonly type: FieldType | undefined;
  readonly schema: FieldSchema | undefined;
  readonly required: boolean;
}

interface Level {
  readonly fields: readonly FieldSchema[];
  readonly open: OpenKeys | undefined;
  readonly title: string;
}

/** Checks `fields { … }` lines; numbers every field (nested `each` lines too) in source order. */
export class FieldsChecker {
  readonly all: FieldModel[] = [];

  constructor(
    private readonly reporter: Reporter,
    private readonly exprs: ExprChecker,
    private readonly sourceSchema: RecordSchema | undefined,
    private readonly hasWindow: boolean,
  ) {}

  checkBlock(block: ast.FieldsBlock, target: RecordSchema | undefined): FieldModel[] {
    const decls = block.fields;
    const level = target ? { fields: target.fields, open: target.openKeys, title: target.title } : undefined;
    const scope: Scope = { kind: "field", source: this.sourceSchema, hasWindow: this.hasWindow };
    const fields = this.checkLines(decls, level, scope, "");
    if (target) this.requireFields(fields, target, headOf(block.span, "fields".length));
    return fields;
  }

  private checkLines(decls: readonly ast.FieldDecl[], level: Level | undefined, scope: Scope, prefix: string): FieldModel[] {
    const out: FieldModel[] = [];
    const seen = new Map<string, ast.FieldDecl>();
    // Every proper dotted prefix of a path written so far → the first path under it, so an overlap
    // (`a` and `a.b`) is found by looking up a path's own prefixes, not by scanning earlier lines.
    const under = new Map<string, string>();
    for (const written of decls) {
      // A field may be written by its label (a Banniu column by its title): the name is what counts.
      const segments = level ? namesForLabels(written.target.segments, level.fields, level.open) : written.target.segments;
      const decl: ast.FieldDecl = segments === written.target.segments ? written : { ...written, target: { ...written.target, segments } };
      const path = decl.target.segments.map((s) => s.text);
      const display = prefix + path.join(".");
      const first = seen.get(display);
      if (first) {
        this.reporter.report("MAP2003", decl.target.span, `\`${display}\` is written twice`, {
          label: "written again here",
          related: [{ message: "first written here", file: this.reporter.file, span: first.target.span }],
          hint: "combine the two with `??` or `if … then … else …`",
        });
        continue;
      }
      const prefixes = dottedPrefixes(display);
      const conflict = under.get(display) ?? prefixes.find((p) => seen.has(p));
      if (conflict) {
        this.reporter.report("MAP2021", decl.target.span, `\`${display}\` and \`${conflict}\` overlap`, {
          hint: "write only the nested paths",
        });
        continue;
      }
      seen.set(display, decl);
      for (const p of prefixes) if (!under.has(p)) under.set(p, display);
      const bracket = decl.target.segments.find((seg) => seg.array);
      if (bracket) {
        this.reporter.report("MAP2028", bracket.span, `\`${bracket.text}[]\` is not written by a path: entries are built with \`each\``, {
          hint: `write \`${bracket.text} : array <- each <list> as x { ${path.slice(decl.target.segments.indexOf(bracket) + 1).join(".") || "…"} <- … }\``,
        });
        continue;
      }
      const field = this.checkLine(decl, path, display, level, scope);
      if (field) out.push(field);
    }
    return out;
  }

  private checkLine(decl: ast.FieldDecl, path: string[], display: string, level: Level | undefined, scope: Scope): FieldModel | undefined {
    const slot = level ? this.resolveTarget(decl.target.segments, level) : { type: undefined, schema: undefined, required: false };
    let declared: FieldType | undefined;
    if (decl.type) {
      if (isFieldType(decl.type.name.text)) declared = decl.type.name.text;
      else {
        this.reporter.report("MAP2011", decl.type.name.span, `unknown type \`${decl.type.name.text}\``, {
          hint: didYouMean(decl.type.name.text, FIELD_TYPES) ?? `types: ${FIELD_TYPES.join(" ")}`,
        });
      }
    }
    if (declared && slot.type && !sameKind(declared, slot.type)) {
      this.reporter.report("MAP2006", decl.type?.name.span ?? decl.target.span, `\`${display}\` is a ${slot.type} field, not ${declared}`, {
        hint: `declare it \`: ${slot.type}\``,
      });
    }
    const fieldType: FieldType | undefined = declared ?? slot.type;
    const optional = decl.type ? decl.type.optional : !slot.required;
    const index = this.all.length;
    // Reserve the index before nested lines so numbering follows the source.
    this.all.push(undefined as unknown as FieldModel);

    let value: Expr | EachModel;
    let valueType: ValueType;
    if (decl.value.kind === "each") {
      value = this.checkEach(decl.value, index, slot, display, scope);
      valueType = type("array");
      if (fieldType && fieldType !== "array") {
        this.reporter.report("MAP2006", decl.value.span, `\`each\` builds a list, but \`${display}\` is a ${fieldType} field`);
      }
    } else {
      value = this.exprs.check(decl.value, scope);
      valueType = value.type;
      this.checkAssign(decl, display, value, fieldType, slot, optional);
    }
    const model: FieldModel = {
      index,
      path,
      display,
      type: fieldType ? type(fieldType, optional, { refKey: valueType.refKey ?? slot.schema?.refKey }) : { ...valueType, nullable: optional },
      optional,
      label: decl.label?.value ?? slot.schema?.label,
      doc: decl.doc,
      value,
      schema: slot.schema,
      span: decl.value.span,
      targetSpan: decl.target.span,
    };
    this.all[index] = model;
    return model;
  }

  private checkAssign(decl: ast.FieldDecl, display: string, value: Expr, fieldType: FieldType | undefined, slot: TargetSlot, optional: boolean): void {
    const span = decl.value.span;
    if (fieldType === "ref" && value.type.base !== "ref" && value.type.base !== "any" && value.type.base !== "null") {
      this.reporter.report("MAP2007", span, `\`${display}\` is a ref field, fed ${describe(value.type)}`, {
        label: "a bare value",
        hint: `wrap it: \`| ref(${slot.schema?.refKey ?? "FNumber"})\``,
      });
      return;
    }
    if (fieldType === "ref" && value.type.refKey && slot.schema?.refKey && value.type.refKey !== slot.schema.refKey) {
      this.reporter.report("MAP2006", span, `\`${display}\` references by ${slot.schema.refKey}, not ${value.type.refKey}`, {
        hint: `write \`| ref(${slot.schema.refKey})\``,
      });
      return;
    }
    const problem = fieldType ? assignProblem(value.type, fieldType) : undefined;
    if (problem && fieldType) {
      this.reporter.report("MAP2006", span, `\`${display}\` is declared ${fieldType}, but the value is ${describe(value.type)}`, {
        label: problem,
        hint: conversionHint(value.type, fieldType),
      });
      return;
    }
    if (!optional && value.type.base === "null") {
      this.reporter.report("MAP2006", span, `\`${display}\` is required, but the value is always null`, {
        hint: "mark the field optional with `?` or give it a value",
      });
      return;
    }
    if (!optional && value.type.nullable && value.type.fromOptionalSource) {
      this.reporter.report("MAP2026", span, `\`${display}\` is required, but the value can be missing`, {
        hint: "add `?? <default>`, or mark the field optional with `?`",
      });
    }
  }

  private checkEach(e: ast.EachExpr, index: number, slot: TargetSlot, display: string, scope: Scope): EachModel {
    const source = this.exprs.check(e.source, scope);
    if (source.type.base !== "array" && source.type.base !== "any") {
      this.reporter.report("MAP2022", e.source.span, `\`each\` needs a list, \`${e.source.segments.map((s) => s.text).join(".")}\` is ${describe(source.type)}`);
    }
    // The list is a path of the record or of an enclosing entry's element: the element's schema and
    // the path a value must not go on through come from there.
    const outer = source.k === "alias" ? scope.entries?.find((x) => x.each === source.each) : undefined;
    const from = source.k === "source" ? scope.source : source.k === "alias" ? outer?.element : undefined;
    const walks = source.k === "source" ? { root: undefined, path: source.path } : source.k === "alias" ? { root: source.each, path: source.path } : undefined;
    const entry: EntryContext = { each: index, alias: e.alias.text, source, element: elementSchema(from, walks?.path ?? []), walks };
    const inner: Scope = { ...scope, entries: [...(scope.entries ?? []), entry] };
    const level = slot.schema?.fields
      ? { fields: slot.schema.fields, open: slot.schema.openKeys, title: `${display} entries` }
      : undefined;
    const fields = this.checkLines(e.fields, level, inner, `${display}[].`);
    return { k: "each", source, alias: e.alias.text, fields };
  }

  private resolveTarget(segments: readonly ast.PathSegment[], level: Level): TargetSlot {
    let current: Level | undefined = level;
    let slot: TargetSlot = { type: undefined, schema: undefined, required: false };
    for (const seg of segments) {
      if (!current) return { type: undefined, schema: undefined, required: slot.required };
      const field: FieldSchema | undefined = current.fields.find((f) => f.name === seg.text);
      if (field) {
        slot = { type: field.type, schema: field, required: field.required === true };
        current = field.fields || field.openKeys ? { fields: field.fields ?? [], open: field.openKeys, title: field.name } : undefined;
        continue;
      }
      if (current.open && new RegExp(current.open.pattern).test(seg.text)) {
        // "any": the system's keys carry any data; the declared type (or the value's) decides.
        slot = { type: current.open.type === "any" ? undefined : current.open.type, schema: undefined, required: false };
        current = undefined;
        continue;
      }
      const names = current.fields.map((f) => f.name);
      this.reporter.report("MAP2002", seg.span, `unknown target field \`${seg.text}\``, {
        label: `not a field of ${current.title}`,
        hint: didYouMean(seg.text, names),
        notes: [
          names.length ? `${current.title} have: ${listNames(names, 20)}` : `${current.title} have no named fields`,
          ...(current.open ? [`other keys must match ${current.open.pattern} (${current.open.description})`] : []),
          ...definedIn(current.fields),
        ],
      });
      return { type: undefined, schema: undefined, required: false };
    }
    return slot;
  }

  private requireFields(fields: readonly FieldModel[], target: RecordSchema, anchor: Span): void {
    const written = new Set(fields.map((f) => f.path[0]));
    for (const f of target.fields) {
      if (!f.required || written.has(f.name)) continue;
      this.reporter.report("MAP2008", anchor, `${target.title} need \`${f.name}\`${f.label ? ` (${f.label})` : ""}, which no line writes`, {
        label: `${f.name} missing`,
        hint: `add \`${f.name} : ${f.type} <- …\`${f.type === "ref" ? ` (for example \`"100" | ref(${f.refKey ?? "FNumber"})\`)` : ""}`,
      });
    }
  }
}

/** The schema of the elements of the list at `path` of `schema`, when the catalog describes them. */
function elementSchema(schema: RecordSchema | undefined, path: readonly string[]): RecordSchema | undefined {
  let fields = schema?.fields;
  let found: FieldSchema | undefined;
  for (const seg of path) {
    found = fields?.find((f) => f.name === seg);
    fields = found?.fields;
  }
  return found?.fields ? { title: `${found.name} entries`, fields: found.fields, openKeys: found.openKeys } : undefined;
}

/** `a`, `a.b` for `a.b.c`: the texts before each dot. */
function dottedPrefixes(display: string): string[] {
  const out: string[] = [];
  for (let i = display.indexOf("."); i >= 0; i = display.indexOf(".", i + 1)) out.push(display.slice(0, i));
  return out;
}
