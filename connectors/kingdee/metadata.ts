/**
 * Reading a form's metadata from Kingdee's QueryBusinessInfo (元数据查询), for `ferry systems pull
 * kingdee --form …`: which fields a tenant's form has, its own `F_` fields among them.
 *
 * Kingdee does not document the answer's structure ("文档未说明"; API-FACTS.md), and public scripts
 * read it loosely. The shape read here is the one those scripts read: `Result.NeedReturnData` (or
 * `NeedReturnData`, or the answer itself) holding the form's `Id`, its localized `Name`, and
 * `Entrys` (also seen as `Entities`/`EntityList`), each entity with its `Key`, `EntityType` (the head
 * or an entry table), localized `Name` and `Fields`; a field has `Key`, a localized `Name`
 * (`[{"Key":2052,"Value":"客户名称"}]` or plain text), `FieldType`/`ElementType`, `MustInput` and,
 * for base data, `LookUpObject`. Anything missing is tolerated: a field without a key is skipped,
 * an unknown type is read as text, and what cannot be read at all is one clear error.
 */
import type { FieldType } from "../catalog.js";

export interface PulledField {
  readonly name: string;
  readonly type: FieldType;
  readonly label?: string;
  readonly required?: boolean;
  readonly refKey?: string;
}

export interface PulledForm {
  readonly id: string;
  readonly title: string | undefined;
  /** Fields of the form's head. */
  readonly fields: readonly PulledField[];
  /** Entry tables (分录) by key, with their fields. */
  readonly entries: readonly { readonly key: string; readonly label: string | undefined; readonly fields: readonly PulledField[] }[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** A localized name: `[{Key: 2052, Value}]` (the zh-CN one first), `{"2052": …}` or plain text. */
export function localized(value: unknown, lcid = 2052): string | undefined {
  if (typeof value === "string") return value.trim() || undefined;
  if (Array.isArray(value)) {
    const entries = value.filter(isObject);
    const chosen = entries.find((e) => Number(e.Key) === lcid) ?? entries[0];
    return typeof chosen?.Value === "string" ? chosen.Value.trim() || undefined : undefined;
  }
  if (isObject(value)) {
    const chosen = value[String(lcid)] ?? Object.values(value)[0];
    return typeof chosen === "string" ? chosen.trim() || undefined : undefined;
  }
  return undefined;
}

function first(object: Json, keys: readonly string[]): unknown {
  for (const key of keys) if (object[key] !== undefined) return object[key];
  return undefined;
}

/** Kingdee's field kinds (as their element or field type names them) to ferry's types. */
function typeOf(field: Json): { type: FieldType; refKey?: string } {
  if (first(field, ["LookUpObject", "LookupObject", "LookUpObjectFormId"]) !== undefined) return { type: "ref", refKey: "FNumber" };
  const kind = String(first(field, ["FieldType", "ElementType", "Type"]) ?? "").toLowerCase();
  if (/basedata|assistant|lookup|org|user/.test(kind)) return { type: "ref", refKey: "FNumber" };
  if (/decimal|price|amount|qty|quantity|float|money/.test(kind)) return { type: "number" };
  if (/integer|int32|int64|\bint\b/.test(kind)) return { type: "int" };
  if (/datetime|date/.test(kind)) return { type: kind.includes("time") ? "datetime" : "date" };
  if (/check|bool/.test(kind)) return { type: "bool" };
  return { type: "string" };
}

function fieldsOf(entity: Json): PulledField[] {
  const list = first(entity, ["Fields", "FieldList", "Properties"]);
  if (!Array.isArray(list)) return [];
  const out: PulledField[] = [];
  for (const raw of list) {
    if (!isObject(raw)) continue;
    const name = first(raw, ["Key", "FieldName", "Name"]);
    if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    const label = localized(first(raw, ["Name", "Caption"]));
    const must = first(raw, ["MustInput", "IsMustInput", "Required"]);
    const { type, refKey } = typeOf(raw);
    out.push({ name, type, ...(label && label !== name ? { label } : {}), ...(must === true || must === 1 || must === "1" ? { required: true } : {}), ...(refKey ? { refKey } : {}) });
  }
  return out;
}

/** The form a QueryBusinessInfo answer describes; throws an Error saying what it found instead. */
export function readBusinessInfo(answer: unknown, formId: string): PulledForm {
  const result = isObject(answer) && isObject(answer.Result) ? answer.Result : answer;
  const data = isObject(result) ? (first(result, ["NeedReturnData", "Data"]) ?? result) : undefined;
  const form = Array.isArray(data) ? data.find(isObject) : data;
  if (!isObject(form)) throw new Error(`QueryBusinessInfo answered no form metadata for ${formId}`);
  const entities = first(form, ["Entrys", "Entities", "EntityList", "Entries"]);
  if (!Array.isArray(entities)) throw new Error(`QueryBusinessInfo answered no entities (Entrys) for ${formId}`);
  const head: PulledField[] = [];
  const entries: { key: string; label: string | undefined; fields: PulledField[] }[] = [];
  for (const raw of entities) {
    if (!isObject(raw)) continue;
    const key = String(first(raw, ["Key", "Id", "EntryName"]) ?? "");
    const kind = String(first(raw, ["EntityType", "Type"]) ?? "").toLowerCase();
    const fields = fieldsOf(raw);
    // The head (FBillHead) and sub-heads one-to-one with it hold the bill's own fields.
    if (kind.includes("head") || key === "FBillHead" || key === "") head.push(...fields);
    else entries.push({ key, label: localized(first(raw, ["Name", "Caption"])), fields });
  }
  return { id: String(form.Id ?? formId), title: localized(form.Name), fields: head, entries };
}
