/**
 * Turning a LookupRequest into ExecuteBillQuery calls and its 2-D answers back into rows shaped as
 * they were written: the runtime compares them field by field with what it meant to write, so a
 * base-data reference must come back as `{"FNumber": "100"}`, not as the flat `X.FNumber` column.
 */
import type { TargetState } from "../../runtime/connector.js";
import { CallError } from "../../runtime/faults.js";
import type { ConnectorCatalog, FieldSchema, FormSchema } from "../catalog.js";
import { kindOf } from "../http/answer.js";
import { loadSystems } from "../spec/load-systems.js";

/** Values per FilterString: keeps the SQL Kingdee builds from it well below any statement limit. */
export const LOOKUP_CHUNK = 500;
/** ExecuteBillQuery's ceiling on rows per call. */
export const QUERY_LIMIT = 2000;

/** How one FieldKeys column goes back into a row. */
interface Column {
  /** The FieldKeys entry, e.g. "FCreateOrgId.FNumber". */
  readonly fieldKey: string;
  /** The row field it fills, e.g. "FCreateOrgId". */
  readonly field: string;
  /** For references: the key inside the reference object, e.g. "FNumber". */
  readonly refKey: string | undefined;
}

/** The query plan of one lookup: which columns to ask for and where the key and id sit. */
export interface QueryPlan {
  readonly formId: string;
  readonly fieldKeys: string;
  /** The key field as FilterString and FieldKeys name it. */
  readonly keyColumn: string;
  readonly columns: readonly Column[];
  /** Index in each answered row of the key, and of the internal id (null when the form's key field is unknown). */
  readonly keyIndex: number;
  readonly idIndex: number | null;
  /** How many of `columns` are the requested fields (the rest are the key and id, added for us). */
  readonly rowColumns: number;
}

/** The form's schema from Kingdee's spec (a project's, when its run passes it); undefined for forms no spec describes. */
export function formOf(formId: string, system: ConnectorCatalog | undefined): FormSchema | undefined {
  for (const op of (system ?? loadSystems().catalogs.find((c) => c.name === "kingdee"))?.operations ?? []) {
    const form = op.forms?.find((f) => f.id.toLowerCase() === formId.toLowerCase());
    if (form) return form;
  }
  return undefined;
}

function columnOf(field: string, schema: FormSchema | undefined): Column {
  const fieldSchema: FieldSchema | undefined = schema?.row.fields.find((f) => f.name === field);
  if (fieldSchema?.type === "ref") {
    const refKey = fieldSchema.refKey ?? "FNumber";
    return { fieldKey: `${field}.${refKey}`, field, refKey };
  }
  return { fieldKey: field, field, refKey: undefined };
}

/**
 * Plans the query for `fields` of `formId` keyed by `key`. Reference fields are known from the
 * catalog's form schema; a form it does not know is queried with every field taken as plain.
 */
export function planQuery(formId: string, key: string, fields: readonly string[], system?: ConnectorCatalog): QueryPlan {
  const schema = formOf(formId, system);
  const columns = [...new Set(fields)].map((f) => columnOf(f, schema));
  const rowColumns = columns.length;
  const keyColumn = key.includes(".") ? key : columnOf(key, schema).fieldKey;
  const find = (fieldKey: string) => columns.findIndex((c) => c.fieldKey === fieldKey);
  let keyIndex = find(keyColumn);
  if (keyIndex < 0) {
    columns.push({ fieldKey: keyColumn, field: keyColumn, refKey: undefined });
    keyIndex = columns.length - 1;
  }
  let idIndex: number | null = null;
  if (schema) {
    idIndex = find(schema.key);
    if (idIndex < 0) {
      columns.push({ fieldKey: schema.key, field: schema.key, refKey: undefined });
      idIndex = columns.length - 1;
    }
  }
  return { formId, fieldKeys: columns.map((c) => c.fieldKey).join(","), keyColumn, columns, keyIndex, idIndex, rowColumns };
}

/** `FNumber in ('a','b')`, quotes doubled as Kingdee's SQL-like filters escape them. */
export function filterString(column: string, values: readonly string[]): string {
  return `${column} in (${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(",")})`;
}

/** Splits `values` into chunks of at most `size`. */
export function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/** The rows of one ExecuteBillQuery answer; throws malformed when it is not a 2-D array of the planned width. */
export function queryRows(call: string, answer: unknown, plan: QueryPlan): unknown[][] {
  if (!Array.isArray(answer)) throw new CallError(call, "malformed", `the query answer is ${kindOf(answer)}, not a 2-D array`);
  return answer.map((row, i) => {
    if (!Array.isArray(row) || row.length !== plan.columns.length) {
      const found = Array.isArray(row) ? `${row.length} values` : kindOf(row);
      throw new CallError(call, "malformed", `query row ${i + 1} has ${found}, expected ${plan.columns.length} (${plan.fieldKeys})`);
    }
    return row as unknown[];
  });
}

/** One answered row as TargetState: the requested fields, references rebuilt as objects. */
export function targetState(values: readonly unknown[], plan: QueryPlan): TargetState {
  const row: Record<string, unknown> = {};
  plan.columns.slice(0, plan.rowColumns).forEach((column, i) => {
    const value = values[i] ?? null;
    // An empty reference column means the row holds no reference, not a reference to "".
    row[column.field] = column.refKey === undefined ? value : value === null || value === "" ? null : { [column.refKey]: value };
  });
  const id = plan.idIndex === null ? null : values[plan.idIndex];
  return { key: String(values[plan.keyIndex] ?? ""), targetId: id === null || id === undefined || id === "" || id === 0 ? null : String(id), row };
}
