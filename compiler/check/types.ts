import type { FieldType } from "../../connectors/catalog.js";
import type { BaseType, ValueType } from "../model.js";

/** Types a field may declare after `:`. */
export const FIELD_TYPES: readonly FieldType[] = [
  "string", "int", "number", "bool", "date", "datetime", "ref", "object", "array",
];

export function isFieldType(name: string): name is FieldType {
  return (FIELD_TYPES as readonly string[]).includes(name);
}

export function type(base: BaseType, nullable = false, extra: Partial<ValueType> = {}): ValueType {
  return { base, nullable, ...extra };
}

export const ANY: ValueType = { base: "any", nullable: true };

export function nonNull(t: ValueType): ValueType {
  return { ...t, nullable: false, fromOptionalSource: false };
}

export function isNumeric(t: ValueType): boolean {
  return t.base === "int" || t.base === "number" || t.base === "any";
}

export function isTextual(t: ValueType): boolean {
  return t.base === "string" || t.base === "date" || t.base === "datetime" || t.base === "any";
}

/** The common type of two branches (if/else, `??`, value-map results). */
export function join(a: ValueType, b: ValueType): ValueType {
  const nullable = a.nullable || b.nullable;
  const fromOptionalSource = Boolean(a.fromOptionalSource || b.fromOptionalSource);
  if (a.base === "null") return { ...b, nullable: true, fromOptionalSource };
  if (b.base === "null") return { ...a, nullable: true, fromOptionalSource };
  if (a.base === b.base) {
    const refKey = a.refKey === b.refKey ? a.refKey : undefined;
    return { base: a.base, nullable, refKey, fromOptionalSource };
  }
  if (isNumeric(a) && isNumeric(b) && a.base !== "any" && b.base !== "any") return { base: "number", nullable, fromOptionalSource };
  if (isTextual(a) && isTextual(b) && a.base !== "any" && b.base !== "any") return { base: "string", nullable, fromOptionalSource };
  return { base: "any", nullable, fromOptionalSource };
}

/** Whether a declared field type and the catalog's type for that field describe the same data. */
export function sameKind(declared: FieldType, catalog: FieldType): boolean {
  if (declared === catalog) return true;
  const numeric = ["int", "number"];
  const textual = ["string", "date", "datetime"];
  return (numeric.includes(declared) && numeric.includes(catalog)) || (textual.includes(declared) && textual.includes(catalog));
}

/** Why a value of type `value` cannot feed a field of type `field`, or undefined when it can. */
export function assignProblem(value: ValueType, field: FieldType): string | undefined {
  if (value.base === "any" || value.base === "null") return undefined;
  const ok: Record<FieldType, readonly BaseType[]> = {
    string: ["string", "date", "datetime"],
    date: ["string", "date", "datetime"],
    datetime: ["string", "date", "datetime"],
    int: ["int"],
    number: ["int", "number"],
    bool: ["bool"],
    ref: ["ref"],
    object: ["object", "ref"],
    array: ["array"],
  };
  if (ok[field].includes(value.base)) return undefined;
  return `${article(value.base)} ${value.base} cannot be written to a ${field} field`;
}

/** The pipe that converts `value` into `field`, for hints. */
export function conversionHint(value: ValueType, field: FieldType): string | undefined {
  if (field === "string" && isNumeric(value)) return "convert it with `| string`";
  if (field === "int" && (value.base === "string" || value.base === "number")) return "convert it with `| int`";
  if (field === "number" && value.base === "string") return "convert it with `| number`";
  if (field === "ref") return "wrap the value with `| ref(FNumber)` (or the key the target expects)";
  return undefined;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

export function describe(t: ValueType): string {
  const base = t.base === "ref" && t.refKey ? `ref(${t.refKey})` : t.base;
  return t.nullable && t.base !== "null" ? `${base}?` : base;
}
