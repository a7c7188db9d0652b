/**
 * The specs of the flows in `mappings/`, for what the state store does not hold: a flow's `rate`
 * (quota use on the API usage page). Loaded on first use through the compiled-flow cache and
 * remembered for a minute, so a page load rarely costs a compile and an edited flow still shows soon.
 */
import { join } from "node:path";
import { loadFlow } from "../compiler/load-flow.js";
import { stateDir } from "../runtime/state/open.js";
import type { FlowSpec } from "../runtime/types.js";
import { FLOW_NAME } from "./replay.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Looks up a flow's spec by its name; undefined when mappings/ has no such flow (or it has errors). */
export type SpecLookup = (flow: string) => Promise<FlowSpec | undefined>;

const KEEP_MS = 60_000;

/** A spec lookup over `<cwd>/mappings/`; `now` decides when a remembered spec is reloaded. */
export function flowSpecs(cwd: string, env: Env, now: () => number = Date.now): SpecLookup {
  const known = new Map<string, { readonly at: number; readonly spec: Promise<FlowSpec | undefined> }>();
  return (flow) => {
    if (!FLOW_NAME.test(flow)) return Promise.resolve(undefined);
    const hit = known.get(flow);
    if (hit && now() - hit.at < KEEP_MS) return hit.spec;
    const spec = (async () => {
      try {
        const loaded = await loadFlow(flow, cwd, env.FERRY_CACHE_DIR || join(stateDir(env, cwd), "cache"));
        return loaded.module?.spec.name === flow ? loaded.module.spec : undefined;
      } catch {
        return undefined;
      }
    })();
    known.set(flow, { at: now(), spec });
    return spec;
  };
}
