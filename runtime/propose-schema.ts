/**
 * A record schema proposed from records as a system sent them (`ferry systems sample`): every key
 * that came, the type its values had (text that is always a number stays text: the system sends
 * it so), whether every record carried it, nested objects and lists of objects to a few levels.
 */
import type { FieldType } from "../connectors/catalog.js";

export interface ProposedField {
  readonly name: string;
  readonly type: FieldType;
  /** Every record (or element) carried a value. */
  readonly always: boolean;
  readonly fields?: readonly ProposedField[];
}

const MAX_DEPTH = 4;
const DATETIME = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?/;
const DATE = /^\d{4}-\d\d-\d\d$/;

function kindOf(value: unknown): FieldType {
  if (Array.isArray(value)) return "array";
  if (typeof value === "bigint") return "int";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "number";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "object" && value !== null) return "object";
  if (typeof value === "string" && DATE.test(value)) return "date";
  if (typeof value === "string" && DATETIME.test(value)) return "datetime";
  return "string";
}

/** The wider of two kinds seen for one key (an int and a number are a number; anything else mixed is text). */
function widen(a: FieldType, b: FieldType): FieldType {
  if (a === b) return a;
  const numbers = new Set<FieldType>(["int", "number"]);
  if (numbers.has(a) && numbers.has(b)) return "number";
  const dates = new Set<FieldType>(["date", "datetime"]);
  if (dates.has(a) && dates.has(b)) return "datetime";
  return "string";
}

/** The fields of `records` (objects; anything else is passed over), in the order keys first came. */
export function proposeFields(records: readonly unknown[], depth = 0): ProposedField[] {
  const objects = records.filter((r): r is Record<string, unknown> => r !== null && typeof r === "object" && !Array.isArray(r));
  const seen = new Map<string, { type: FieldType | undefined; count: number; nested: unknown[] }>();
  for (const record of objects) {
    for (const [key, value] of Object.entries(record)) {
      const entry = seen.get(key) ?? { type: undefined, count: 0, nested: [] };
      if (value !== null && value !== undefined && value !== "") {
        const kind = kindOf(value);
        entry.type = entry.type === undefined ? kind : widen(entry.type, kind);
        entry.count++;
        if (kind === "object") entry.nested.push(value);
        if (kind === "array") entry.nested.push(...(value as unknown[]));
      }
      seen.set(key, entry);
    }
  }
  return [...seen].map(([name, e]) => {
    const type = e.type ?? "string";
    const nested = (type === "object" || type === "array") && depth + 1 < MAX_DEPTH ? proposeFields(e.nested, depth + 1) : [];
    return { name, type, always: e.count === objects.length && objects.length > 0, ...(nested.length ? { fields: nested } : {}) };
  });
}

/** The proposed fields as the `fields:` mapping of a spec file, indented by `pad`. */
export function schemaYaml(fields: readonly ProposedField[], pad: string): string {
  let out = "";
  for (const f of fields) {
    const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name) ? f.name : JSON.stringify(f.name);
    const required = f.always ? ", required: true" : "";
    if (f.fields?.length) out += `${pad}${key}:\n${pad}  type: ${f.type}\n${f.always ? `${pad}  required: true\n` : ""}${pad}  fields:\n${schemaYaml(f.fields, `${pad}    `)}`;
    else out += `${pad}${key}: { type: ${f.type}${required} }\n`;
  }
  return out;
}
