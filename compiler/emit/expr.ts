import type { Expr, ValueType } from "../model.js";
import { assertNever } from "../ast.js";
import { accessor, literal, propertyKey } from "./names.js";

/** How names in an expression reach their data in generated code. */
export interface EmitScope {
  /** The variable holding the record (`src`), the row (`row`) or an `each` element. */
  readonly record: string;
  readonly alias?: { readonly name: string; readonly variable: string };
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

  emit(e: Expr, scope: EmitScope): string {
    switch (e.k) {
      case "literal":
        return literal(e.value);
      case "source":
        // Keys allowed by pattern carry whatever the system sends: convert to the checked type.
        return this.path(scope.record, e.path, e.type, e.open !== true);
      case "alias":
        return this.path(scope.alias?.variable ?? scope.record, e.path, e.type, false);
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
      case "ref":
        // A value that cannot be null needs no null test: a plain object literal is fastest.
        if (certain(e.input)) return `{ ${propertyKey(e.key)}: ${this.emit(e.input, scope)} }`;
        return `p.ref(${this.emit(e.input, scope)}, ${literal(e.key)})`;
      case "map":
        return this.valueMap(e, scope);
      case "lookup":
        return `(ctx.lookup(${e.index}, ${this.emit(e.key, scope)}) ?? ${e.else ? this.emit(e.else, scope) : "null"})`;
      case "jsonata":
        return `ctx.jsonata(${e.index})`;
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
   * A path: a top-level record field is read directly (typed by the Source interface); deeper or
   * untyped paths go through `o.get`, and their value is converted to the checked type.
   */
  private path(variable: string, path: readonly string[], t: ValueType, typedRoot: boolean): string {
    const [first] = path;
    if (first === undefined) return variable;
    if (typedRoot && path.length === 1) {
      const read = `${variable}${accessor(first)}`;
      return t.nullable ? `(${read} ?? null)` : read;
    }
    return this.convert(`o.get(${variable}, ${JSON.stringify(path)})`, t);
  }

  /** Converts an untyped value into the checked type (a checked conversion, failing the row on bad data). */
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
      case "object":
      case "ref":
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
    if (constant && e.input.type.base === "string" && e.entries.every(([, v]) => certain(v))) {
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
