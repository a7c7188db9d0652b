/**
 * The systems page: every system and operation the flows use, which flows use it, how (read or
 * write), and with which rate, page or batch size and retries.
 */
import { compare } from "./order.js";
import type { FlowPage } from "./site-model.js";
import { duration, rateShort } from "./words.js";
import type { FlowModel } from "../model.js";

export interface OperationUse {
  readonly slug: string;
  readonly flow: string;
  readonly title: string;
  readonly how: "reads" | "writes";
  /** e.g. `2/s`, or `no limit`. */
  readonly rate: string;
  /** e.g. `page 100`, `batch 100`. */
  readonly size: string;
  /** e.g. `3 retries, 1 s–30 s apart; timeout 30 s`. */
  readonly retry: string;
}

export interface OperationEntry {
  readonly name: string;
  readonly direction: "read" | "write";
  readonly description: string | undefined;
  /** Sorted by flow name, then page. */
  readonly uses: readonly OperationUse[];
}

export interface SystemEntry {
  readonly connector: string;
  readonly title: string;
  /** Sorted by name, reads before writes. */
  readonly operations: readonly OperationEntry[];
}

/** Groups every flow's source and target by system and operation. */
export function buildSystems(flows: readonly { readonly model: FlowModel; readonly page: FlowPage }[]): SystemEntry[] {
  const systems = new Map<string, { title: string; operations: Map<string, { entry: Omit<OperationEntry, "uses">; uses: OperationUse[] }> }>();
  for (const { model, page } of flows) {
    for (const side of ["read", "write"] as const) {
      const spec = side === "read" ? model.source : model.target;
      const endpoint = side === "read" ? page.source : page.target;
      let system = systems.get(spec.connector);
      if (!system) {
        system = { title: endpoint.system, operations: new Map() };
        systems.set(spec.connector, system);
      }
      const key = `${spec.operation}\u0000${side}`;
      let op = system.operations.get(key);
      if (!op) {
        op = { entry: { name: spec.operation, direction: side, description: endpoint.description }, uses: [] };
        system.operations.set(key, op);
      }
      const size =
        side === "read"
          ? model.source.page?.size != null
            ? `page ${model.source.page.size}`
            : "—"
          : `batch ${model.target.batch}`;
      op.uses.push({
        slug: page.slug,
        flow: page.name,
        title: page.title,
        how: side === "read" ? "reads" : "writes",
        rate: rateShort(spec.rate),
        size,
        retry: `${spec.retry.attempts} ${spec.retry.attempts === 1 ? "retry" : "retries"}, ${duration(spec.retry.minMs)}–${duration(spec.retry.maxMs)} apart; timeout ${duration(spec.timeoutMs)}`,
      });
    }
  }
  return [...systems.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([connector, system]) => ({
      connector,
      title: system.title,
      operations: [...system.operations.values()]
        .map((op) => ({ ...op.entry, uses: op.uses.sort((a, b) => compare(a.flow, b.flow) || compare(a.slug, b.slug)) }))
        .sort((a, b) => compare(a.name, b.name) || compare(a.direction, b.direction)),
    }));
}
