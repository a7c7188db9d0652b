import { jsonata } from "../../runtime/lazy.js";
import type * as ast from "../ast.js";
import type { FieldSchema, OpenKeys, RecordSchema } from "../../connectors/catalog.js";
import { walkExpr, type EntryScope, type Expr, type JsonataModel, type LookupModel, type ValueType } from "../model.js";
import { definedIn } from "../systems.js";
import { namesForLabels } from "./labels.js";
import { didYouMean, namesOf } from "../suggest.js";
import { FUNCTIONS, findPipe, PIPES, DATE_TOKENS, type ArgKind } from "./builtins.js";
import { listNames, type Reporter } from "./context.js";
import { literalValue } from "./literal.js";
import { ANY, describe, isNumeric, isTextual, join, nonNull, type } from "./types.js";

/** An `each` the names of an expression are inside. */
export interface EntryContext extends EntryScope {
  /** The element's schema, when the catalog describes it. */
  readonly element: RecordSchema | undefined;
  /**
   * The list walked, as a path from the record (`root` undefined) or from the element of the `each`
   * numbered `root`: a path that goes on through it reads a list as if it were one element.
   */
  readonly walks: { readonly root: number | undefined; readonly path: readonly string[] } | undefined;
}

/** What the names of an expression refer to. */
export interface Scope {
  /** `field`: a fields line; `param`: a request parameter; `check`: a data-quality rule over the row. */
  readonly kind: "field" | "param" | "check";
  /** undefined when the source operation is unknown (already reported): names are not checked. */
  readonly source: RecordSchema | undefined;
  readonly hasWindow: boolean;
  /** Inside `each … as d { }`: the enclosing entries, outermost first. */
  readonly entries?: readonly EntryContext[];
  /** For check rules: the row's fields (dotted target path → type). */
  readonly row?: ReadonlyMap<string, ValueType>;
}

/** What a scope kind cannot use, for MAP2029. */
const UNAVAILABLE: Readonly<Record<Scope["kind"], string>> = {
  field: "",
  param: "request parameters are computed before any record is read",
  check: "check rules read only the mapped row",
};

const MAX_WHERE_DEPTH = 8;

/** Types expressions and resolves their names, reporting every problem it finds. */
export class ExprChecker {
  readonly lookups: LookupModel[] = [];
  readonly jsonata: JsonataModel[] = [];
  /** Whether the last path resolved through a pattern-allowed key (see Expr "source".open). */
  private lastOpen = false;
  /** Paths read from the record (root undefined) or an entry's element (root: its each), for {@link readsThroughLists}. */
  private readonly reads: { root: number | undefined; path: readonly string[]; expr: ast.PathExpr; skip: number }[] = [];

  /** How many times `window.start` or `window.end` was read: a window without params is carried by the params that read it. */
  windowUses = 0;

  constructor(private readonly reporter: Reporter) {}

  check(e: ast.Expr, scope: Scope): Expr {
    switch (e.kind) {
      case "string":
        return { k: "literal", value: e.value, type: type("string") };
      case "number":
        return { k: "literal", value: e.value, type: type(Number.isInteger(e.value) ? "int" : "number") };
      case "bool":
        return { k: "literal", value: e.value, type: type("bool") };
      case "null":
        return { k: "literal", value: null, type: type("null", true) };
      case "duration":
      case "regex":
        this.reporter.report("MAP2006", e.span, `a ${e.kind} can only be used in settings`, {
          label: "not a value",
          hint: e.kind === "regex" ? "use it after `matches`: value matches /…/" : undefined,
        });
        return { k: "literal", value: null, type: ANY };
      case "path":
        return this.path(e, scope);
      case "object": {
        const seen = new Set<string>();
        const entries: (readonly [string, Expr])[] = [];
        for (const entry of e.entries) {
          if (seen.has(entry.key.text)) this.reporter.report("MAP2016", entry.key.span, `duplicate key \`${entry.key.text}\``);
          seen.add(entry.key.text);
          entries.push([entry.key.text, this.check(entry.value, scope)]);
        }
        return { k: "object", entries, type: type("object") };
      }
      case "array":
        return { k: "array", items: e.items.map((i) => this.check(i, scope)), type: type("array") };
      case "binary":
        return this.binary(e, scope);
      case "unary": {
        const operand = this.check(e.operand, scope);
        if (e.op === "-" && !isNumeric(operand.type) && operand.type.base !== "null") {
          this.reporter.report("MAP2006", e.operand.span, `cannot negate ${describe(operand.type)}`, { hint: "convert it with `| number` first" });
        }
        const t = e.op === "!" ? type("bool") : type(operand.type.base === "int" ? "int" : "number", operand.type.nullable);
        return { k: "unary", op: e.op, operand, type: t };
      }
      case "matches": {
        const value = this.check(e.value, scope);
        validateRegex(this.reporter, e.regex);
        return { k: "matches", value, pattern: e.regex.pattern, flags: e.regex.flags, type: type("bool") };
      }
      case "if": {
        const test = this.check(e.test, scope);
        const then = this.check(e.then, scope);
        const otherwise = this.check(e.else, scope);
        return { k: "if", test, then, else: otherwise, type: join(then.type, otherwise.type) };
      }
      case "pipe":
        return this.pipe(e, scope);
      case "call":
        return this.call(e, scope);
      case "lookup":
        return this.lookup(e, scope);
      case "jsonata":
        return this.jsonataExpr(e, scope);
    }
  }

  private path(e: ast.PathExpr, scope: Scope): Expr {
    const head = e.segments[0];
    // A record field may be read by its label (a Banniu column by its title), unless the first
    // segment is an entry's alias or the window.
    if (scope.kind !== "check" && scope.source && head && !(head.text === "window" && !head.quoted) && !(!head.quoted && innermost(scope, head.text))) {
      const segments = namesForLabels(e.segments, scope.source.fields, scope.source.openKeys);
      if (segments !== e.segments) e = { ...e, segments };
    }
    const names = e.segments.map((s) => s.text);
    const first = e.segments[0];
    if (!first) return { k: "literal", value: null, type: ANY };
    const bracket = e.segments.find((s) => s.array);
    if (bracket) {
      this.reporter.report("MAP2028", bracket.span, `\`${bracket.text}[]\` reads a list as one value`, {
        label: "not a single value",
        hint: `read each element with \`each ${names.slice(0, e.segments.indexOf(bracket) + 1).join(".")} as x { … x.${names.slice(e.segments.indexOf(bracket) + 1).join(".") || "…"} … }\``,
      });
      return { k: "literal", value: null, type: ANY };
    }
    if (scope.kind === "check") return this.rowPath(e, names, scope);
    const entry = first.quoted ? undefined : innermost(scope, first.text);
    if (entry) {
      const rest = e.segments.slice(1);
      if (this.throughList(e, { root: entry.each, path: names.slice(1) }, 1, scope)) return { k: "literal", value: null, type: ANY };
      this.reads.push({ root: entry.each, path: names.slice(1), expr: e, skip: 1 });
      const t = entry.element && rest.length > 0 ? this.resolve(rest, entry.element, `${entry.alias} entries`) : ANY;
      return { k: "alias", alias: entry.alias, each: entry.each, path: names.slice(1), type: t };
    }
    if (!first.quoted && first.text === "window") {
      const part = e.segments[1]?.text;
      this.windowUses++;
      if (!scope.hasWindow) {
        this.reporter.report("MAP2017", e.span, "`window` is used but the source has no `window` setting", {
          hint: "add `window <startParam> .. <endParam>` to the source block, or quote a field named window: `window`",
        });
      } else if (e.segments.length !== 2 || (part !== "start" && part !== "end")) {
        this.reporter.report("MAP2017", e.span, "the window has two parts: `window.start` and `window.end`", {
          hint: part ? didYouMean(part, ["start", "end"]) : undefined,
        });
      }
      return { k: "window", part: part === "end" ? "end" : "start", type: type("datetime") };
    }
    if (this.throughList(e, { root: undefined, path: names }, 0, scope)) return { k: "literal", value: null, type: ANY };
    this.reads.push({ root: undefined, path: names, expr: e, skip: 0 });
    this.lastOpen = false;
    const t = scope.source ? this.resolve(e.segments, scope.source, scope.source.title) : ANY;
    return { k: "source", path: names, type: t, open: this.lastOpen };
  }

  /**
   * Whether a path goes on through the list an enclosing `each` walks (`items.sku` inside
   * `each items as d`): that reads the list as if it were one element, always null at run time.
   * Reported (MAP2028) with the alias that reads the element. `skip` segments precede the path.
   */
  private throughList(e: ast.PathExpr, read: { root: number | undefined; path: readonly string[] }, skip: number, scope: Scope): boolean {
    const entries = scope.entries ?? [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i] as EntryContext;
      const list = entry.walks;
      if (!list || list.root !== read.root || read.path.length <= list.path.length) continue;
      if (!list.path.every((seg, i) => read.path[i] === seg)) continue;
      const at = e.segments[skip + list.path.length] ?? e.segments[0];
      const rest = read.path.slice(list.path.length).join(".");
      this.reporter.report("MAP2028", at ? at.span : e.span, `\`${read.path.slice(0, list.path.length).join(".")}\` is the list this \`each\` walks, not one of its elements`, {
        label: "a field of the list, not of an element",
        hint: `read the element through its name: \`${entry.alias}.${rest}\``,
      });
      return true;
    }
    return false;
  }

  /**
   * Reports (MAP2028) the paths read anywhere in the flow that go on through a list some `each`
   * walks (`details.item_code` beside `each details as d`): where the catalog cannot say a field
   * is a list, an `each` over it says so. Reads inside that `each` were reported as they were read.
   * Linear: each read looks its own prefixes up.
   */
  /** The record paths read (not an entry's element), in the order first read, dotted. */
  recordReads(): string[] {
    return [...new Set(this.reads.filter((r) => r.root === undefined && r.path.length > 0).map((r) => r.path.join(".")))];
  }

  readsThroughLists(lists: readonly { readonly root: number | undefined; readonly path: readonly string[]; readonly line: number }[]): void {
    const key = (root: number | undefined, path: readonly string[]): string => `${root ?? ""}\u0001${path.join("\u0000")}`;
    const known = new Map(lists.map((l) => [key(l.root, l.path), l]));
    if (known.size === 0) return;
    for (const read of this.reads) {
      for (let n = 1; n < read.path.length; n++) {
        const list = known.get(key(read.root, read.path.slice(0, n)));
        if (!list) continue;
        const at = read.expr.segments[read.skip + n] ?? read.expr.segments[0];
        const listText = read.path.slice(0, n).join(".");
        this.reporter.report("MAP2028", at ? at.span : read.expr.span, `\`${listText}\` is a list (an \`each\` on line ${list.line} walks it): a path through it reads no element`, {
          label: "a field of the list, not of an element",
          hint: `read it inside \`each ${listText} as x { … x.${read.path.slice(n).join(".")} … }\``,
        });
        break;
      }
    }
  }

  /**
   * Reports (MAP2029) a value the scope cannot compute: what needs a record (lookups, JSONata) in
   * request parameters, and anything beyond the row in check rules. True when reported.
   */
  private unavailable(span: ast.Expr["span"], what: string, scope: Scope, needsRecord: boolean): boolean {
    if (scope.kind === "field" || (scope.kind === "param" && !needsRecord)) return false;
    this.reporter.report("MAP2029", span, `${what} cannot be used here: ${UNAVAILABLE[scope.kind]}`, {
      hint: scope.kind === "check" ? "compute the value in a field line and check that field" : "compute it in a field line instead",
    });
    return true;
  }

  /** Resolves a path against a record schema, reporting the first unknown segment. */
  private resolve(segments: readonly ast.PathSegment[], schema: RecordSchema, title: string): ValueType {
    let fields: readonly FieldSchema[] | undefined = schema.fields;
    let open: OpenKeys | undefined = schema.openKeys;
    let where = title;
    let nullable = false;
    let result: ValueType = ANY;
    for (const seg of segments) {
      const field: FieldSchema | undefined = fields?.find((f) => f.name === seg.text);
      if (field) {
        nullable = nullable || !field.required;
        result = type(field.type, nullable, { refKey: field.refKey, fromOptionalSource: nullable });
        fields = field.fields;
        open = field.openKeys;
        where = `${field.name}`;
        if (field.type === "array" && seg !== segments[segments.length - 1]) {
          this.reporter.report("MAP2028", seg.span, `\`${field.name}\` is a list: a path through it reads no element`, {
            label: "a list",
            hint: `read each element with \`each ${segments.slice(0, segments.indexOf(seg) + 1).map((s) => s.text).join(".")} as x { … x.${segments.slice(segments.indexOf(seg) + 1).map((s) => s.text).join(".")} … }\``,
          });
          return ANY;
        }
        if (field.type !== "object" && field.type !== "array" && seg !== segments[segments.length - 1]) {
          this.reporter.report("MAP2001", seg.span, `\`${field.name}\` is a ${field.type}, it has no fields`, {
            label: "not an object",
          });
          return ANY;
        }
        continue;
      }
      if (open && new RegExp(open.pattern).test(seg.text)) {
        this.lastOpen = true;
        return type(open.type, true, { fromOptionalSource: open.type !== "any" });
      }
      if (!fields && !open) return ANY; // an object the catalog does not describe further
      const candidates = (fields ?? []).map((f) => f.name);
      this.reporter.report("MAP2001", seg.span, `unknown source field \`${seg.text}\``, {
        label: `not a field of ${where}`,
        hint: didYouMean(seg.text, candidates),
        notes: [
          candidates.length > 0 ? `${where} have: ${listNames(candidates)}` : `${where} have no named fields`,
          ...(open ? [`other keys must match ${open.pattern} (${open.description})`] : []),
          ...definedIn(fields),
        ],
      });
      return ANY;
    }
    return result;
  }

  private rowPath(e: ast.PathExpr, names: readonly string[], scope: Scope): Expr {
    const row = scope.row ?? new Map<string, ValueType>();
    const dotted = names.join(".");
    const t = row.get(dotted);
    if (!t) {
      const written = namesOf(row, () => row.keys());
      this.reporter.report("MAP2025", e.span, `check rule names \`${dotted}\`, which this mapping does not write`, {
        hint: written.didYouMean(dotted),
        notes: [`the row has: ${written.list()}`],
      });
      return { k: "row", path: names, type: ANY };
    }
    return { k: "row", path: names, type: t };
  }

  private binary(e: ast.BinaryExpr, scope: Scope): Expr {
    const left = this.check(e.left, scope);
    const right = this.check(e.right, scope);
    const nullable = left.type.nullable || right.type.nullable;
    let t: ValueType;
    switch (e.op) {
      case "+":
        if (isTextual(left.type) && left.type.base !== "any") t = type("string", nullable);
        else if (isTextual(right.type) && right.type.base !== "any") t = type("string", nullable);
        else t = this.arithmetic(e, left, right);
        break;
      case "-":
      case "*":
      case "/":
      case "%":
        t = this.arithmetic(e, left, right);
        break;
      case "??":
        t = join(nonNull(left.type), right.type);
        break;
      default:
        t = type("bool");
    }
    return { k: "binary", op: e.op, left, right, type: t };
  }

  private arithmetic(e: ast.BinaryExpr, left: Expr, right: Expr): ValueType {
    for (const [side, node] of [[left, e.left], [right, e.right]] as const) {
      if (!isNumeric(side.type) && side.type.base !== "null") {
        this.reporter.report("MAP2006", node.span, `\`${e.op}\` needs numbers, this is ${describe(side.type)}`, {
          hint: "convert it with `| number`",
        });
      }
    }
    const int = left.type.base === "int" && right.type.base === "int" && e.op !== "/";
    return type(int ? "int" : "number", left.type.nullable || right.type.nullable);
  }

  private pipe(e: ast.PipeExpr, scope: Scope): Expr {
    const input = this.check(e.input, scope);
    const sig = findPipe(e.name.text);
    if (!sig) {
      this.reporter.report("MAP2004", e.name.span, `unknown pipe \`${e.name.text}\``, {
        hint: didYouMean(e.name.text, PIPES.map((p) => p.name)),
        notes: [`pipes: ${PIPES.map((p) => p.name).join(" ")}`],
      });
      return { k: "pipe", name: e.name.text, input, args: [], type: ANY };
    }
    if (sig.name === "map") return this.valueMap(e, input, scope);
    if (e.table) {
      this.reporter.report("MAP2005", e.tableSpan ?? e.span, `\`${sig.name}\` takes no table; only \`map\` does`);
    }
    if (e.else) {
      this.reporter.report("MAP2005", e.else.span, `\`else\` belongs to \`map\` tables and lookups, not to \`${sig.name}\``, {
        hint: "use `?? value` or `| default(value)` for a fallback",
      });
    }
    if (sig.input === "list" && input.type.base !== "array" && input.type.base !== "any") {
      this.reporter.report("MAP2006", e.name.span, `\`${sig.name}\` needs a list, the value is ${describe(input.type)}`);
    }
    if (sig.input === "text" && !isTextual(input.type) && !isNumeric(input.type) && input.type.base !== "null") {
      this.reporter.report("MAP2006", e.name.span, `\`${sig.name}\` needs text, the value is ${describe(input.type)}`);
    }
    const written = e.args ?? [];
    const max = sig.variadic ? Infinity : sig.args.length;
    if (written.length < sig.required || written.length > max) {
      const expected = sig.variadic ? `at least ${sig.required}` : sig.required === sig.args.length ? `${sig.required}` : `${sig.required} to ${sig.args.length}`;
      this.reporter.report("MAP2005", e.name.span, `\`${sig.name}\` takes ${expected} argument${expected === "1" ? "" : "s"}, got ${written.length}`, {
        hint: sig.description,
      });
    }
    if (sig.name === "ref") {
      const key = written[0] ? this.refKey(written[0]) : "FNumber";
      return { k: "ref", input, key, type: type("ref", input.type.nullable, { refKey: key, fromOptionalSource: input.type.fromOptionalSource }) };
    }
    const args = written.map((a, i) => this.pipeArg(a, sig.args[i] ?? "any", sig.name, scope));
    return { k: "pipe", name: sig.name, input, args, type: sig.output(input.type, args.map((a) => a.type)) };
  }

  private refKey(arg: ast.Expr): string {
    if (arg.kind === "string") return arg.value;
    if (arg.kind === "path" && arg.segments.length === 1 && arg.segments[0]) return arg.segments[0].text;
    this.reporter.report("MAP2005", arg.span, "`ref` takes the key of the reference, e.g. `ref(FNumber)`");
    return "FNumber";
  }

  private pipeArg(arg: ast.Expr, kind: ArgKind, pipe: string, scope: Scope): Expr {
    if (kind === "format") {
      if (arg.kind !== "string") {
        this.reporter.report("MAP2006", arg.span, `\`${pipe}\` takes a format text such as "yyyy-MM-dd"`);
      } else {
        validateDateFormat(this.reporter, arg);
      }
    }
    const checked = this.check(arg, scope);
    if (kind === "int" && checked.type.base !== "int" && checked.type.base !== "any") {
      this.reporter.report("MAP2006", arg.span, `\`${pipe}\` takes a whole number here, got ${describe(checked.type)}`);
    }
    if (kind === "string" && !isTextual(checked.type)) {
      this.reporter.report("MAP2006", arg.span, `\`${pipe}\` takes text here, got ${describe(checked.type)}`);
    }
    return checked;
  }

  private valueMap(e: ast.PipeExpr, input: Expr, scope: Scope): Expr {
    if (!e.table) {
      this.reporter.report("MAP2005", e.name.span, "`map` needs a table: map { \"0\": \"未开始\", … } else \"未知\"");
      return { k: "map", input, entries: [], else: undefined, type: ANY };
    }
    if (e.args !== undefined) this.reporter.report("MAP2005", e.name.span, "`map` takes a table, not arguments");
    const seen = new Set<string | null>();
    const entries: (readonly [string | null, Expr])[] = [];
    let result: ValueType | undefined;
    for (const entry of e.table) {
      const key = entry.key.kind === "null" ? null : String(entry.key.value);
      if (seen.has(key)) this.reporter.report("MAP2016", entry.key.span, `duplicate key ${JSON.stringify(key)} in value map`);
      seen.add(key);
      const value = this.check(entry.value, scope);
      entries.push([key, value]);
      result = result ? join(result, value.type) : value.type;
    }
    const otherwise = e.else ? this.check(e.else, scope) : undefined;
    if (!otherwise) {
      this.reporter.report("MAP2015", e.tableSpan ?? e.name.span, "value map has no `else`: values not listed become null", {
        hint: 'add `else "…"` after the table',
      });
    }
    let t = result ?? ANY;
    t = otherwise ? join(t, otherwise.type) : { ...t, nullable: true, fromOptionalSource: false };
    return { k: "map", input, entries, else: otherwise, type: t };
  }

  private call(e: ast.CallExpr, scope: Scope): Expr {
    const fn = FUNCTIONS.find((f) => f.name === e.callee.text);
    if (!fn) {
      const pipe = findPipe(e.callee.text);
      this.reporter.report("MAP2012", e.callee.span, `unknown function \`${e.callee.text}\``, {
        hint: pipe
          ? `\`${pipe.name}\` is a pipe: write \`value | ${pipe.name}${pipe.args.length ? "(…)" : ""}\``
          : didYouMean(e.callee.text, FUNCTIONS.map((f) => f.name)),
      });
      e.args.forEach((a) => this.check(a, scope));
      return { k: "literal", value: null, type: ANY };
    }
    if (e.args.length !== fn.args) {
      this.reporter.report("MAP2005", e.callee.span, `\`${fn.name}\` takes ${fn.args} argument${fn.args === 1 ? "" : "s"}, got ${e.args.length}`, {
        hint: fn.description,
      });
    }
    this.unavailable(e.span, `\`${fn.name}()\``, scope, false);
    if (fn.name === "now") return { k: "now", type: type("datetime") };
    const arg = e.args[0];
    if (!arg || arg.kind !== "string") {
      if (arg) this.reporter.report("MAP2006", arg.span, "`env` takes the variable's name as a string: env(\"NAME\")");
      return { k: "env", name: "", type: type("string", true) };
    }
    return { k: "env", name: arg.value, type: type("string", true) };
  }

  private lookup(e: ast.LookupExpr, scope: Scope): Expr {
    if (this.unavailable(e.span, "a lookup", scope, true)) return { k: "literal", value: null, type: ANY };
    if (e.store.text !== "mongo") {
      this.reporter.report("MAP2018", e.store.span, `unknown lookup store \`${e.store.text}\``, { hint: didYouMean(e.store.text, ["mongo"]) ?? "the store is `mongo`" });
    }
    const where: Record<string, unknown> = {};
    let keyPath: string | undefined;
    let key: Expr | undefined;
    for (const entry of e.where.entries) {
      const constant = literalValue(entry.value);
      if (constant !== undefined) {
        where[entry.key.text] = constant;
        continue;
      }
      const compared = keyOf(entry.value);
      if (!compared) {
        this.reporter.report("MAP2018", entry.value.span, "a lookup compares its key with `{ $eq: value }` or a plain value", {
          hint: `write \`"${entry.key.text}": { $eq: <field> }\``,
        });
        continue;
      }
      if (keyPath !== undefined) {
        this.reporter.report("MAP2018", entry.key.span, "a lookup can compare only one key with the record", {
          hint: "make the other conditions constants",
        });
        continue;
      }
      keyPath = entry.key.text;
      key = this.check(compared, scope);
      // Keys are gathered for a whole page before any lookup is answered or JSONata evaluated.
      let early: Expr | undefined;
      walkExpr(key, (x) => {
        if (!early && (x.k === "lookup" || x.k === "jsonata")) early = x;
      });
      if (early) {
        this.reporter.report("MAP2018", compared.span, `a lookup's key cannot use ${early.k === "lookup" ? "another lookup" : "JSONata"}`, {
          hint: "keys are computed for the whole page before lookups are answered and JSONata runs; compare with a record field",
        });
      }
    }
    if (keyPath === undefined || !key) {
      if (e.where.entries.every((x) => literalValue(x.value) !== undefined)) {
        this.reporter.report("MAP2018", e.where.span, "the lookup's `where` does not use the record", {
          hint: "compare a document path with a record field: { \"content.goodsNo\": { $eq: `27963` } }",
        });
      }
      return { k: "literal", value: null, type: ANY };
    }
    if (depth(where) > MAX_WHERE_DEPTH) this.reporter.report("MAP2018", e.where.span, "the lookup's `where` is nested too deeply");
    const index = this.lookups.length;
    const otherwise = e.else ? this.check(e.else, scope) : undefined;
    this.lookups.push({
      index,
      store: e.store.text,
      collection: e.collection.value,
      keyPath,
      key,
      where,
      find: e.find.segments.map((s) => s.text).join("."),
      span: e.span,
      entries: entryScopes(scope),
    });
    // Documents are schemaless: what `find` yields is known only at run time.
    return { k: "lookup", index, key, else: otherwise, type: type("any", otherwise ? otherwise.type.nullable : true) };
  }

  private jsonataExpr(e: ast.JsonataExpr, scope: Scope): Expr {
    if (this.unavailable(e.span, "`jsonata`", scope, true)) return { k: "literal", value: null, type: ANY };
    try {
      jsonata(e.source.value);
    } catch (err) {
      const message = err && typeof err === "object" && "message" in err ? String(err.message) : String(err);
      this.reporter.report("MAP2019", e.source.span, `invalid JSONata: ${message}`);
    }
    const index = this.jsonata.length;
    this.jsonata.push({ index, source: e.source.value, entries: entryScopes(scope) });
    return { k: "jsonata", index, type: ANY };
  }
}

/** The innermost enclosing entry named `alias`: an inner `each` may reuse an outer one's name. */
function innermost(scope: Scope, alias: string): EntryContext | undefined {
  const entries = scope.entries ?? [];
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]?.alias === alias) return entries[i];
  return undefined;
}

/** The entries of a scope as the model keeps them. */
function entryScopes(scope: Scope): EntryScope[] {
  return (scope.entries ?? []).map(({ each, alias, source }) => ({ each, alias, source }));
}

/** The record-dependent value of a where entry: `{ $eq: x }` or a plain `x`. */
function keyOf(value: ast.Expr): ast.Expr | undefined {
  if (value.kind !== "object") return value;
  const [only] = value.entries;
  if (value.entries.length === 1 && only && only.key.text === "$eq") return only.value;
  return undefined;
}

function depth(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  return 1 + Math.max(0, ...Object.values(v).map(depth));
}

export function validateRegex(reporter: Reporter, regex: ast.RegexLit): void {
  const bad = [...regex.flags].find((f) => !"imsu".includes(f));
  if (bad) {
    reporter.report("MAP1007", regex.span, `unsupported regular expression flag \`${bad}\``, { hint: "flags may be i, m, s and u" });
    return;
  }
  try {
    new RegExp(regex.pattern, regex.flags);
  } catch (err) {
    reporter.report("MAP1007", regex.span, `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Date formats use yyyy MM dd HH mm ss SSS; other letters are mistakes (YYYY, hh, DD). */
export function validateDateFormat(reporter: Reporter, format: ast.StringLit): void {
  let rest = format.value;
  for (const token of [...DATE_TOKENS].sort((a, b) => b.length - a.length)) rest = rest.split(token).join("");
  const stray = /[A-Za-z]+/.exec(rest);
  if (stray) {
    reporter.report("MAP2006", format.span, `unknown date format letters \`${stray[0]}\``, {
      hint: "formats use yyyy MM dd HH mm ss SSS, e.g. \"yyyy-MM-dd HH:mm:ss\"",
    });
  }
}
