/**
 * How a sandbox answers a read from its operation's spec alone: required params, the window (its
 * span and the field it filters), paging within the sizes the operation serves. Shared by the
 * sandbox of every `signed` system and by the built-in sandboxes for the operations they have no
 * hand-written emulation of.
 */
import { instantOf, parseDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import type { OperationSchema } from "../catalog.js";
import { specRecords } from "./spec-records.js";

/** A page of a read, or why the system would refuse the request. */
export type SpecReadAnswer =
  | { readonly page: readonly Record<string, unknown>[]; readonly total: number }
  | { readonly refused: string };

/** The instant a window bound or a record's field stands for, in the window's format. */
export function instantIn(value: unknown, format: string | undefined): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const text = String(value);
  if (format === "epoch-seconds") return /^\d+$/.test(text) ? Number(text) * 1000 : undefined;
  if (format === "epoch-millis") return /^\d+$/.test(text) ? Number(text) : undefined;
  const parsed = parseDateTime(text, format ?? "yyyy-MM-dd HH:mm:ss");
  return parsed ? instantOf(parsed.wall, parsed.offsetMinutes ?? SHANGHAI_UTC_OFFSET_MINUTES) : undefined;
}

/** The seeded records of every read operation of a system, made on first use. */
export class SpecReads {
  readonly #data = new Map<string, Record<string, unknown>[]>();

  constructor(
    private readonly count: number,
    private readonly seed: number,
    private readonly now: () => number,
  ) {}

  records(op: OperationSchema): Record<string, unknown>[] {
    let rows = this.#data.get(op.name);
    if (!rows) this.#data.set(op.name, (rows = specRecords(op, this.count, this.seed, this.now())));
    return rows;
  }

  /** The answer to a read of `op` with these (business) params. */
  answer(op: OperationSchema, params: Readonly<Record<string, unknown>>): SpecReadAnswer {
    const given = (name: string) => params[name] !== undefined && params[name] !== null && params[name] !== "";
    for (const p of op.params) if (p.required && !given(p.name)) return { refused: `${p.name} is required` };
    let rows = this.records(op);
    const window = op.window;
    if (window && (given(window.startParam) || given(window.endParam))) {
      const from = instantIn(params[window.startParam], window.format);
      const to = instantIn(params[window.endParam], window.format);
      if (from === undefined || to === undefined || to < from) return { refused: `${window.startParam}/${window.endParam} are not a window` };
      const max = op.limits?.maxWindowMs;
      if (max !== undefined && to - from > max) return { refused: `the window is longer than ${Math.round(max / 60_000)} minutes` };
      const field = window.field;
      if (field) {
        rows = rows.filter((r) => {
          const at = instantIn(r[field], window.format);
          return at !== undefined && at >= from && at <= to;
        });
      }
    }
    const paging = op.paging;
    if (!paging || paging.kind === "none" || paging.kind === "cursor") return { page: rows, total: rows.length };
    const first = Number(paging.from ?? (paging.kind === "offset" ? 0 : 1));
    const size = Number(given(paging.sizeParam ?? "") ? params[paging.sizeParam ?? ""] : (op.defaults?.pageSize ?? 20));
    const at = Number(given(paging.param ?? "") ? params[paging.param ?? ""] : first);
    if (!Number.isInteger(size) || size < 1 || (op.limits?.maxPageSize !== undefined && size > op.limits.maxPageSize)) return { refused: `page size ${String(params[paging.sizeParam ?? ""])} is out of range` };
    if (!Number.isInteger(at) || at < first) return { refused: `page ${String(params[paging.param ?? ""])} is out of range` };
    const offset = paging.kind === "offset" ? at : (at - first) * size;
    return { page: rows.slice(offset, offset + size), total: rows.length };
  }
}
