import { join } from "node:path";
import { loadFlow } from "../../compiler/load-flow.js";
import { UsageError } from "../../compiler/project.js";
import { stateDir } from "../../runtime/state/open.js";
import { FlowBusyError } from "../../runtime/run/flow-lock.js";
import { runFlow, type RunSummary } from "../../runtime/run/run-flow.js";
import { parseInstant, WindowError } from "../../runtime/run/windows.js";
import { loadEnv } from "../env.js";
import type { Io } from "../io.js";
import { ProgressView, renderSummary } from "../progress.js";
import { wire } from "../wiring.js";
import { report } from "../report.js";

export interface RunCommandOptions {
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly maxPages?: number;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/** Exit codes of `ferry run`, as documented in the README. */
export const RUN_EXIT = { ok: 0, failed: 1, usage: 2, deadLetters: 3, interrupted: 130 } as const;

/** `ferry run <flow.map>` */
export async function runCommand(io: Io, flowPath: string, options: RunCommandOptions): Promise<number> {
  const started = process.hrtime.bigint();
  // A time that cannot be read is a usage error, found before anything is opened.
  for (const time of [options.from, options.to]) if (time !== undefined) parseInstant(time);
  if (options.from !== undefined && options.to !== undefined && parseInstant(options.from) > parseInstant(options.to)) {
    throw new WindowError(`--from ${options.from} is after --to ${options.to}`);
  }
  const env = loadEnv(io.cwd, io.env);
  const maxPages = options.maxPages ?? maxPagesOf(env);
  const loaded = await loadFlow(flowPath, io.cwd, env.FERRY_CACHE_DIR || join(stateDir(env, io.cwd), "cache"));
  if (!loaded.module) return report(io, [...loaded.specs, ...(loaded.result ? [loaded.result] : [])], started);
  const wiring = wire(loaded.module, env, io.cwd);
  const view = new ProgressView(io, loaded.module.spec.name);
  // Ctrl-C or a scheduler's SIGTERM stops the run between calls: what was written is recorded, the
  // run is marked failed ("interrupted"), and an unanswered write is settled by the next run. A
  // second signal ends the process at once; nothing is lost either way.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(RUN_EXIT.interrupted);
    view.log(`${loaded.module!.spec.name}: ${signal}: stopping after the calls in flight (again to stop at once)`);
    interrupt.abort(new Error(`interrupted (${signal})`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    let summary: RunSummary;
    try {
      summary = await runFlow({
        signal: interrupt.signal,
        flow: loaded.module,
        ...wiring,
        env,
        from: options.from,
        to: options.to,
        limit: options.limit,
        maxPages,
        dryRun: options.dryRun,
        onProgress: (p) => view.update(p),
        onLog: (line) => view.log(`${loaded.module!.spec.name}: ${line}`),
      });
    } catch (error) {
      // Another process is writing this flow: this run did not start, and says why.
      if (!(error instanceof FlowBusyError)) throw error;
      view.clear();
      io.stderr.write(`ferry: ${error.message}\n`);
      return RUN_EXIT.failed;
    }
    view.clear();
    if (options.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    io.stderr.write(renderSummary(io, summary));
    // Alert rules (ferry.config.json) and data-quality anomalies; they never change the run's outcome.
    await (await import("./alerts.js")).afterRunAlerts(io, env, io.cwd, wiring.store);
    if (interrupt.signal.aborted) return RUN_EXIT.interrupted;
    if (summary.status === "failed") return RUN_EXIT.failed;
    return summary.status === "dead-letters" ? RUN_EXIT.deadLetters : RUN_EXIT.ok;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await wiring.store.close();
  }
}

/** The page ceiling `FERRY_MAX_PAGES` sets, if any; a value that is not a whole number ≥ 1 is a usage error. */
function maxPagesOf(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const text = env.FERRY_MAX_PAGES?.trim();
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`FERRY_MAX_PAGES takes a whole number of at least 1, not ${JSON.stringify(text)}`);
  return n;
}
