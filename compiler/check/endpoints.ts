import type * as ast from "../ast.js";
import type { ConnectorCatalog, OperationSchema, RecordSchema } from "../../connectors/catalog.js";
import { findConnector, findOperation } from "../../connectors/index.js";
import type { PageSpec, RateSpec, RetrySpec, Scalar, SourceSpec, TargetSpec, WindowSpec } from "../../runtime/types.js";
import type { ParamModel } from "../model.js";
import { didYouMean } from "../suggest.js";
import { originSpan } from "../systems.js";
import { listNames, type Reporter } from "./context.js";
import type { ExprChecker } from "./expr.js";
import { validateDateFormat } from "./expr.js";
import { type } from "./types.js";

const SOURCE_SETTINGS = ["params", "window", "page", "records", "total", "id", "number", "rate", "retry", "timeout"] as const;
const TARGET_SETTINGS = ["form", "batch", "option", "idcheck", "rate", "retry", "timeout"] as const;
const PAGE_MODES = ["number", "offset", "cursor"] as const;
const RATE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };
const DEFAULT_WINDOW_FORMAT = "yyyy-MM-dd HH:mm:ss";

export interface ResolvedEndpoint {
  readonly connector: ConnectorCatalog | undefined;
  readonly operation: OperationSchema | undefined;
}

/** Finds the connector and operation an endpoint names, reporting misspellings. */
export function resolveEndpoint(reporter: Reporter, decl: ast.EndpointDecl, systems: readonly ConnectorCatalog[]): ResolvedEndpoint {
  const connector = findConnector(decl.connector.text, systems);
  if (!connector) {
    reporter.report("MAP3001", decl.connector.span, `unknown connector \`${decl.connector.text}\``, {
      hint: didYouMean(decl.connector.text, systems.map((c) => c.name)),
      notes: [`connectors: ${systems.map((c) => c.name).join(", ")}`, "a project can add a system as a spec file in its systems/ folder"],
    });
    return { connector: undefined, operation: undefined };
  }
  const direction = decl.kind === "source" ? "read" : "write";
  const usable = connector.operations.filter((o) => o.direction === direction).map((o) => o.name);
  const operation = findOperation(connector, decl.operation.value, direction);
  if (!operation) {
    reporter.report("MAP3002", decl.operation.span, `${connector.name} has no operation ${JSON.stringify(decl.operation.value)}`, {
      hint: didYouMean(decl.operation.value, connector.operations.map((o) => o.name)),
      notes: [`${connector.name} ${direction} operations: ${listNames(usable)}`, `an operation of ${connector.name} can be added in the project's systems/ folder (\`extends: ${connector.name}\`)`],
      related: connector.origin ? [{ message: `${connector.name} is defined here`, file: connector.origin.file, span: originSpan(connector.origin) }] : undefined,
    });
    return { connector, operation: undefined };
  }
  if (operation.direction !== direction) {
    reporter.report("MAP3002", decl.operation.span, `${operation.name} is a ${operation.direction} operation and cannot be a ${decl.kind}`, {
      notes: [`${connector.name} ${direction} operations: ${listNames(usable)}`],
    });
    return { connector, operation: undefined };
  }
  return { connector, operation };
}

/** Reports settings given twice or in the wrong block; returns them by kind. */
function settingsByKind(reporter: Reporter, decl: ast.EndpointDecl, allowed: readonly string[]): Map<string, ast.Setting[]> {
  const byKind = new Map<string, ast.Setting[]>();
  for (const s of decl.settings) {
    if (!allowed.includes(s.kind)) {
      const other = decl.kind === "source" ? "target" : "source";
      reporter.report("MAP3006", s.span, `\`${s.kind}\` is not a ${decl.kind} setting`, {
        hint: `${decl.kind} settings: ${allowed.join(", ")}${(decl.kind === "source" ? TARGET_SETTINGS : SOURCE_SETTINGS).includes(s.kind as never) ? `; \`${s.kind}\` belongs in the ${other} block` : ""}`,
      });
      continue;
    }
    const list = byKind.get(s.kind) ?? [];
    if (list.length > 0 && s.kind !== "option") {
      reporter.report("MAP2014", s.span, `\`${s.kind}\` is given twice`, { hint: "keep one" });
      continue;
    }
    list.push(s);
    byKind.set(s.kind, list);
  }
  return byKind;
}

function one<K extends ast.Setting["kind"]>(byKind: Map<string, ast.Setting[]>, kind: K): (ast.Setting & { kind: K }) | undefined {
  return byKind.get(kind)?.[0] as (ast.Setting & { kind: K }) | undefined;
}

function pathText(p: ast.PathExpr): string {
  return p.segments.map((s) => s.text).join(".");
}

function positiveInt(reporter: Reporter, n: ast.NumberLit, what: string, max?: number): number {
  if (!Number.isInteger(n.value) || n.value < 1) {
    reporter.report("MAP2020", n.span, `${what} must be a whole number of at least 1`);
    return 1;
  }
  if (max !== undefined && n.value > max) {
    reporter.report("MAP2020", n.span, `${what} ${n.value} is over the limit of ${max}`);
    return max;
  }
  return n.value;
}

function rate(reporter: Reporter, s: ast.RateSetting | undefined, fallback: RateSpec | undefined): RateSpec | null {
  if (!s) return fallback ?? null;
  const perMs = RATE_UNITS[s.unit.text];
  if (perMs === undefined) {
    reporter.report("MAP2020", s.unit.span, `unknown rate unit \`${s.unit.text}\``, { hint: "write 2/s, 100/m or 1000/h" });
  }
  return { count: positiveInt(reporter, s.count, "the rate"), perMs: perMs ?? 1000 };
}

/** The longest wait a setting may ask for: a call timeout, a backoff. Longer is a typo (`30d` for `30s`). */
const MAX_WAIT_MS = 3_600_000;

/** A call timeout: more than nothing, at most an hour. */
function timeoutMs(reporter: Reporter, s: ast.TimeoutSetting | undefined, fallback: number): number {
  if (!s) return fallback;
  if (!(s.duration.ms > 0) || s.duration.ms > MAX_WAIT_MS) {
    reporter.report("MAP2020", s.duration.span, `timeout ${s.duration.raw} is out of range: give a time above 0 and at most 1h`);
    return fallback;
  }
  return s.duration.ms;
}

function retry(reporter: Reporter, s: ast.RetrySetting | undefined, fallback: RetrySpec): RetrySpec {
  if (!s) return fallback;
  const attempts = s.attempts.value;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 20) {
    reporter.report("MAP2020", s.attempts.span, "retry takes a whole number of attempts from 0 to 20");
  }
  const minMs = s.backoffMin?.ms ?? fallback.minMs;
  const maxMs = s.backoffMax?.ms ?? Math.max(fallback.maxMs, minMs);
  if (s.backoffMin && s.backoffMax && minMs > maxMs) {
    reporter.report("MAP2020", s.backoffMin.span, `backoff starts at ${s.backoffMin.raw}, above its maximum ${s.backoffMax.raw}`);
  }
  const longest = s.backoffMax ?? s.backoffMin;
  if (longest && longest.ms > MAX_WAIT_MS) reporter.report("MAP2020", longest.span, `backoff ${longest.raw} is over the limit of 1h`);
  return { attempts: Math.max(0, Math.trunc(attempts)), minMs, maxMs };
}

function paramNames(op: OperationSchema | undefined): string[] {
  return op ? op.params.map((p) => p.name) : [];
}

function checkParam(reporter: Reporter, op: OperationSchema | undefined, name: ast.Name): void {
  if (!op || op.anyParams || op.params.some((p) => p.name === name.text)) return;
  reporter.report("MAP3007", name.span, `${op.name} has no request parameter \`${name.text}\``, {
    hint: didYouMean(name.text, paramNames(op)),
    notes: [`${op.name} takes: ${listNames(paramNames(op))}`],
  });
}

function checkResponsePath(reporter: Reporter, op: OperationSchema | undefined, path: ast.PathExpr): string {
  const text = pathText(path);
  if (op?.response && !op.anyResponsePath && !op.response.paths.includes(text)) {
    reporter.report("MAP3008", path.span, `${op.name} responses have no \`${text}\``, {
      hint: didYouMean(text, op.response.paths),
      notes: [`${op.name} responses have: ${listNames(op.response.paths)}`],
    });
  }
  return text;
}

export interface SourceResult {
  readonly spec: SourceSpec & { readonly title: string; readonly paramValues: readonly ParamModel[] };
  readonly schema: RecordSchema | undefined;
  /** The `id` path, resolved later against the record schema. */
  readonly idPaths: readonly ast.PathExpr[];
  /** Params the operation fills from the record paths the flow reads when the flow gives none (Kingdee FieldKeys). */
  readonly fillFromReads: readonly string[];
}

/**
 * The source spec with the params the operation fills from what the flow reads: Kingdee's
 * ExecuteBillQuery returns the FieldKeys asked for, so the flow's own paths are the ones to ask.
 */
export function withFilledParams(result: SourceResult, reads: readonly string[]): SourceResult["spec"] {
  if (result.fillFromReads.length === 0) return result.spec;
  const value = [...new Set(reads)].join(",");
  const filled: ParamModel[] = result.fillFromReads.map((name) => ({ name, value: { k: "literal", value, type: type("string") } }));
  const paramValues = [...result.spec.paramValues, ...filled];
  return { ...result.spec, params: paramValues.map((p) => p.name), paramValues };
}

/** Checks a source block against its operation and fills defaults. */
export function checkSource(reporter: Reporter, decl: ast.EndpointDecl, exprs: ExprChecker, systems: readonly ConnectorCatalog[]): SourceResult {
  const { connector, operation: op } = resolveEndpoint(reporter, decl, systems);
  const byKind = settingsByKind(reporter, decl, SOURCE_SETTINGS);
  const schema = op?.record;

  const windowSetting = one(byKind, "window");
  let window: WindowSpec | null = null;
  if (windowSetting) {
    if (windowSetting.startParam) checkParam(reporter, op, windowSetting.startParam);
    if (windowSetting.endParam) checkParam(reporter, op, windowSetting.endParam);
    if (windowSetting.format) validateDateFormat(reporter, windowSetting.format);
    const limit = op?.limits?.maxWindowMs;
    const step = windowSetting.step?.ms ?? null;
    if (limit !== undefined && (step === null || step > limit)) {
      reporter.report("MAP3010", windowSetting.step?.span ?? windowSetting.span, `${op?.name} refuses windows longer than ${humanDuration(limit)}`, {
        hint: `add \`step ${humanDuration(limit)}\` (or shorter) to the window`,
      });
    }
    if (step !== null && step < 1000) reporter.report("MAP2020", windowSetting.step?.span ?? windowSetting.span, "the window step must be at least 1s");
    window = {
      startParam: windowSetting.startParam?.text ?? null,
      endParam: windowSetting.endParam?.text ?? null,
      stepMs: step,
      from: windowSetting.from?.value ?? null,
      format: windowSetting.format?.value ?? DEFAULT_WINDOW_FORMAT,
    };
  }

  const scope = { kind: "param" as const, source: schema, hasWindow: window !== null };
  const paramValues: ParamModel[] = [];
  let windowCarried = false;
  for (const entry of one(byKind, "params")?.entries ?? []) {
    checkParam(reporter, op, entry.name);
    if (paramValues.some((p) => p.name === entry.name.text)) {
      reporter.report("MAP2014", entry.name.span, `parameter \`${entry.name.text}\` is given twice`);
      continue;
    }
    const before = exprs.windowUses;
    paramValues.push({ name: entry.name.text, value: exprs.check(entry.value, scope) });
    if (exprs.windowUses > before) windowCarried = true;
  }
  if (windowSetting && !windowSetting.startParam && !windowCarried) {
    reporter.report("MAP2017", windowSetting.span, "the window names no parameters, and no parameter uses `window.start` or `window.end`: no request would carry it", {
      hint: "name the window's parameters (`window start_date .. end_date`) or use the bounds in a parameter, e.g. `FilterString <- \"FModifyDate >= '\" + window.start + \"'\"`",
    });
  }

  const pageSetting = one(byKind, "page");
  let page: PageSpec | null = null;
  if (pageSetting) page = checkPage(reporter, op, pageSetting);

  const recordsSetting = one(byKind, "records");
  const records = recordsSetting ? checkResponsePath(reporter, op, recordsSetting.path) : op?.response?.records;
  if (!records && op) reporter.report("MAP3009", decl.headSpan, "the source needs `records <path>`: where the rows sit in a response");
  const totalSetting = one(byKind, "total");
  const total = totalSetting ? checkResponsePath(reporter, op, totalSetting.path) : null;

  const idSetting = one(byKind, "id");
  if (!idSetting) {
    reporter.report("MAP3009", decl.headSpan, "the source needs `id <path>`: the field that identifies a record", {
      hint: "ferry keys the write record by it, so a re-run never writes a row twice",
    });
  }
  const numberSetting = one(byKind, "number");
  const timeout = one(byKind, "timeout");

  return {
    spec: {
      connector: decl.connector.text,
      operation: decl.operation.value,
      title: connector ? `${connector.title} ${decl.operation.value}` : decl.operation.value,
      params: paramValues.map((p) => p.name),
      paramValues,
      window,
      page,
      records: records ?? "records",
      total,
      id: idSetting ? pathText(idSetting.path) : "id",
      number: numberSetting ? pathText(numberSetting.path) : null,
      rate: rate(reporter, one(byKind, "rate"), op?.defaults?.rate ?? connector?.defaults.rate),
      retry: retry(reporter, one(byKind, "retry"), connector?.defaults.retry ?? { attempts: 3, minMs: 1000, maxMs: 30_000 }),
      timeoutMs: timeoutMs(reporter, timeout, connector?.defaults.timeoutMs ?? 30_000),
    },
    schema,
    idPaths: [idSetting?.path, numberSetting?.path].filter((p): p is ast.PathExpr => p !== undefined),
    fillFromReads: (op?.params ?? []).filter((p) => p.fill === "reads" && !paramValues.some((v) => v.name === p.name)).map((p) => p.name),
  };
}

function checkPage(reporter: Reporter, op: OperationSchema | undefined, s: ast.PageSetting): PageSpec {
  const mode = (PAGE_MODES as readonly string[]).includes(s.mode.text) ? (s.mode.text as PageSpec["mode"]) : undefined;
  if (!mode) {
    reporter.report("MAP3006", s.mode.span, `unknown paging mode \`${s.mode.text}\``, {
      hint: didYouMean(s.mode.text, PAGE_MODES) ?? "paging modes: number, offset, cursor",
    });
  }
  checkParam(reporter, op, s.param);
  if (s.sizeParam) checkParam(reporter, op, s.sizeParam);
  let from: number | string = mode === "number" ? 1 : 0;
  if (mode === "cursor") {
    if (!s.from || s.from.kind !== "path") {
      reporter.report("MAP3009", s.span, "cursor paging needs `from <responsePath>`: where the next cursor sits");
      from = "";
    } else {
      from = checkResponsePath(reporter, op, s.from);
    }
  } else if (s.from) {
    if (s.from.kind !== "number" || !Number.isInteger(s.from.value) || s.from.value < 0) {
      reporter.report("MAP2020", s.from.span, `the first ${mode === "offset" ? "offset" : "page"} must be a whole number`);
    } else {
      from = s.from.value;
    }
  }
  const size = s.size ? positiveInt(reporter, s.size, "the page size", op?.limits?.maxPageSize) : (op?.defaults?.pageSize ?? null);
  return { mode: mode ?? "number", param: s.param.text, from, sizeParam: s.sizeParam?.text ?? null, size };
}

export interface TargetResult {
  readonly spec: TargetSpec & { readonly title: string };
  readonly schema: RecordSchema | undefined;
  readonly idcheck: ast.PathExpr | undefined;
}

/** Checks a target block against its operation, form and options, and fills defaults. */
export function checkTarget(reporter: Reporter, decl: ast.EndpointDecl, systems: readonly ConnectorCatalog[]): TargetResult {
  const { connector, operation: op } = resolveEndpoint(reporter, decl, systems);
  const byKind = settingsByKind(reporter, decl, TARGET_SETTINGS);

  let schema = op?.record;
  const formSetting = one(byKind, "form");
  let form: string | null = null;
  if (op?.forms) {
    if (!formSetting) {
      reporter.report("MAP3009", decl.headSpan, `${op.name} writes through a form: add \`form "<FormId>"\``, {
        notes: [`forms: ${listNames(op.forms.map((f) => f.id))}`],
      });
    } else {
      const found = op.forms.find((f) => f.id === formSetting.form.value);
      if (!found) {
        reporter.report("MAP3005", formSetting.form.span, `unknown form ${JSON.stringify(formSetting.form.value)}`, {
          hint: didYouMean(formSetting.form.value, op.forms.map((f) => f.id)),
          notes: [`${connector?.name} forms: ${listNames(op.forms.map((f) => f.id))}`],
        });
      } else {
        schema = found.row;
        form = found.id;
      }
    }
  } else if (formSetting && op) {
    reporter.report("MAP3006", formSetting.span, `${op.name} does not take a form`);
  }

  const options: Record<string, Scalar> = {};
  for (const s of byKind.get("option") ?? []) {
    if (s.kind !== "option") continue;
    const known = op?.options?.find((o) => o.name === s.name.text);
    if (op && !known) {
      const names = (op.options ?? []).map((o) => o.name);
      reporter.report("MAP3003", s.name.span, `${op.name} has no option \`${s.name.text}\``, {
        hint: didYouMean(s.name.text, names),
        notes: [names.length ? `${op.name} options: ${listNames(names)}` : `${op.name} takes no options`],
      });
    }
    if (Object.prototype.hasOwnProperty.call(options, s.name.text)) {
      reporter.report("MAP2014", s.span, `option \`${s.name.text}\` is given twice`);
    }
    const value = s.value.kind === "string" || s.value.kind === "number" || s.value.kind === "bool" ? s.value.value : null;
    if (known) {
      const actual = s.value.kind === "bool" ? "bool" : s.value.kind === "number" ? "number" : s.value.kind === "string" ? "string" : s.value.kind;
      if (actual !== known.type) {
        reporter.report("MAP3004", s.value.span, `option \`${known.name}\` takes a ${known.type === "bool" ? "boolean (true or false)" : known.type}`, {
          hint: known.description,
        });
      }
    }
    options[s.name.text] = value;
  }

  const batchSetting = one(byKind, "batch");
  const batch = batchSetting
    ? positiveInt(reporter, batchSetting.size, "the batch size", op?.limits?.maxBatch)
    : (op?.defaults?.batch ?? 1);
  const timeout = one(byKind, "timeout");
  const idcheck = one(byKind, "idcheck")?.path;
  if (op && (op.confirm === undefined || !idcheck)) {
    const why = op.confirm === undefined ? `${connector?.name ?? ""} ${op.name} cannot tell which rows it holds` : `${op.name} is confirmed by ${op.confirm}, which needs an \`idcheck\` field`;
    reporter.report("MAP3011", decl.headSpan, `at-least-once: a write whose answer is lost is sent again (${why})`, {
      hint: op.confirm === undefined ? undefined : "add `idcheck <field>` with the target field that identifies a row",
    });
  }

  return {
    spec: {
      connector: decl.connector.text,
      operation: decl.operation.value,
      title: connector ? `${connector.title} ${decl.operation.value}${form ? ` ${form}` : ""}` : decl.operation.value,
      form,
      batch,
      options,
      idcheck: idcheck ? pathText(idcheck) : null,
      rate: rate(reporter, one(byKind, "rate"), op?.defaults?.rate ?? connector?.defaults.rate),
      retry: retry(reporter, one(byKind, "retry"), connector?.defaults.retry ?? { attempts: 3, minMs: 1000, maxMs: 30_000 }),
      timeoutMs: timeoutMs(reporter, timeout, connector?.defaults.timeoutMs ?? 30_000),
    },
    schema,
    idcheck,
  };
}

function humanDuration(ms: number): string {
  const units: [number, string][] = [[86_400_000, "d"], [3_600_000, "h"], [60_000, "m"], [1000, "s"]];
  for (const [size, unit] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
