import type { ConnectorCatalog, RecordSchema } from "../connectors/catalog.js";
import { findConnector, findOperation } from "../connectors/index.js";
import { connectorFactory } from "../connectors/registry.js";
import { projectSystems } from "../compiler/systems.js";
import { CallMeter } from "../runtime/call-meter.js";
import { systemClock, type Clock } from "../runtime/clock.js";
import type { ConnectorContext, SourceConnector, TargetConnector } from "../runtime/connector.js";
import { CallError } from "../runtime/faults.js";
import { RateLimits, RUNTIME_RATE_LIMITS } from "../runtime/rate-limit.js";
import { Calls } from "../runtime/run/calls.js";
import { StoreCollections } from "../runtime/state/collections.js";
import { openStateStore } from "../runtime/state/open.js";
import type { StateStore } from "../runtime/state/store.js";
import type { FlowModule } from "../runtime/types.js";

/** What a command needs to run a flow: connectors, state, budgets. */
export interface Wiring {
  readonly store: StateStore;
  readonly source: SourceConnector;
  readonly target: TargetConnector;
  readonly calls: Calls;
  readonly collections: StoreCollections;
  readonly clock: Clock;
  /** The source operation's record schema from its spec, for drift. */
  readonly sourceSchema: RecordSchema | undefined;
}

/** A connector that cannot start (missing credentials, unknown system): a usage problem. */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

function factoryOf(name: string, role: "source" | "target", systems: readonly ConnectorCatalog[]) {
  const factory = connectorFactory(name, systems);
  if (!factory?.[role]) throw new SetupError(`ferry cannot ${role === "source" ? "read from" : "write to"} \`${name}\` yet`);
  return factory;
}

/** Builds a connector; a CallError at construction (missing credentials) becomes a SetupError. */
function build<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof CallError) throw new SetupError(error.message);
    throw error;
  }
}

function sourceOf(flow: FlowModule, ctx: ConnectorContext, systems: readonly ConnectorCatalog[]): SourceConnector {
  const factory = factoryOf(flow.spec.source.connector, "source", systems);
  return build(() => factory.source!(ctx));
}

function targetOf(flow: FlowModule, ctx: ConnectorContext, systems: readonly ConnectorCatalog[]): TargetConnector {
  const factory = factoryOf(flow.spec.target.connector, "target", systems);
  return build(() => factory.target!(ctx));
}

/**
 * Opens the state store and the flow's connectors. A caller that already holds the state store
 * (the console) passes it, so the run, its lookups and its write record all use that one connection
 * and no second one is opened (or closed under them).
 */
export function wire(flow: FlowModule, env: Readonly<Record<string, string | undefined>>, cwd: string, needSource = true, state?: StateStore): Wiring {
  const clock = systemClock;
  const ctx: ConnectorContext = { env, clock, flow: flow.spec };
  // The project's own specs (its forms and fields, its systems) count at run time as at check time.
  const systems = projectSystems(cwd).catalogs;
  // Replays only write: a source without credentials must not stop them.
  const source = needSource ? sourceOf(flow, ctx, systems) : { read: () => Promise.reject(new SetupError("this command does not read")) };
  const target = targetOf(flow, ctx, systems);
  const store = state ?? openStateStore(env, cwd);
  const system = findConnector(flow.spec.source.connector, systems);
  const sourceSchema = system ? findOperation(system, flow.spec.source.operation, "read")?.record : undefined;
  return { store, source, target, calls: new Calls(clock, new RateLimits(clock, RUNTIME_RATE_LIMITS), new CallMeter()), collections: new StoreCollections(store), clock, sourceSchema };
}
