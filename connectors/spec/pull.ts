/**
 * Spec files written from what a live tenant says of itself (`ferry systems pull`): a Kingdee form's
 * fields from QueryBusinessInfo, a Banniu project's columns from column.list. Only what the other
 * specs lack is written, as an `extends` file of its own that a pull rewrites whole, so pulling
 * twice writes the same bytes and a field declared by hand elsewhere is never declared twice.
 */
import type { ConnectorCatalog, FieldSchema, FieldType } from "../catalog.js";
import type { PulledField, PulledForm } from "../kingdee/metadata.js";

/** A YAML scalar: plain where that is safe, JSON-quoted otherwise (YAML reads JSON strings). */
function scalar(text: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.\-/]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~)$/i.test(text) ? text : JSON.stringify(text);
}

function fieldLine(field: { readonly type: FieldType; readonly label?: string; readonly required?: boolean; readonly refKey?: string; readonly description?: string }): string {
  const parts = [`type: ${field.type}`];
  if (field.type === "ref") parts.push(`refKey: ${scalar(field.refKey ?? "FNumber")}`);
  if (field.required) parts.push("required: true");
  if (field.label) parts.push(`label: ${scalar(field.label)}`);
  if (field.description) parts.push(`description: ${JSON.stringify(field.description)}`);
  return `{ ${parts.join(", ")} }`;
}

function header(lines: readonly string[]): string {
  return `# yaml-language-server: $schema=../node_modules/ferry/systems/system.schema.json\n${lines.map((l) => `# ${l}`).join("\n")}\n`;
}

export interface PullResult {
  /** The spec file's text. */
  readonly text: string;
  /** Dotted names of the fields it adds. */
  readonly added: readonly string[];
}

/**
 * The extension of Kingdee's spec for one form as the tenant has it: the fields (head and entry
 * tables) that `kingdee` as the other specs define it lacks; the whole form when it has none.
 */
export function kingdeeFormSpec(pulled: PulledForm, kingdee: ConnectorCatalog | undefined, command: string): PullResult {
  const op = kingdee?.operations.find((o) => o.name === "batchSave");
  const known = op?.forms?.find((f) => f.id.toLowerCase() === pulled.id.toLowerCase());
  const added: string[] = [];
  const lines: string[] = [];
  const indent = "        ";
  const has = (fields: readonly FieldSchema[] | undefined, name: string) => fields?.some((f) => f.name === name) === true;
  const write = (fields: readonly PulledField[], existing: readonly FieldSchema[] | undefined, pad: string, prefix: string) => {
    for (const f of fields) {
      if (has(existing, f.name)) continue;
      lines.push(`${pad}${scalar(f.name)}: ${fieldLine(f)}`);
      added.push(prefix + f.name);
    }
  };
  write(pulled.fields, known?.row.fields, `${indent}  `, "");
  for (const entry of pulled.entries) {
    const existing = known?.row.fields.find((f) => f.name === entry.key);
    const body: string[] = [];
    for (const f of entry.fields) {
      if (has(existing?.fields, f.name)) continue;
      body.push(`${indent}      ${scalar(f.name)}: ${fieldLine(f)}`);
      added.push(`${entry.key}.${f.name}`);
    }
    if (body.length === 0 && existing) continue;
    // An entry table the spec has gains fields; one it lacks is declared with its fields.
    lines.push(`${indent}  ${scalar(entry.key)}:`, `${indent}    type: array`, ...(existing || !entry.label ? [] : [`${indent}    label: ${scalar(entry.label)}`]), `${indent}    fields:`, ...body);
    if (!existing) added.push(entry.key);
  }
  const form = known
    ? [`      ${scalar(pulled.id)}:`, `        fields:`, ...(lines.length ? lines : [])]
    : [
        `      ${scalar(pulled.id)}:`,
        `        title: ${scalar(pulled.title ?? pulled.id)}`,
        `        key: ${scalar(pulled.fields.find((f) => /^F(ID|[A-Z]+ID)$/.test(f.name))?.name ?? "FID")}`,
        `        number: ${scalar(pulled.fields.some((f) => f.name === "FBillNo") ? "FBillNo" : "FNumber")}`,
        `        fields:`,
        ...lines,
      ];
  const text =
    header([`Kingdee form ${pulled.id}${pulled.title ? ` (${pulled.title})` : ""} as the tenant has it, from QueryBusinessInfo:`, `the fields ferry's spec lacks. Written by \`${command}\`; pulling again rewrites it.`]) +
    (added.length === 0
      ? `# Nothing to add: every field of ${pulled.id} is in the other specs.\nextends: kingdee\n`
      : ["extends: kingdee", "operations:", "  batchSave:", "    forms:", ...form].join("\n") + "\n");
  return { text, added };
}

/** Banniu's behaviour types (column.list) to ferry's types: what a task row's value for the column is. */
const BEHAVIOUR_TYPES: Readonly<Record<number, FieldType>> = { 1: "string", 2: "number", 3: "string", 4: "string", 7: "datetime", 9: "number" };

/** A column as column.list answers it; anything else in a row is ignored. */
export interface BanniuColumn {
  readonly id: string;
  readonly name: string;
  readonly type: FieldType;
  readonly description?: string;
}

/** The columns of a column.list answer's rows; rows without an id or a name are skipped. */
export function banniuColumns(rows: readonly unknown[]): BanniuColumn[] {
  const out: BanniuColumn[] = [];
  for (const row of rows) {
    if (row === null || typeof row !== "object") continue;
    const r = row as Record<string, unknown>;
    const id = typeof r.column_id === "number" || (typeof r.column_id === "string" && /^\d+$/.test(r.column_id)) ? String(r.column_id) : undefined;
    const name = typeof r.name === "string" && r.name.trim() !== "" ? r.name.trim() : undefined;
    if (!id || !name) continue;
    const behaviour = Number(r.behaviorType);
    const options = Array.isArray(r.options) ? r.options.filter((o): o is { id: unknown; title: unknown } => o !== null && typeof o === "object") : [];
    const choices = options.map((o) => `${String(o.id)} ${String(o.title)}`).join(", ");
    out.push({ id, name, type: BEHAVIOUR_TYPES[behaviour] ?? "string", ...(choices ? { description: `options: ${choices}` } : {}) });
  }
  return out.sort((a, b) => Number(a.id) - Number(b.id));
}

/** The extension of Banniu's spec for one project: its columns, named and typed, in task rows and updates. */
export function banniuProjectSpec(project: string, columns: readonly BanniuColumn[], banniu: ConnectorCatalog | undefined, command: string): PullResult {
  const listed = banniu?.operations.find((o) => o.name === "task.list")?.record?.fields ?? [];
  const fresh = columns.filter((c) => !listed.some((f) => f.name === c.id));
  const line = (c: BanniuColumn, pad: string) => `${pad}${JSON.stringify(c.id)}: ${fieldLine({ type: c.type, label: c.name, ...(c.description ? { description: c.description } : {}) })}`;
  const writes = ["task.update", "task.batchUpdate", "task.create"].filter((name) => banniu?.operations.some((o) => o.name === name && o.record?.fields.some((f) => f.name === "contents")));
  const body = [
    "extends: banniu",
    "operations:",
    "  task.list:",
    "    record:",
    "      fields:",
    ...fresh.map((c) => line(c, "        ")),
    ...writes.flatMap((name) => {
      const contents = banniu?.operations.find((o) => o.name === name)?.record?.fields.find((f) => f.name === "contents")?.fields ?? [];
      const mine = columns.filter((c) => !contents.some((f) => f.name === c.id));
      return mine.length ? [`  ${name}:`, "    record:", "      fields:", "        contents:", "          type: object", "          fields:", ...mine.map((c) => line(c, "            "))] : [];
    }),
  ];
  const text =
    header([`Banniu project ${project}'s columns, from column.list: column ids named and typed in task rows and updates.`, `Written by \`${command}\`; pulling again rewrites it.`]) +
    (fresh.length === 0 && writes.length === 0 ? `# Nothing to add.\nextends: banniu\n` : `${body.join("\n")}\n`);
  return { text, added: columns.map((c) => `${c.id} ${c.name}`) };
}
