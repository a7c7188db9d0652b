/**
 * The replay button: `ferry replay <flow>` run in process, the same steps as cli/commands/replay.ts
 * (load the flow from mappings/ by name, wire its target, replay the dead letters), but answering an
 * outcome for the page instead of writing to a terminal.
 */
import { basename, dirname, join } from "node:path";
import { loadFlow } from "../compiler/load-flow.js";
import { wire } from "../cli/wiring.js";
import { replayDeadLetters } from "../runtime/run/replay.js";
import { stateDir } from "../runtime/state/open.js";
import type { StateStore } from "../runtime/state/store.js";

type Env = Readonly<Record<string, string | undefined>>;

/** What a replay did, as the dead-letter page reports it. */
export interface ReplayOutcome {
  readonly ok: boolean;
  /** One line for the page (masked by the caller). */
  readonly message: string;
  readonly runId?: number;
  readonly attempted: number;
  readonly written: number;
  readonly failed: readonly { readonly id: number; readonly sourceId: string; readonly reason: string }[];
}

/** Replays a flow's dead letters; the server passes its own one, tests may pass another. */
export type ReplayFn = (flow: string) => Promise<ReplayOutcome>;

/** Flow names as `mapping` declares them: a URL can never name a file path this way. */
export const FLOW_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function failure(message: string): ReplayOutcome {
  return { ok: false, message, attempted: 0, written: 0, failed: [] };
}

/**
 * Replays `flow` against `store`. The flow is found in `<cwd>/mappings/` by its `mapping` name
 * (with the fix the user made since the letters were written); its target is wired from `env`.
 * Errors (no such flow, a broken .map, a missing credential, a failed call) become an outcome.
 */
export async function replayInProcess(flow: string, store: StateStore, cwd: string, env: Env): Promise<ReplayOutcome> {
  if (!FLOW_NAME.test(flow)) return failure(`not a flow name: ${flow}`);
  // Compiled flows are cached beside this store's database, where `ferry run` caches them too.
  const sameState = basename(store.location) === "state.db" ? { FERRY_STATE_DIR: dirname(store.location) } : {};
  const cacheDir = env.FERRY_CACHE_DIR || join(stateDir({ ...env, ...sameState }, cwd), "cache");
  try {
    const loaded = await loadFlow(flow, cwd, cacheDir);
    if (!loaded.module) {
      const errors = [...loaded.specs, ...(loaded.result ? [loaded.result] : [])].flatMap((r) => r.diagnostics).filter((d) => d.severity === "error");
      const first = errors[0];
      return failure(`${loaded.file} has ${errors.length} error${errors.length === 1 ? "" : "s"}${first ? `: ${first.code} ${first.message}` : ""}; run ferry check`);
    }
    if (loaded.module.spec.name !== flow) return failure(`${loaded.file} defines ${loaded.module.spec.name}, not ${flow}`);
    // The console's own store for everything: the write record, the letters and the lookups'
    // collections (a second connection closed early left lookups reading a closed database).
    const wiring = wire(loaded.module, env, cwd, false, store);
    const result = await replayDeadLetters({ flow: loaded.module, ...wiring, env });
    if (result.attempted === 0) return { ok: true, message: `${flow}: no dead letters to replay`, runId: result.runId, attempted: 0, written: 0, failed: [] };
    return {
      ok: result.failed.length === 0,
      message: `${flow}: replayed ${result.attempted}, ${result.written} written, ${result.failed.length} still failing (run #${result.runId})`,
      runId: result.runId,
      attempted: result.attempted,
      written: result.written,
      failed: result.failed,
    };
  } catch (error) {
    return failure(`${flow}: replay failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
