import { findConnector, findOperation } from "../../connectors/index.js";
import { connectorFactory } from "../../connectors/registry.js";
import { projectSystems } from "../../compiler/systems.js";
import { UsageError } from "../../compiler/files.js";
import { systemClock } from "../../runtime/clock.js";
import { describeDrift, DriftTracker } from "../../runtime/drift.js";
import { proposeFields, schemaYaml } from "../../runtime/propose-schema.js";
import type { FlowSpec, Scalar } from "../../runtime/types.js";
import { callFailure } from "../call-failure.js";
import { loadEnv } from "../env.js";
import { EXIT, type Io } from "../io.js";

/**
 * `ferry systems sample <system> <operation> [--param k=v]…`: reads one page, proposes a record
 * schema from what came (for a spec file), and compares what came with the spec's schema.
 */
export async function systemsSampleCommand(io: Io, name: string | undefined, operation: string | undefined, params: readonly string[]): Promise<number> {
  if (!name || !operation) throw new UsageError("ferry systems sample needs a system and a read operation, e.g. ferry systems sample guanyi gy.erp.trade.get --param start_date=…");
  const systems = projectSystems(io.cwd).catalogs;
  const system = findConnector(name, systems);
  if (!system) throw new UsageError(`no system is named \`${name}\``);
  const op = findOperation(system, operation, "read");
  if (!op || op.direction !== "read") throw new UsageError(`${name} has no read operation \`${operation}\``);
  const given: Record<string, Scalar> = {};
  for (const p of params) {
    const at = p.indexOf("=");
    if (at <= 0) throw new UsageError(`--param takes name=value, not ${JSON.stringify(p)}`);
    given[p.slice(0, at)] = p.slice(at + 1);
  }
  const factory = connectorFactory(name, systems);
  if (!factory?.source) throw new UsageError(`ferry cannot read from \`${name}\``);
  const env = loadEnv(io.cwd, io.env);
  let records: readonly unknown[];
  try {
    const source = factory.source({ env, clock: systemClock, flow: {} as FlowSpec });
    const answer = await source.read({ operation, params: given, recordsPath: op.response?.records ?? "records", totalPath: op.response?.total ?? null, cursorPath: null, timeoutMs: system.defaults.timeoutMs });
    records = answer.records;
  } catch (error) {
    return callFailure(io, error);
  }
  io.stderr.write(`${system.name} ${op.name}: ${records.length} record${records.length === 1 ? "" : "s"} read\n`);
  io.stdout.write(`# a record schema proposed from ${records.length} record${records.length === 1 ? "" : "s"} of ${system.name} ${op.name}\nrecord:\n  fields:\n${schemaYaml(proposeFields(records), "    ")}`);
  if (op.record) {
    const drift = new DriftTracker(op.record);
    for (const r of records) drift.observe(r);
    io.stderr.write(`against the spec: ${describeDrift(drift.report())}\n`);
  }
  return EXIT.ok;
}
