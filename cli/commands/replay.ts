import { join } from "node:path";
import { loadFlow } from "../../compiler/load-flow.js";
import { stateDir } from "../../runtime/state/open.js";
import { replayDeadLetters } from "../../runtime/run/replay.js";
import { loadEnv } from "../env.js";
import { colors, type Io } from "../io.js";
import { wire } from "../wiring.js";
import { report } from "../report.js";
import { RUN_EXIT } from "./run.js";

/** `ferry replay <flow> [--id ID]`: writes dead letters again; exit 3 when some still fail. */
export async function replayCommand(io: Io, flowPath: string, options: { id?: string }): Promise<number> {
  const env = loadEnv(io.cwd, io.env);
  const loaded = await loadFlow(flowPath, io.cwd, env.FERRY_CACHE_DIR || join(stateDir(env, io.cwd), "cache"));
  if (!loaded.module) return report(io, [...loaded.specs, ...(loaded.result ? [loaded.result] : [])], process.hrtime.bigint());
  const wiring = wire(loaded.module, env, io.cwd, false);
  const c = colors(io);
  try {
    const name = loaded.module.spec.name;
    const result = await replayDeadLetters({ flow: loaded.module, ...wiring, env, sourceId: options.id, onLog: (line) => io.stderr.write(`${name}: ${line}\n`) });
    if (result.attempted === 0) {
      io.stderr.write(`${loaded.module.spec.name}: no dead letters to replay${options.id ? ` for id ${JSON.stringify(options.id)}` : ""}\n`);
      return RUN_EXIT.ok;
    }
    for (const f of result.failed) io.stderr.write(`  ${c.red("✘")} [${f.id}] ${JSON.stringify(f.sourceId)}: ${f.reason}\n`);
    const mark = result.failed.length ? c.yellow("!") : c.green("✔");
    io.stderr.write(`${mark} ${loaded.module.spec.name}: replayed ${result.attempted}, ${result.written} written, ${result.failed.length} still failing\n`);
    return result.failed.length ? RUN_EXIT.deadLetters : RUN_EXIT.ok;
  } catch (error) {
    io.stderr.write(`${c.red("✘")} ${loaded.module.spec.name}: replay failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return RUN_EXIT.failed;
  } finally {
    await wiring.store.close();
  }
}
