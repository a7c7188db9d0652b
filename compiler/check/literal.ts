import type * as ast from "../ast.js";
import type { JsonValue } from "../model.js";

/**
 * The JSON value of a literal expression (objects, arrays, strings, numbers, booleans, null and
 * negated numbers), or undefined when the expression depends on a record.
 */
export function literalValue(e: ast.Expr): JsonValue | undefined {
  switch (e.kind) {
    case "string":
    case "bool":
      return e.value;
    case "number":
      return e.value;
    case "null":
      return null;
    case "unary":
      if (e.op === "-" && e.operand.kind === "number") return -e.operand.value;
      return undefined;
    case "array": {
      const items: JsonValue[] = [];
      for (const item of e.items) {
        const v = literalValue(item);
        if (v === undefined) return undefined;
        items.push(v);
      }
      return items;
    }
    case "object": {
      // A null-prototype object: keys such as __proto__ stay plain data.
      const out: Record<string, JsonValue> = Object.create(null) as Record<string, JsonValue>;
      for (const entry of e.entries) {
        const v = literalValue(entry.value);
        if (v === undefined) return undefined;
        out[entry.key.text] = v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** The first sub-expression that is not a literal, for pointing at it. */
export function firstNonLiteral(e: ast.Expr): ast.Expr | undefined {
  if (literalValue(e) !== undefined) return undefined;
  if (e.kind === "array") return e.items.map(firstNonLiteral).find((x) => x !== undefined) ?? e;
  if (e.kind === "object") return e.entries.map((x) => firstNonLiteral(x.value)).find((x) => x !== undefined) ?? e;
  return e;
}
