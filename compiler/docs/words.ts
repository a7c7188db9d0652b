/**
 * Flow settings in plain words, for readers who do not know the `.map` syntax: durations, rates,
 * windows, paging, batches. Plain, unescaped text; the renderers escape it.
 */
import { describeExpr, type ExprScope } from "./describe-expr.js";
import type { FlowModel } from "../model.js";
import type { PageSpec, RateSpec, RetrySpec, WindowSpec } from "../../runtime/types.js";

/** A term and its explanation, shown as a definition list. */
export interface Setting {
  readonly term: string;
  readonly text: string;
}

const UNITS: readonly (readonly [number, string])[] = [
  [86_400_000, "d"],
  [3_600_000, "h"],
  [60_000, "min"],
  [1_000, "s"],
];

/** `86400000` → `1 d`, `2000` → `2 s`, `1500` → `1500 ms`: the largest unit that divides evenly. */
export function duration(ms: number): string {
  for (const [size, unit] of UNITS) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return `${ms} ms`;
}

const PER: Readonly<Record<number, string>> = { 1_000: "second", 60_000: "minute", 3_600_000: "hour", 86_400_000: "day" };

/** `{2, 1000}` → `2 calls per second`; none → a phrase that says so. */
export function rate(r: RateSpec | null): string {
  if (!r) return "no limit set";
  const per = PER[r.perMs] ?? duration(r.perMs);
  return `${r.count} ${r.count === 1 ? "call" : "calls"} per ${per}`;
}

/** The short form for tables: `2/s`, `100/min`, `no limit`. */
export function rateShort(r: RateSpec | null): string {
  if (!r) return "no limit";
  const unit: Readonly<Record<number, string>> = { 1_000: "s", 60_000: "min", 3_600_000: "h", 86_400_000: "d" };
  return `${r.count}/${unit[r.perMs] ?? duration(r.perMs)}`;
}

export function retry(r: RetrySpec, timeoutMs: number): string {
  const tries = r.attempts === 0 ? "not retried" : `retried up to ${r.attempts} ${r.attempts === 1 ? "time" : "times"} on timeouts, throttling and server errors, waiting ${duration(r.minMs)} to ${duration(r.maxMs)} between tries`;
  return `Each call times out after ${duration(timeoutMs)}; failed calls are ${tries}.`;
}

export function windowWords(w: WindowSpec | null): string {
  if (!w) return "None: every run reads everything the operation returns.";
  const step = w.stepMs !== null ? `, at most ${duration(w.stepMs)} per call` : "";
  const first = w.from !== null ? `at ${w.from}` : "one day back";
  return `Incremental: each run reads from the last checkpoint to now${step}; the first run starts ${first}. ${w.startParam !== null ? `The window is sent as ${w.startParam} .. ${w.endParam}` : "The window's bounds go into the parameters that use window.start and window.end"} (${w.format}, Asia/Shanghai time).`;
}

/** For the index: `since last run, 1 d steps`, or `full read`. */
export function windowShort(w: WindowSpec | null): string {
  if (!w) return "full read every run";
  return w.stepMs !== null ? `since last run, ${duration(w.stepMs)} steps` : "since last run";
}

export function paging(p: PageSpec | null): string {
  if (!p) return "None: one call per window.";
  const size = p.size !== null ? `, ${p.size} records per page${p.sizeParam ? ` (${p.sizeParam})` : ""}` : "";
  switch (p.mode) {
    case "number":
      return `By page number: ${p.param} from ${p.from}${size}.`;
    case "offset":
      return `By offset: ${p.param} from ${p.from}${size}.`;
    case "cursor":
      return `By cursor: ${p.param} takes the cursor found at ${p.from} in the previous answer${size}.`;
  }
}

/** The source block of a flow as definition-list entries. */
export function sourceSettings(flow: FlowModel, scope: ExprScope): Setting[] {
  const s = flow.source;
  const out: Setting[] = [];
  if (flow.source.paramValues.length > 0) {
    out.push({ term: "Request parameters", text: s.paramValues.map((p) => `${p.name} = ${describeExpr(p.value, scope)}`).join("; ") });
  }
  out.push({ term: "Window", text: windowWords(s.window) });
  out.push({ term: "Paging", text: paging(s.page) });
  out.push({ term: "Records", text: `Found at ${s.records} in each answer${s.total ? `; the total count at ${s.total}` : ""}.` });
  out.push({ term: "Identity", text: `Each record is identified by ${s.id}${s.number ? `; its business number is ${s.number}` : ""}.` });
  out.push({ term: "Rate limit", text: `${capitalize(rate(s.rate))}.` });
  out.push({ term: "Retries", text: retry(s.retry, s.timeoutMs) });
  return out;
}

/** The target block of a flow as definition-list entries. */
export function targetSettings(flow: FlowModel): Setting[] {
  const t = flow.target;
  const out: Setting[] = [];
  if (t.form) out.push({ term: "Form", text: t.form });
  out.push({ term: "Batch", text: t.batch === 1 ? "One row per call." : `Up to ${t.batch} rows per call; each row's result is read back.` });
  const options = Object.keys(t.options).sort();
  if (options.length > 0) out.push({ term: "Options", text: options.map((o) => `${o} = ${JSON.stringify(t.options[o])}`).join("; ") });
  out.push({
    term: "Identity",
    text: t.idcheck
      ? `Rows are identified by ${t.idcheck}: unchanged rows are skipped, changed rows are written again.`
      : "No idcheck: every row is written on every run.",
  });
  out.push({ term: "Rate limit", text: `${capitalize(rate(t.rate))}.` });
  out.push({ term: "Retries", text: retry(t.retry, t.timeoutMs) });
  return out;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
