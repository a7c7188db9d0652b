import type { BaseType, Expr, JsonataModel, ValueType } from "../model.js";
import { assertNever } from "../ast.js";
import { accessor, literal, propertyKey } from "./names.js";

/** How names in an expression reach their data in generated code. */
export interface EmitScope {
  /** The variable holding the record (`src`) or the row (`row`); `each` elements are `e<index>`. */
  readonly record: string;
}

/** The variable generated code keeps the element of `each` field `index` in. */
export function entryVariable(index: number): string {
  return `e${index}`;
}

const ARITH = new Set(["-", "*", "/", "%"]);
const COMPARE = new Set(["<", "<=", ">", ">="]);

/** The TypeScript type of a checked value type, without null. */
export function tsBase(t: ValueType): string {
  switch (t.base) {
    case "string":
    case "date":
    case "datetime":
      return "string";
    case "int":
    case "number":
      return "number";
    case "bool":
      return "boolean";
    case "ref":
      return `{ ${propertyKey(t.refKey ?? "FNumber")}: string | number }`;
    case "object":
      return "Record<string, unknown>";
    case "array":
      return "unknown[]";
    case "null":
      return "null";
    case "any":
      return "unknown";
  }
}

export function tsType(t: ValueType): string {
  const base = tsBase(t);
  return t.nullable && base !== "unknown" && base !== "null" ? `${base} | null` : base;
}

/**
 * The type a value certainly has at run time when it is not null, whatever the record holds, or
 * undefined when only a check can tell. Data from outside (paths, lookups, JSONata) is converted to
 * its checked type where it is read, so it is certain after that; literals, operators and pipes
 * produce what they promise.
 */
export function sureType(e: Expr): BaseType | undefined {
  switch (e.k) {
    case "literal":
    case "window":
    case "now":
    case "env":
    case "object":
    case "array":
    case "ref":
    case "matches":
      return e.type.base === "any" ? undefined : e.type.base;
    case "source":
    case "alias":
      return e.path.length === 0 || e.type.base === "any" ? undefined : e.type.base;
    case "row":
    case "lookup":
    case "jsonata":
      return undefined;
    case "unary":
      if (e.op === "!") return "bool";
      return sureType(e.operand) === "int" ? "int" : "number";
    case "binary": {
      if (["==", "!=", "<", "<=", ">", ">=", "&&", "||"].includes(e.op)) return "bool";
      const a = sureType(e.left);
      const b = sureType(e.right);
      if (e.op === "??") return same(a, b);
      if (e.op === "+") {
        // `+` joins text when either side is text, adds when both are numbers.
        if (isText(a) || isText(b)) return "string";
        return a !== undefined && b !== undefined && isNumber(a) && isNumber(b) ? (a === "int" && b === "int" ? "int" : "number") : undefined;
      }
      return a === "int" && b === "int" && e.op !== "/" ? "int" : "number";
    }
    case "if":
      return same(sureType(e.then), sureType(e.else));
    case "map": {
      let t: BaseType | undefined | null = null;
      for (const [, v] of e.entries) t = t === null ? sureType(v) : same(t, sureType(v));
      if (e.else) t = t === null ? sureType(e.else) : same(t, sureType(e.else));
      return t ?? undefined;
    }
    case "pipe":
      switch (e.name) {
        case "default":
          return same(sureType(e.input), e.args[0] ? sureType(e.args[0]) : undefined);
        case "map":
          return undefined;
        default:
          // Every other pipe returns what its signature says (text, numbers, lists) or null.
          return e.type.base === "any" || e.type.base === "null" ? undefined : e.type.base;
      }
    default:
      return assertNever(e);
  }
}

function same(a: BaseType | undefined, b: BaseType | undefined): BaseType | undefined {
  if (a === "null") return b;
  if (b === "null") return a;
  if (a === b) return a;
  if (a !== undefined && b !== undefined && isNumber(a) && isNumber(b)) return "number";
  if (a !== undefined && b !== undefined && isText(a) && isText(b)) return "string";
  return undefined;
}

function isText(t: BaseType | undefined): boolean {
  return t === "string" || t === "date" || t === "datetime";
}

function isNumber(t: BaseType): boolean {
  return t === "int" || t === "number";
}

/** Whether a value certainly of type `sure` may be written to a field of type `field` as it is. */
export function fits(sure: BaseType | undefined, field: BaseType): boolean {
  if (sure === undefined) return false;
  if (sure === "null" || sure === field) return true;
  switch (field) {
    case "string":
    case "date":
    case "datetime":
      return isText(sure);
    case "number":
      return sure === "int";
    case "object":
      return sure === "ref";
    default:
      return false;
  }
}

/** Whether a value is never null, whatever the record holds. */
export function certain(e: Expr): boolean {
  switch (e.k) {
    case "literal":
      return e.value !== null;
    case "ref":
      return certain(e.input);
    case "map":
      return e.else !== undefined && certain(e.else) && e.entries.every(([, v]) => certain(v));
    case "if":
      return certain(e.then) && certain(e.else);
    case "binary":
      return e.op === "??" ? certain(e.right) : false;
    case "object":
    case "array":
      return true;
    default:
      return false;
  }
}

/** Writes checked expressions as TypeScript; module-level tables and regexes are collected on the side. */
export class ExprEmitter {
  /** Module-level declarations (value-map tables, regular expressions), in first-use order. */
  readonly declarations: string[] = [];
  private readonly names = new Map<string, string>();

  /** @param jsonata the flow's JSONata expressions: each is evaluated against its innermost entry. */
  constructor(private readonly jsonata: readonly JsonataModel[] = []) {}

  emit(e: Expr, scope: EmitScope): string {
    switch (e.k) {
      case "literal":
        return literal(e.value);
      case "source":
        return this.path(scope.record, e.path, e.type, e.open !== true);
      case "alias":
        return this.path(entryVariable(e.each), e.path, e.type, false);
      case "row":
        // The row is typed by the Target interface: plain property reads.
        return `${scope.record}${e.path.map((seg, i) => (i === 0 ? accessor(seg) : `?.${accessor(seg).replace(/^\./, "")}`)).join("")}`;
      case "window":
        return `(ctx.window?.${e.part} ?? null)`;
      case "env":
        return `(ctx.env(${literal(e.name)}) ?? null)`;
      case "now":
        return "ctx.now()";
      case "binary":
        return this.binary(e, scope);
      case "unary":
        return e.op === "!"
          ? `!${this.condition(e.operand, scope)}`
          : this.typed(`o.negate(${this.emit(e.operand, scope)})`, e.type, "number | null");
      case "matches":
        return `o.matches(${this.declare(`new RegExp(${literal(e.pattern)}, ${literal(e.flags)})`)}, ${this.emit(e.value, scope)})`;
      case "if":
        return `(${this.condition(e.test, scope)} ? ${this.emit(e.then, scope)} : ${this.emit(e.else, scope)})`;
      case "pipe": {
        const args = [this.emit(e.input, scope), ...e.args.map((a) => this.emit(a, scope))];
        return `p.${e.name === "default" ? "default" : e.name}(${args.join(", ")})`;
      }
      case "ref": {
        // The key of a reference is text or a number, whatever the input turned out to be.
        const sure = sureType(e.input);
        const input = this.emit(e.input, scope);
        const key = sure === "string" || sure === "date" || sure === "datetime" || sure === "int" || sure === "number" ? input : `c.key(${input})`;
        // A value that cannot be null needs no null test: a plain object literal is fastest.
        if (certain(e.input) && key === input) return `{ ${propertyKey(e.key)}: ${input} }`;
        return `p.ref(${key}, ${literal(e.key)})`;
      }
      case "map":
        return this.valueMap(e, scope);
      case "lookup":
        return `(ctx.lookup(${e.index}, ${this.emit(e.key, scope)}) ?? ${e.else ? this.emit(e.else, scope) : "null"})`;
      case "jsonata": {
        // Evaluated beforehand against the innermost entry (or the record): the runtime keys its values by input.
        const innermost = this.jsonata[e.index]?.entries.at(-1);
        return `ctx.jsonata(${e.index}, ${innermost ? entryVariable(innermost.each) : scope.record})`;
      }
      case "object":
        return `{ ${e.entries.map(([k, v]) => `${propertyKey(k)}: ${this.emit(v, scope)}`).join(", ")} }`;
      case "array":
        return `[${e.items.map((i) => this.emit(i, scope)).join(", ")}]`;
      default:
        return assertNever(e);
    }
  }

  /** An expression as a boolean: booleans as they are, other values by the language's truthiness. */
  condition(e: Expr, scope: EmitScope): string {
    const code = this.emit(e, scope);
    return e.type.base === "bool" && !e.type.nullable ? code : `o.truthy(${code})`;
  }

  /**
   * A path: a top-level record field is a property read (typed by the Source interface); deeper or
   * untyped paths go through `o.get`. Either way the value is checked against its type where it is
   * read: what a system sends is data, and the catalog's type a promise only a check can keep.
   */
  private path(variable: string, path: readonly string[], t: ValueType, typedRoot: boolean): string {
    const [first] = path;
    if (first === undefined) return variable;
    if (typedRoot && path.length === 1) {
      const read = `${variable}${accessor(first)}`;
      return t.base === "any" ? `(${read} ?? null)` : this.convert(read, t);
    }
    return this.convert(`o.get(${variable}, ${JSON.stringify(path)})`, t);
  }

  /**
   * Checks a value against a type at run time (ferry/runtime `coerce`): the value when it has the
   * type, a number as its decimal text for text, null as null; anything else fails the row.
   */
  convert(code: string, t: ValueType): string {
    switch (t.base) {
      case "string":
      case "date":
      case "datetime":
        return `c.string(${code})`;
      case "int":
        return `c.int(${code})`;
      case "number":
        return `c.number(${code})`;
      case "bool":
        return `c.bool(${code})`;
      case "ref":
        return `c.ref(${code}, ${literal(t.refKey ?? "FNumber")})`;
      case "object":
        return `c.object(${code})`;
      case "array":
        return `c.array(${code})`;
      default:
        return code;
    }
  }

  private binary(e: Extract<Expr, { k: "binary" }>, scope: EmitScope): string {
    if (e.op === "&&" || e.op === "||") return `(${this.condition(e.left, scope)} ${e.op} ${this.condition(e.right, scope)})`;
    const a = this.emit(e.left, scope);
    const b = this.emit(e.right, scope);
    if (e.op === "??") return `(${a} ?? ${b})`;
    if (e.op === "==") return `o.eq(${a}, ${b})`;
    if (e.op === "!=") return `!o.eq(${a}, ${b})`;
    if (COMPARE.has(e.op)) return `o.compare(${literal(e.op)}, ${a}, ${b})`;
    if (ARITH.has(e.op)) return this.typed(`o.arith(${literal(e.op)}, ${a}, ${b})`, e.type, "number | null");
    return this.typed(`o.plus(${a}, ${b})`, e.type, "string | number | null");
  }

  /** Narrows a helper's declared result to the checked type the checker proved. */
  private typed(code: string, t: ValueType, declared: string): string {
    const wanted = tsType(t);
    return wanted === declared || wanted === "unknown" ? code : `(${code} as ${wanted})`;
  }

  private valueMap(e: Extract<Expr, { k: "map" }>, scope: EmitScope): string {
    const input = this.emit(e.input, scope);
    const otherwise = e.else ? this.emit(e.else, scope) : "null";
    const constant = e.entries.every(([, v]) => v.k === "literal");
    if (constant && isText(sureType(e.input)) && e.entries.every(([, v]) => certain(v))) {
      // Text keys need no conversion: a Map lookup on the value itself.
      const rows = e.entries.map(([k, v]) => `[${literal(k)}, ${this.emit(v, scope)}]`).join(", ");
      const valueType = [...new Set(e.entries.map(([, v]) => tsType(v.type)))].join(" | ") || "never";
      const table = this.declare(`new Map<string | null, ${valueType}>([${rows}])`, `ReadonlyMap<string | null, ${valueType}>`);
      return `(${table}.get(${input}) ?? ${otherwise})`;
    }
    if (constant) {
      const rows = e.entries.map(([k, v]) => `[${literal(k)}, ${this.emit(v, scope)}]`).join(", ");
      const valueType = [...new Set(e.entries.map(([, v]) => tsType(v.type)))].join(" | ") || "never";
      const table = this.declare(`new Map<string | null, ${valueType}>([${rows}])`, `ReadonlyMap<string | null, ${valueType}>`);
      return `o.table(${table}, ${input}, ${otherwise})`;
    }
    const arms = e.entries.map(([k, v]) => `k === ${literal(k)} ? ${this.emit(v, scope)} : `).join("");
    return `((k: string | null) => ${arms}${otherwise})(o.key(${input}))`;
  }

  /** A module-level constant for `init`, declared once however often it is used. */
  private declare(init: string, type?: string): string {
    const known = this.names.get(init);
    if (known) return known;
    const name = `${init.startsWith("new RegExp") ? "re" : "table"}${this.names.size}`;
    this.names.set(init, name);
    this.declarations.push(`const ${name}${type ? `: ${type}` : ""} = ${init};`);
    return name;
  }
}
