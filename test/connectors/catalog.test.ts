import { describe, expect, it } from "vitest";
import {
  builtinCatalogs,
  findConnector,
  findOperation,
  type ConnectorCatalog,
  type FieldSchema,
  type OperationSchema,
  type RecordSchema,
} from "../../connectors/index.js";

const CONNECTORS = builtinCatalogs();

const operations: [string, string, OperationSchema][] = CONNECTORS.flatMap((c) =>
  c.operations.map((op): [string, string, OperationSchema] => [c.name, op.name, op]),
);
const readOps = operations.filter(([, , op]) => op.direction === "read");
const writeOps = operations.filter(([, , op]) => op.direction === "write");

/** Every record schema an operation declares, its own and its forms'. */
function recordsOf(op: OperationSchema): RecordSchema[] {
  return [...(op.record ? [op.record] : []), ...(op.forms ?? []).map((f) => f.row)];
}

/** Every field, nested ones included, with its dotted path. */
function allFields(fields: readonly FieldSchema[], prefix = ""): [string, FieldSchema][] {
  return fields.flatMap((f): [string, FieldSchema][] => [
    [prefix + f.name, f],
    ...allFields(f.fields ?? [], `${prefix}${f.name}.`),
  ]);
}

const duplicates = (names: readonly string[]): string[] => names.filter((n, i) => names.indexOf(n) !== i);

describe("connector catalogs", () => {
  it("have unique connector names", () => {
    expect(duplicates(CONNECTORS.map((c) => c.name))).toEqual([]);
  });

  it.each(CONNECTORS.map((c): [string, ConnectorCatalog] => [c.name, c]))("%s: operation names are unique", (_, c) => {
    expect(c.operations.length).toBeGreaterThan(0);
    expect(duplicates(c.operations.map((op) => op.name))).toEqual([]);
  });

  it.each(CONNECTORS.map((c): [string, ConnectorCatalog] => [c.name, c]))("%s: defaults are sane", (_, c) => {
    const { retry, timeoutMs, rate } = c.defaults;
    expect(retry.attempts).toBeGreaterThanOrEqual(1);
    expect(retry.minMs).toBeGreaterThan(0);
    expect(retry.maxMs).toBeGreaterThanOrEqual(retry.minMs);
    expect(timeoutMs).toBeGreaterThan(0);
    if (rate) expect(rate.count / rate.perMs).toBeGreaterThan(0);
  });

  it.each(operations)("%s %s: params, options and forms are unique", (_, __, op) => {
    expect(duplicates(op.params.map((p) => p.name))).toEqual([]);
    expect(duplicates((op.options ?? []).map((o) => o.name))).toEqual([]);
    expect(duplicates((op.forms ?? []).map((f) => f.id))).toEqual([]);
  });

  it.each(operations)("%s %s: record fields are unique and ref fields have a refKey", (_, __, op) => {
    for (const record of recordsOf(op)) {
      expect(duplicates(record.fields.map((f) => f.name)), record.title).toEqual([]);
      for (const [path, field] of allFields(record.fields)) {
        if (field.type === "ref") expect(field.refKey, `${record.title}: ${path}`).toBeTruthy();
        else expect(field.refKey, `${record.title}: ${path}`).toBeUndefined();
        if (field.openKeys) expect(field.type, `${record.title}: ${path}`).toBe("object");
      }
    }
  });

  it.each(operations)("%s %s: open-key patterns are valid regular expressions", (_, __, op) => {
    const patterns = recordsOf(op).flatMap((r) => [
      ...(r.openKeys ? [r.openKeys.pattern] : []),
      ...allFields(r.fields).flatMap(([, f]) => (f.openKeys ? [f.openKeys.pattern] : [])),
    ]);
    for (const p of patterns) expect(() => new RegExp(p)).not.toThrow();
  });

  it.each(readOps)("%s %s: records and total paths appear in response.paths", (_, __, op) => {
    expect(op.response).toBeDefined();
    expect(op.record).toBeDefined();
    const response = op.response!;
    expect(duplicates(response.paths)).toEqual([]);
    expect(response.paths).toContain(response.records);
    if (response.total !== undefined) expect(response.paths).toContain(response.total);
  });

  it.each(writeOps)("%s %s: has a record or forms", (_, __, op) => {
    expect(op.record !== undefined || (op.forms?.length ?? 0) > 0).toBe(true);
    expect(op.response).toBeUndefined();
  });

  it.each(operations)("%s %s: defaults stay within limits", (_, __, op) => {
    const { defaults = {}, limits = {} } = op;
    if (defaults.batch !== undefined && limits.maxBatch !== undefined)
      expect(defaults.batch).toBeLessThanOrEqual(limits.maxBatch);
    if (defaults.pageSize !== undefined && limits.maxPageSize !== undefined)
      expect(defaults.pageSize).toBeLessThanOrEqual(limits.maxPageSize);
    if (defaults.batch !== undefined) expect(op.direction).toBe("write");
  });

  it.each(operations.flatMap(([c, name, op]) => (op.forms ?? []).map((f) => [c, name, f.id, f] as const)))(
    "%s %s form %s: key and number fields exist in the row",
    (_, __, ___, form) => {
      const names = form.row.fields.map((f) => f.name);
      expect(names).toContain(form.key);
      expect(names).toContain(form.number);
    },
  );

  it.each([
    ["guanyi", "gy.erp.shop.get", undefined, ["id", "code", "name"]],
    ["kingdee", "batchSave", "BD_Customer", ["FName", "FCreateOrgId"]],
    ["kingdee", "batchSave", "BD_MATERIAL", ["FName", "FCreateOrgId"]],
    ["banniu", "task.list", undefined, ["-1"]],
    ["banniu", "task.update", undefined, ["project_id", "task_id", "contents"]],
    ["banniu", "task.batchUpdate", undefined, ["project_id", "task_id", "contents"]],
  ] as const)("%s %s %s: required fields are declared required", (c, op, form, required) => {
    const operation = findOperation(findConnector(c)!, op)!;
    const record = form ? operation.forms?.find((f) => f.id === form)?.row : operation.record;
    expect(record).toBeDefined();
    const actual = record!.fields.filter((f) => f.required).map((f) => f.name);
    expect(actual).toEqual([...required]);
  });
});

describe("findConnector / findOperation", () => {
  it.each([
    ["guanyi", "gy.erp.shop.get", "read"],
    ["kingdee", "batchSave", "write"],
    ["kingdee", "executeBillQuery", "read"],
    ["banniu", "task.list", "read"],
    ["banniu", "task.update", "write"],
    ["banniu", "task.batchUpdate", "write"],
  ] as const)("finds %s %s", (c, op, direction) => {
    const connector = findConnector(c);
    expect(connector?.name).toBe(c);
    expect(findOperation(connector!, op)?.direction).toBe(direction);
  });

  it.each(["", "Guanyi", "kingdee ", "unknown"])("finds no connector %j", (name) => {
    expect(findConnector(name)).toBeUndefined();
  });

  it.each([
    ["kingdee", "BatchSave"],
    ["kingdee", "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave"],
    ["guanyi", "gy.erp.shop"],
    ["banniu", "task.get"],
  ])("finds no operation %s %s (names are exact .map names)", (c, op) => {
    expect(findOperation(findConnector(c)!, op)).toBeUndefined();
  });

  it("carries the Kingdee wire names", () => {
    const kingdee = findConnector("kingdee")!;
    expect(findOperation(kingdee, "batchSave")?.wireName).toBe(
      "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave",
    );
  });
});
