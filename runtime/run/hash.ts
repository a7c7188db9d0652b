import { createHash } from "node:crypto";

/** JSON with object keys sorted, so equal content always gives equal text. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

/** The content hash the write record keeps: equal rows, equal hash, whatever their key order. */
export function contentHash(row: unknown): string {
  return createHash("sha256").update(stableJson(row)).digest("hex").slice(0, 32);
}
