/**
 * Seeded records for any read operation, generated from its record schema, so a sandbox can serve
 * a system nobody wrote data for: ids count up, the window's field spreads the records over the two
 * days before `now`, nested rows (entry tables, detail lines) get one to three elements.
 */
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { seededRandom } from "../../runtime/random.js";
import type { FieldSchema, OperationSchema } from "../catalog.js";

const SPREAD_MS = 2 * 86_400_000;

/** The records of `op`: `count` of them, the same for the same seed and `now`. */
export function specRecords(op: OperationSchema, count: number, seed: number, now: number): Record<string, unknown>[] {
  const random = seededRandom(seed ^ hashText(op.name));
  const fields = op.record?.fields ?? [];
  const idField = op.id ?? fields.find((f) => f.required && (f.type === "int" || f.type === "string"))?.name;
  const windowField = op.window?.field;
  const format = op.window?.format ?? "yyyy-MM-dd HH:mm:ss";
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    // Oldest first, one second apart at least, ending a minute before now.
    const at = now - 60_000 - Math.floor(((count - i) * SPREAD_MS) / Math.max(1, count));
    records.push(recordOf(fields, i, random, { idField, windowField, at: formatAt(at, format) }));
  }
  return records;
}

interface Context {
  readonly idField: string | undefined;
  readonly windowField: string | undefined;
  readonly at: string;
}

function recordOf(fields: readonly FieldSchema[], index: number, random: () => number, ctx: Context): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const field of fields) {
    // Optional values are sometimes absent, as in real answers; nested rows (an order's lines) always come.
    if (!field.required && field.type !== "array" && random() < 0.1) continue;
    record[field.name] = valueOf(field, index, random, ctx);
  }
  return record;
}

function valueOf(field: FieldSchema, index: number, random: () => number, ctx: Context): unknown {
  if (field.enum && field.enum.length > 0) return field.enum[Math.floor(random() * field.enum.length)];
  const isId = field.name === ctx.idField;
  switch (field.type) {
    case "int":
      return isId ? 100_001 + index : Math.floor(random() * 1000);
    case "number":
      return Math.round(random() * 100_000) / 100;
    case "bool":
      return random() < 0.5;
    case "string":
      return isId ? `${field.name.toUpperCase()}${String(index + 1).padStart(6, "0")}` : `${field.label ?? field.name}-${index + 1}`;
    case "date":
      return ctx.at.slice(0, 10);
    case "datetime":
      return ctx.at;
    case "ref":
      return { [field.refKey ?? "FNumber"]: `REF${(index % 50) + 1}` };
    case "object":
      return recordOf(field.fields ?? [], index, random, { ...ctx, idField: undefined });
    case "array": {
      if (!field.fields || field.fields.length === 0) return [];
      const n = 1 + Math.floor(random() * 3);
      const child = field.fields.find((f) => f.required && f.type === "int")?.name;
      return Array.from({ length: n }, (_, j) => recordOf(field.fields ?? [], index * 10 + j, random, { ...ctx, idField: child }));
    }
  }
}

function formatAt(ms: number, format: string): string {
  if (format === "epoch-seconds") return String(Math.floor(ms / 1000));
  if (format === "epoch-millis") return String(ms);
  return formatDateTime(ms, format, SHANGHAI_UTC_OFFSET_MINUTES);
}

function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
