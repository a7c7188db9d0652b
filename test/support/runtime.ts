import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSource, loadModule } from "../../compiler/index.js";
import { httpConnector } from "../../connectors/http/client.js";
import { startHttpTestServer, type HttpTestServer, type HttpTestServerOptions } from "../../connectors/http/test-server.js";
import { CallMeter } from "../../runtime/call-meter.js";
import { FakeClock } from "../../runtime/fake-clock.js";
import { MemoryCollectionStore } from "../../runtime/lookups.js";
import { RateLimits } from "../../runtime/rate-limit.js";
import { Calls } from "../../runtime/run/calls.js";
import { runFlow, type RunOptions, type RunSummary } from "../../runtime/run/run-flow.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import type { FlowModule } from "../../runtime/types.js";
import { seededRandom } from "../../runtime/random.js";

export { seededRandom as seeded };

/** Compiles `.map` text into a live flow module, failing loudly on diagnostics. */
export function flowOf(text: string, file = "flow.map"): FlowModule {
  const result = compileSource(text, file);
  if (!result.code) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`).join("\n"));
  return loadModule(result.code);
}


/** A loopback source and target, a state store in a temp folder, and a fake clock. */
export interface Bench {
  readonly server: HttpTestServer;
  readonly store: SqliteStateStore;
  readonly clock: FakeClock;
  readonly dir: string;
  run(flow: FlowModule, options?: Partial<RunOptions>): Promise<RunSummary>;
  close(): Promise<void>;
}

export async function startBench(serverOptions: HttpTestServerOptions = {}): Promise<Bench> {
  const server = await startHttpTestServer(serverOptions);
  const dir = mkdtempSync(join(tmpdir(), "ferry-run-"));
  const store = SqliteStateStore.open(join(dir, "state.db"));
  // Starts at a fixed instant; auto mode lets backoff and rate-limit waits pass without real waiting.
  const clock = new FakeClock({ start: Date.UTC(2024, 8, 8, 0, 0, 0), auto: true });
  const env = { FERRY_HTTP_URL: server.url };
  return {
    server,
    store,
    clock,
    dir,
    run: (flow, options = {}) => {
      const factory = httpConnector();
      const ctx = { env, clock, flow: flow.spec };
      return runFlow({
        flow,
        store,
        source: factory.source!(ctx),
        target: factory.target!(ctx),
        calls: new Calls(clock, new RateLimits(clock), new CallMeter(), seededRandom(7)),
        collections: new MemoryCollectionStore(),
        clock,
        env,
        from: "2024-09-07 00:00:00",
        ...options,
      });
    },
    close: async () => {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
