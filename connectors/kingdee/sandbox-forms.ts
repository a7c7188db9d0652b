/**
 * The Kingdee sandbox's data: one table per form (BD_Customer, BD_MATERIAL) with Kingdee's row
 * validation, upsert by FNumber, save counters, and the ExecuteBillQuery reading of it. Field labels
 * and reference fields come from the catalog, so messages read like Kingdee's ("客户名称 字段是必填项").
 */
import type { FieldSchema, FormSchema } from "../catalog.js";
import { loadSystems } from "../spec/load-systems.js";

/** One entry of a ResponseStatus `Errors` list. */
export interface SandboxError {
  readonly FieldName: string | null;
  readonly Message: string;
  readonly DIndex: number;
}

/** One entry of `SuccessEntitys`. */
export interface SandboxEntity {
  readonly Id: number;
  readonly Number: string;
  readonly DIndex: number;
}

/** The BatchSave `data` switches the sandbox honours. */
export interface SaveOptions {
  readonly verifyBaseData: boolean;
  readonly autoAudit: boolean;
  /** Fields an update may change; empty: every field sent. */
  readonly updateFields: readonly string[];
  readonly returnFields: readonly string[];
}

export interface SaveOutcome {
  readonly errors: SandboxError[];
  readonly successes: SandboxEntity[];
  readonly returnData: Record<string, unknown>[];
}

/** A request the sandbox cannot serve, answered with Kingdee's error envelope and this MsgCode. */
export class KingdeeRefusal extends Error {
  constructor(
    readonly msgCode: number,
    message: string,
  ) {
    super(message);
    this.name = "KingdeeRefusal";
  }
}

/**
 * Fields a tenant added to its forms (`F_` fields), which only QueryBusinessInfo tells about: what
 * `ferry systems pull kingdee --form …` finds beyond the built-in spec. Saved rows may carry them.
 */
export const SANDBOX_TENANT_FIELDS: Readonly<Record<string, { readonly head: readonly FieldSchema[]; readonly entries?: Readonly<Record<string, readonly FieldSchema[]>> }>> = {
  BD_Customer: { head: [{ name: "F_abc_Level", type: "string", label: "客户等级" }] },
  SAL_SaleOrder: {
    head: [{ name: "F_abc_Channel", type: "string", label: "销售渠道" }],
    entries: { FSaleOrderEntry: [{ name: "F_abc_Batch", type: "string", label: "批次说明" }] },
  },
};

const FIELD_TYPES: Readonly<Record<string, string>> = {
  ref: "BaseDataField",
  string: "TextField",
  number: "DecimalField",
  int: "IntegerField",
  date: "DateField",
  datetime: "DateTimeField",
  bool: "CheckBoxField",
};

function metadataField(field: FieldSchema): Record<string, unknown> {
  return {
    Key: field.name,
    Name: [{ Key: 2052, Value: field.label ?? field.name }],
    FieldType: FIELD_TYPES[field.type] ?? "TextField",
    MustInput: field.required ? 1 : 0,
    ...(field.type === "ref" ? { LookUpObject: { FormId: "BD_Base" } } : {}),
  };
}

/** A form's metadata as QueryBusinessInfo answers it (see ./metadata.ts for the shape), tenant fields included. */
export function businessInfo(form: FormSchema): Record<string, unknown> {
  const tenant = SANDBOX_TENANT_FIELDS[form.id];
  const head = form.row.fields.filter((f) => f.type !== "array");
  const entries = form.row.fields.filter((f) => f.type === "array");
  return {
    Id: form.id,
    Name: [{ Key: 2052, Value: form.title }],
    Entrys: [
      { Key: "FBillHead", EntityType: "HeadEntity", Name: [{ Key: 2052, Value: "单据头" }], Fields: [...head, ...(tenant?.head ?? [])].map(metadataField) },
      ...entries.map((e) => ({
        Key: e.name,
        EntityType: "EntryEntity",
        Name: [{ Key: 2052, Value: e.label ?? e.name }],
        Fields: [...(e.fields ?? []), ...(tenant?.entries?.[e.name] ?? [])].map(metadataField),
      })),
    ],
  };
}

/** Organisations the sandbox knows: number → [internal id, name]. */
export const SANDBOX_ORGS: ReadonlyMap<string, readonly [number, string]> = new Map([
  ["100", [1, "总部"]],
  ["101", [100001, "华东销售公司"]],
  ["102", [100002, "华南销售公司"]],
]);

/** Reference fields that must name a known organisation. */
const ORG_FIELDS: ReadonlySet<string> = new Set(["FCreateOrgId", "FUseOrgId"]);

/** First internal id and the coding rule's prefix, per form. */
const NUMBERING: Readonly<Record<string, { readonly firstId: number; readonly prefix: string }>> = {
  BD_Customer: { firstId: 100001, prefix: "CUST" },
  BD_MATERIAL: { firstId: 200001, prefix: "MAT" },
};

const NUMBER_PATTERN = /^[A-Za-z0-9_-]+$/;

type Row = Record<string, unknown>;

const isRecord = (v: unknown): v is Row => v !== null && typeof v === "object" && !Array.isArray(v);

/** The forms of Kingdee's spec (a project's included when given), by id as Kingdee matches it (case-insensitively). */
export function sandboxForm(formId: string, operations = loadSystems().catalogs.find((c) => c.name === "kingdee")?.operations ?? []): FormSchema | undefined {
  for (const op of operations) {
    const form = op.forms?.find((f) => f.id.toLowerCase() === formId.toLowerCase());
    if (form) return form;
  }
  return undefined;
}

/** One form's rows, kept by internal id. */
export class FormTable {
  private readonly rows = new Map<number, Row>();
  private readonly idByNumber = new Map<string, number>();
  private readonly saveCounts = new Map<string, number>();
  private nextId: number;
  private nextAuto = 1;
  private total = 0;

  constructor(readonly form: FormSchema) {
    this.nextId = NUMBERING[form.id]?.firstId ?? 100001;
  }

  /** Rows by their business number (FNumber, FBillNo, …), as stored. */
  byNumber(): ReadonlyMap<string, Row> {
    return new Map([...this.rows.values()].map((r) => [String(r[this.form.number]), r]));
  }

  /** Saves of the row with this FNumber. */
  saves(number: string): number {
    return this.saveCounts.get(number) ?? 0;
  }

  totalSaves(): number {
    return this.total;
  }

  size(): number {
    return this.rows.size;
  }

  /** BatchSave: each row validated on its own; valid rows are stored even when others fail. */
  save(model: readonly unknown[], options: SaveOptions): SaveOutcome {
    const outcome: SaveOutcome = { errors: [], successes: [], returnData: [] };
    model.forEach((row, index) => {
      const problems = this.validate(row, options);
      if (problems.length > 0 || !isRecord(row)) {
        for (const [FieldName, Message] of problems) outcome.errors.push({ FieldName, Message, DIndex: index });
        return;
      }
      const saved = this.upsert(row, options);
      if (typeof saved === "string") {
        outcome.errors.push({ FieldName: "FNumber", Message: saved, DIndex: index });
        return;
      }
      outcome.successes.push({ Id: saved.id, Number: saved.number, DIndex: index });
      if (options.returnFields.length > 0) {
        const stored = this.rows.get(saved.id) ?? {};
        outcome.returnData.push(Object.fromEntries(options.returnFields.map((f) => [f, stored[f] ?? null])));
      }
    });
    return outcome;
  }

  /** [FieldName, Message] per problem, all of them, as Kingdee lists every failed check of a row. */
  private validate(row: unknown, options: SaveOptions): [string | null, string][] {
    if (!isRecord(row)) return [[null, "数据包格式不正确：Model 的每一行必须是对象"]];
    const problems: [string | null, string][] = [];
    this.validateFields(this.form.row.fields, row, "", options, problems);
    const number = row[this.form.number];
    if (number !== undefined && number !== null && number !== "" && !NUMBER_PATTERN.test(String(number))) {
      problems.push([this.form.number, `编码“${String(number)}”含有非法字符，只能使用字母、数字、下划线和短横线`]);
    }
    const id = row[this.form.key];
    if (id !== undefined && id !== null && id !== 0 && !this.rows.has(Number(id))) {
      problems.push([this.form.key, `内码为 ${String(id)} 的数据不存在或已被删除`]);
    }
    return problems;
  }

  /**
   * Checks `fields` of `row` as Kingdee does for a form's header, its sub-objects and each line of its
   * entry tables (FSaleOrderEntry…): required values present and of their kind, references resolved.
   * Field names of entry lines are given as `Entry[2].FMaterialId` (0-based), sub-objects as `Obj.F`.
   */
  private validateFields(fields: readonly FieldSchema[], row: Row, prefix: string, options: SaveOptions, problems: [string | null, string][]): void {
    for (const field of fields) {
      const value = row[field.name];
      const name = prefix + field.name;
      const required = (ok: boolean) => {
        if (field.required && !ok) problems.push([name, `${label(field)} 字段是必填项`]);
      };
      switch (field.type) {
        case "ref": {
          const problem = this.checkRef(field, value, options);
          if (problem) problems.push([name, problem]);
          break;
        }
        case "array": {
          if (value !== undefined && value !== null && !Array.isArray(value)) {
            problems.push([name, `${label(field)} 的数据格式不正确：应为分录数组`]);
            break;
          }
          const lines = Array.isArray(value) ? value : [];
          required(lines.length > 0);
          lines.forEach((line, i) => {
            if (!isRecord(line)) problems.push([`${name}[${i}]`, `${label(field)} 第${i + 1}行的数据格式不正确`]);
            else if (field.fields) this.validateFields(field.fields, line, `${name}[${i}].`, options, problems);
          });
          break;
        }
        case "object":
          if (isRecord(value) && field.fields) this.validateFields(field.fields, value, `${name}.`, options, problems);
          else required(isRecord(value));
          break;
        case "int":
        case "number":
          if (value !== undefined && value !== null && value !== "" && !Number.isFinite(Number(value))) problems.push([name, `${label(field)} 的值“${String(value)}”不是数字`]);
          else required(value !== undefined && value !== null && value !== "");
          break;
        case "bool":
          required(typeof value === "boolean");
          break;
        default:
          required(typeof value === "string" ? value.trim() !== "" : typeof value === "number");
      }
    }
  }

  /** A reference that resolves to nothing is empty; IsVerifyBaseDataField says so instead of clearing it. */
  private checkRef(field: FieldSchema, value: unknown, options: SaveOptions): string | undefined {
    const number = isRecord(value) ? value.FNumber : undefined;
    const given = typeof number === "string" || typeof number === "number" ? String(number) : undefined;
    const unknown = given !== undefined && ORG_FIELDS.has(field.name) && !SANDBOX_ORGS.has(given);
    if (unknown && options.verifyBaseData) return `${label(field)} 字段的值“${given}”在系统中不存在`;
    if (field.required && (given === undefined || given === "" || unknown)) return `${label(field)} 字段是必填项`;
    return undefined;
  }

  /** Stores a valid row: new by FNumber, or an update of the row with this FNumber or internal id. */
  private upsert(row: Row, options: SaveOptions): { id: number; number: string } | string {
    const given = row[this.form.number];
    const number = given === undefined || given === null || given === "" ? undefined : String(given);
    const rawId = row[this.form.key];
    const byId = rawId !== undefined && rawId !== null && rawId !== 0 ? Number(rawId) : undefined;
    const id = byId ?? (number === undefined ? undefined : this.idByNumber.get(number));
    const clean = this.cleared(row);
    const existing = id === undefined ? undefined : this.rows.get(id);
    if (number !== undefined && this.idByNumber.has(number) && this.idByNumber.get(number) !== id) {
      return `违反字段唯一性要求：编码唯一。[${number}]已经被使用。`;
    }
    if (existing && id !== undefined) {
      const changes = options.updateFields.length > 0 ? Object.fromEntries(options.updateFields.filter((f) => f in clean).map((f) => [f, clean[f]])) : clean;
      const oldNumber = String(existing[this.form.number]);
      const updated: Row = { ...existing, ...changes, [this.form.key]: id };
      this.rows.set(id, updated);
      const newNumber = String(updated[this.form.number]);
      if (newNumber !== oldNumber) {
        this.idByNumber.delete(oldNumber);
        this.idByNumber.set(newNumber, id);
      }
      if (options.autoAudit) updated.FDocumentStatus = "C";
      return this.count(id, newNumber);
    }
    const newId = this.nextId++;
    const newNumber = number ?? this.autoNumber();
    this.rows.set(newId, { ...clean, [this.form.key]: newId, [this.form.number]: newNumber, FDocumentStatus: options.autoAudit ? "C" : "A" });
    this.idByNumber.set(newNumber, newId);
    return this.count(newId, newNumber);
  }

  /** The row as stored: organisation references that resolve to nothing are emptied, as Kingdee does. */
  private cleared(row: Row): Row {
    const out: Row = { ...row };
    for (const field of ORG_FIELDS) {
      const value = out[field];
      if (isRecord(value) && !SANDBOX_ORGS.has(String(value.FNumber))) out[field] = null;
    }
    return out;
  }

  private count(id: number, number: string): { id: number; number: string } {
    this.saveCounts.set(number, (this.saveCounts.get(number) ?? 0) + 1);
    this.total += 1;
    return { id, number };
  }

  /** The form's coding rule: PREFIX0001, PREFIX0002, … skipping numbers already taken. */
  private autoNumber(): string {
    const prefix = NUMBERING[this.form.id]?.prefix ?? "NO";
    for (;;) {
      const candidate = `${prefix}${String(this.nextAuto++).padStart(4, "0")}`;
      if (!this.idByNumber.has(candidate)) return candidate;
    }
  }

  /**
   * ExecuteBillQuery over this form: the rows the filter keeps, in `order` (`FField [ASC|DESC]`, default
   * by internal id), `startRow` skipped, at most `limit`.
   */
  query(fieldKeys: readonly string[], filter: QueryFilter | null, startRow: number, limit: number, order = ""): unknown[][] {
    const conditions = filter?.conditions ?? [];
    for (const key of [...fieldKeys, ...conditions.map((c) => c.fieldKey)]) this.checkFieldKey(key);
    let matching = [...this.rows.values()].filter((row) => conditions.every((c) => meets(this.valueOf(row, c.fieldKey), c)));
    const sort = /^\s*([A-Za-z_][A-Za-z0-9_.]*)(?:\s+(ASC|DESC))?\s*$/i.exec(order);
    if (order.trim() !== "" && !sort) throw new KingdeeRefusal(8, `排序条件“${order}”无法解析：沙箱只支持 字段 [ASC|DESC]`);
    if (sort) {
      const key = sort[1] ?? "";
      this.checkFieldKey(key);
      const direction = (sort[2] ?? "ASC").toUpperCase() === "DESC" ? -1 : 1;
      matching = matching.sort((a, b) => {
        const x = this.valueOf(a, key);
        const y = this.valueOf(b, key);
        const order = typeof x === "number" && typeof y === "number" ? x - y : String(x ?? "") < String(y ?? "") ? -1 : String(x ?? "") > String(y ?? "") ? 1 : 0;
        return order * direction;
      });
    }
    return matching.slice(startRow, startRow + limit).map((row) => fieldKeys.map((key) => this.valueOf(row, key)));
  }

  /** Rows put in place without a save (a tenant's existing base data), numbered by the form's key. */
  seed(rows: readonly Row[]): void {
    for (const row of rows) {
      const id = this.nextId++;
      const number = String(row[this.form.number] ?? this.autoNumber());
      this.rows.set(id, { ...row, [this.form.key]: id, [this.form.number]: number });
      this.idByNumber.set(number, id);
    }
  }

  private checkFieldKey(key: string): void {
    const [field = ""] = key.split(".");
    const known = field === this.form.key || field === "FDocumentStatus" || this.form.row.fields.some((f) => f.name === field);
    if (!known || key.split(".").length > 2) throw new KingdeeRefusal(9, `字段“${key}”在业务对象“${this.form.id}”中不存在`);
  }

  /** A FieldKeys value: plain fields as stored; `X.FNumber`/`X.FName` of a reference; a bare reference is its internal id. */
  private valueOf(row: Row, key: string): unknown {
    const [field = "", sub] = key.split(".");
    const value = row[field];
    if (!isRecord(value)) return sub === undefined ? (value ?? null) : null;
    const org = SANDBOX_ORGS.get(String(value.FNumber));
    if (sub === undefined) return org?.[0] ?? 0;
    if (sub === "FName" && org) return org[1];
    return value[sub] ?? null;
  }
}

/** One condition of a FilterString: `F in ('a','b')`, `F = 'a'`, `F >= '2024-09-01 00:00:00'`, … */
export interface QueryCondition {
  readonly fieldKey: string;
  readonly op: "in" | "=" | "<>" | ">=" | "<=" | ">" | "<";
  readonly values: readonly string[];
}

/** A FilterString as the sandbox reads it: conditions joined by `and`. */
export interface QueryFilter {
  readonly conditions: readonly QueryCondition[];
}

const FIELD_KEY = "([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)?)";
const VALUE = "(?:'((?:[^']|'')*)'|(-?\\d+(?:\\.\\d+)?))";

/**
 * Parses a FilterString of conditions joined by `and` (`FNumber in ('a','b')`, `FModifyDate >= '…'`);
 * quotes are doubled inside values, numbers bare. Null for an empty filter. Kingdee accepts far more
 * SQL; what the sandbox cannot read it refuses with MsgCode 8, naming the filter.
 */
export function parseFilter(text: string): QueryFilter | null {
  if (text.trim() === "") return null;
  const unreadable = (why: string) => new KingdeeRefusal(8, `过滤条件“${text}”无法解析：${why}`);
  const conditions: QueryCondition[] = [];
  for (const part of splitAnd(text)) {
    const list = new RegExp(`^\\s*${FIELD_KEY}\\s+in\\s*\\((.*)\\)\\s*$`, "is").exec(part);
    if (list) {
      conditions.push({ fieldKey: list[1] ?? "", op: "in", values: valueList(list[2] ?? "", unreadable) });
      continue;
    }
    const compare = new RegExp(`^\\s*${FIELD_KEY}\\s*(>=|<=|<>|=|>|<)\\s*${VALUE}\\s*$`, "s").exec(part);
    if (!compare) throw unreadable("沙箱只支持 字段 in ('值1','值2') 与 字段 >= '值' 之类的比较，以 and 连接");
    conditions.push({ fieldKey: compare[1] ?? "", op: compare[2] as QueryCondition["op"], values: [compare[3] !== undefined ? compare[3].replaceAll("''", "'") : (compare[4] ?? "")] });
  }
  return { conditions };
}

/** The parts of a filter between top-level `and`s (not inside quotes). */
function splitAnd(text: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "'") quoted = !quoted;
    else if (!quoted && /^\sand\s/i.test(text.slice(i, i + 5))) {
      parts.push(text.slice(start, i));
      start = i + 5;
      i += 4;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function valueList(body: string, unreadable: (why: string) => KingdeeRefusal): string[] {
  const values: string[] = [];
  const item = new RegExp(`\\s*${VALUE}\\s*(,|$)`, "y");
  let at = 0;
  let more = body.trim() !== "";
  while (more) {
    item.lastIndex = at;
    const m = item.exec(body);
    if (!m) throw unreadable("值列表格式不正确");
    values.push(m[1] !== undefined ? m[1].replaceAll("''", "'") : (m[2] ?? ""));
    at = item.lastIndex;
    more = m[3] === ",";
    if (more && at >= body.length) throw unreadable("值列表格式不正确");
  }
  return values;
}

/** Whether a stored value meets a condition: numbers compare as numbers, everything else as text. */
export function meets(value: unknown, condition: QueryCondition): boolean {
  const text = value === null || value === undefined ? "" : String(value);
  if (condition.op === "in") return condition.values.includes(text);
  const other = condition.values[0] ?? "";
  const numeric = text !== "" && other !== "" && Number.isFinite(Number(text)) && Number.isFinite(Number(other));
  const order = numeric ? Number(text) - Number(other) : text < other ? -1 : text > other ? 1 : 0;
  switch (condition.op) {
    case "=":
      return order === 0;
    case "<>":
      return order !== 0;
    case ">=":
      return order >= 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    case "<":
      return order < 0;
  }
}

function label(field: FieldSchema): string {
  return field.label ?? field.name;
}
