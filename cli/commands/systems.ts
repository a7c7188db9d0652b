import type { ConnectorCatalog, FieldSchema, FormSchema, OperationSchema } from "../../connectors/catalog.js";
import { didYouMean } from "../../compiler/suggest.js";
import { originFile, projectSystems } from "../../compiler/systems.js";
import { displayWidth } from "../../compiler/text-width.js";
import { UsageError } from "../../compiler/files.js";
import { colors, EXIT, type Io } from "../io.js";
import { printDiagnostics } from "../report.js";

/** `text` padded with spaces to `width` columns, Chinese counting two. */
function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join("  ").trimEnd());
}

/**
 * `ferry systems [name] [operation|form]`: the systems a project's flows are checked against — ferry's
 * built-in specs and the project's systems/ folder — with their operations, forms and fields.
 */
export function systemsCommand(io: Io, name: string | undefined, item: string | undefined): number {
  const systems = projectSystems(io.cwd);
  const problems = [...systems.texts].map(([file, text]) => ({ text, diagnostics: systems.diagnostics.filter((d) => d.file === file) })).filter((r) => r.diagnostics.length > 0);
  printDiagnostics(io, problems);
  const failed = systems.diagnostics.some((d) => d.severity === "error");
  const lines = name === undefined ? overview(systems.catalogs, io.cwd) : detail(systems.catalogs, name, item, io.cwd);
  io.stdout.write(`${lines.join("\n")}\n`);
  if (failed) io.stderr.write(`${colors(io).red("error")}: the specs above have errors; the systems they define are left out\n`);
  return failed ? EXIT.inputErrors : EXIT.ok;
}

function where(c: ConnectorCatalog, cwd: string): string {
  return (c.files ?? []).map((f) => originFile({ file: f, line: 0, column: 0 }, cwd)).join(" + ");
}

function overview(catalogs: readonly ConnectorCatalog[], cwd: string): string[] {
  const rows = catalogs.map((c) => {
    const reads = c.operations.filter((o) => o.direction === "read").length;
    const writes = c.operations.length - reads;
    const forms = c.operations.reduce((n, o) => n + (o.forms?.length ?? 0), 0);
    return [c.name, c.title, c.protocol ?? "", `${reads} reads, ${writes} writes${forms ? `, ${forms} forms` : ""}`, where(c, cwd)];
  });
  return [...table([["system", "title", "protocol", "operations", "defined in"], ...rows]), "", "ferry systems <system> lists its operations; ferry systems <system> <operation|form> its fields"];
}

function detail(catalogs: readonly ConnectorCatalog[], name: string, item: string | undefined, cwd: string): string[] {
  const system = catalogs.find((c) => c.name === name);
  if (!system) throw new UsageError(`no system is named \`${name}\`${hintOf(name, catalogs.map((c) => c.name))}; systems: ${catalogs.map((c) => c.name).join(", ")}`);
  if (item !== undefined) return itemDetail(system, item);
  const head = `${system.name} — ${system.title} (protocol ${system.protocol ?? "?"}; ${where(system, cwd)})`;
  const ops = (direction: "read" | "write") =>
    table(
      system.operations
        .filter((o) => o.direction === direction)
        .map((o) => [`  ${o.name}`, o.label ?? "", summary(o)]),
    );
  const variables = [
    ...(system.connection?.url ? [`${system.connection.url.variable}${system.connection.url.default ? ` (default ${system.connection.url.default})` : ""}`] : []),
    ...(system.connection?.credentials ?? []).map((c) => `${c.variable}${c.required ? "" : " (optional)"}`),
  ];
  return [head, "", "reads", ...ops("read"), "", "writes", ...ops("write"), "", `variables: ${variables.join(", ")}`];
}

function summary(op: OperationSchema): string {
  const parts: string[] = [];
  if (op.window) parts.push(`window ${op.window.startParam}..${op.window.endParam}${op.limits?.maxWindowMs ? ` ≤ ${duration(op.limits.maxWindowMs)}` : ""}`);
  if (op.paging && op.paging.kind !== "none") parts.push(`page ${op.paging.kind} ${op.paging.param ?? ""}${op.limits?.maxPageSize ? ` ≤ ${op.limits.maxPageSize}` : ""}`);
  if (op.response) parts.push(`records ${op.response.records}`);
  if (op.forms?.length) parts.push(`forms ${op.forms.map((f) => f.id).join(", ")}`);
  if (op.sendAs) parts.push(`sent as ${op.sendAs}`);
  if (op.direction === "write") parts.push(op.confirm ? `confirmed by ${op.confirm}` : "at-least-once");
  return parts.join(" · ");
}

function duration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function itemDetail(system: ConnectorCatalog, item: string): string[] {
  const op = system.operations.find((o) => o.name === item);
  const form = system.operations.flatMap((o) => o.forms ?? []).find((f) => f.id.toLowerCase() === item.toLowerCase());
  if (op) {
    const params = op.params.length ? ["params", ...table(op.params.map((p) => [`  ${p.name}`, p.type + (p.required ? " (required)" : ""), p.label ?? "", p.description]))] : [];
    const record = op.record ? [op.direction === "read" ? "records" : "rows", ...fieldRows(op.record.fields), ...(op.record.openKeys ? [`  other keys: ${op.record.openKeys.pattern} (${op.record.openKeys.description})`] : [])] : [];
    const forms = op.forms?.length ? ["forms", ...table(op.forms.map((f) => [`  ${f.id}`, f.title, `${f.row.fields.length} fields`]))] : [];
    return [`${system.name} ${op.name}${op.label ? ` ${op.label}` : ""} (${op.direction})`, `  ${op.description}`, `  ${summary(op)}`, "", ...params, ...(params.length ? [""] : []), ...record, ...forms];
  }
  if (form) return formDetail(form);
  const names = [...system.operations.map((o) => o.name), ...system.operations.flatMap((o) => (o.forms ?? []).map((f) => f.id))];
  throw new UsageError(`${system.name} has no operation or form \`${item}\`${hintOf(item, names)}`);
}

function formDetail(form: FormSchema): string[] {
  return [`${form.id} ${form.title} (key ${form.key}, number ${form.number})`, "", ...fieldRows(form.row.fields)];
}

function fieldRows(fields: readonly FieldSchema[]): string[] {
  const rows: string[][] = [];
  const walk = (list: readonly FieldSchema[], depth: number) => {
    for (const f of list) {
      rows.push([`${"  ".repeat(depth + 1)}${f.name}`, f.type + (f.type === "ref" && f.refKey ? `(${f.refKey})` : "") + (f.required ? " (required)" : ""), f.label ?? ""]);
      if (f.fields) walk(f.fields, depth + 1);
    }
  };
  walk(fields, 0);
  return table(rows);
}

function hintOf(name: string, names: readonly string[]): string {
  const hint = didYouMean(name, names);
  return hint ? ` (${hint})` : "";
}
