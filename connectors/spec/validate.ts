/**
 * Checks a parsed spec against the published JSON Schema (systems/system.schema.json), turning each
 * schema violation into a problem at the place it was written, in words a spec author understands.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { SpecFile, SpecPath, SpecProblem } from "./spec-file.js";

/** Where the schema lives, from this module (source and dist share the layout). */
export const SYSTEM_SCHEMA_FILE = fileURLToPath(new URL(`${import.meta.url.includes("/dist/") ? "../../../" : "../../"}systems/system.schema.json`, import.meta.url));

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(SYSTEM_SCHEMA_FILE, "utf8")) as object;
    // strict off: draft-07 descriptions beside $ref are for editors; ajv would only warn about them.
    // Loaded on first use, like yaml: built-in specs come from their cache without it.
    const { Ajv } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
    compiled = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  }
  return compiled;
}

/** Problems of `value` against the spec schema; empty when it fits. */
export function validateSpec(spec: SpecFile, value: unknown): SpecProblem[] {
  const validate = validator();
  if (validate(value)) return [];
  const errors = simplify(validate.errors ?? []);
  return errors.map((error) => problemOf(spec, error, value));
}

/** One error per place: a `oneOf` or `const` failing beside a clearer error says nothing more. */
function simplify(errors: readonly ErrorObject[]): ErrorObject[] {
  const clear = new Set(errors.filter((e) => !VAGUE.has(e.keyword)).map((e) => e.instancePath));
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const error of errors) {
    if (VAGUE.has(error.keyword) && clear.has(error.instancePath)) continue;
    const key = `${error.instancePath}\u0000${error.keyword}\u0000${JSON.stringify(error.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(error);
  }
  return out;
}

const VAGUE: ReadonlySet<string> = new Set(["oneOf", "anyOf", "const", "if"]);

function pathOf(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function valueAt(value: unknown, path: SpecPath): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[String(part)];
  }
  return current;
}

/** `operations › gy.erp.shop.get › params`: where a problem is, in the spec's own names. */
function where(path: SpecPath): string {
  return path.length === 0 ? "the spec" : `\`${path.join(".")}\``;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === "number" ? "the number" : "the value"} ${String(value)}`;
}

function problemOf(spec: SpecFile, error: ErrorObject, root: unknown): SpecProblem {
  const path = pathOf(error.instancePath);
  const value = valueAt(root, path);
  const base = { code: "MAP5002" as const, file: spec.file };
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter((k) => k !== "$schema");
      return {
        ...base,
        message: `unknown key \`${key}\` in ${where(path)}`,
        span: spec.locate([...path, key], { key: true }),
        label: "not part of the spec format here",
        got: key,
        expected: allowed,
        notes: allowed.length ? [`${where(path)} may have: ${allowed.join(", ")}`] : [],
      };
    }
    case "required": {
      const missing = String(params.missingProperty);
      return { ...base, message: `${where(path)} is missing \`${missing}\``, span: spec.locate(path, { key: true }), label: `add \`${missing}\`` };
    }
    case "enum": {
      const allowed = ((params.allowedValues as unknown[]) ?? []).map(String);
      return {
        ...base,
        message: `${where(path)} is ${kindOf(value)}, not one of ${allowed.join(", ")}`,
        span: spec.locate(path),
        label: "not allowed here",
        got: typeof value === "string" ? value : undefined,
        expected: allowed,
      } as SpecProblem;
    }
    case "type":
      return { ...base, message: `${where(path)} is ${kindOf(value)}, expected ${describeType(String(params.type))}`, span: spec.locate(path), label: `expected ${describeType(String(params.type))}` };
    case "pattern": {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return {
        ...base,
        message: `${where(path)} is ${kindOf(value)}, which does not fit${description ? `: ${firstSentence(description)}` : ` the pattern ${String(params.pattern)}`}`,
        span: spec.locate(path),
        label: "does not fit",
      };
    }
    case "oneOf":
      if (path.length === 0) {
        return { ...base, message: "a spec names exactly one of `system` (a new system) or `extends` (adds to a system defined elsewhere)", span: spec.locate([]), label: "name `system` or `extends`" };
      }
      break;
    case "minimum":
    case "maximum":
    case "minLength":
      return { ...base, message: `${where(path)} is ${kindOf(value)}: it ${error.message ?? "is out of range"}`, span: spec.locate(path), label: "out of range" };
  }
  return { ...base, message: `${where(path)}: ${error.message ?? "does not fit the spec format"}`, span: spec.locate(path) };
}

function describeType(type: string): string {
  return type
    .split(",")
    .map((t) => ({ object: "a mapping", array: "a list", string: "text", integer: "a whole number", number: "a number", boolean: "true or false" })[t] ?? t)
    .join(" or ");
}

function firstSentence(text: string): string {
  const end = text.search(/[.:](\s|$)/);
  return (end < 0 ? text : text.slice(0, end)).replace(/^A /, "a ").replace(/^An /, "an ");
}
