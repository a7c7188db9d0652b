import { readFileSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { resolveFlowFile, UsageError } from "../../compiler/files.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { openStateStore } from "../../runtime/state/open.js";
import type { RunRecord } from "../../runtime/state/store.js";
import { loadEnv } from "../env.js";
import { colors, EXIT, type Io } from "../io.js";
import { callLines } from "../progress.js";
import { describeDrift, type DriftReport } from "../../runtime/drift.js";

/**
 * A time as ferry reads times: Asia/Shanghai wall clock, labelled with its offset so that nobody
 * takes it for the machine's zone or UTC.
 */
export function statusTime(ms: number | null): string {
  return ms === null || !Number.isFinite(ms) ? "—" : `${formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES)} +08:00`;
}

/** A window checkpoint is an instant in ms; anything else is shown as stored. */
function checkpointText(value: string | null): string {
  if (value === null) return "none";
  return /^\d{10,}$/.test(value) ? statusTime(Number(value)) : value;
}

function runLine(r: RunRecord): string {
  const took = r.endedAt === null ? "running" : `${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s`;
  const what = `${r.read} read · ${r.written} written · ${r.unchanged} unchanged · ${r.deadLettered} dead letters`;
  return `  #${r.id}  ${statusTime(r.startedAt)}  ${r.status.padEnd(12)} ${what}  (${took})${r.dryRun ? " dry run" : ""}${r.error ? `\n      ${r.error}` : ""}`;
}

/**
 * The flow a `ferry status` argument means. A `.map` file (found as `ferry run` finds it) means the
 * flow its `mapping` line declares, the name its runs are recorded under; anything else is a flow
 * name, which may have state without a file (a flow since removed from mappings/).
 */
async function flowName(argument: string, cwd: string): Promise<string> {
  let isFile = false;
  try {
    isFile = statSync(resolve(cwd, argument)).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    if (extname(argument) === ".map" || /[\\/]/.test(argument)) throw new UsageError(`no such file: ${argument}`);
    return argument;
  }
  const { file } = resolveFlowFile(argument, cwd);
  const { parseMapFile } = await import("../../compiler/parse.js");
  const parsed = parseMapFile(readFileSync(resolve(cwd, file), "utf8"), file);
  const mapping = parsed.value.items.find((item) => item.kind === "mapping");
  if (mapping?.kind !== "mapping") throw new UsageError(`${file} declares no mapping, so it names no flow; see ferry check ${file}`);
  return mapping.name.text;
}

/** `ferry status [flow] [--dead-letters]`: `flow` is a flow name or its `.map` file. */
export async function statusCommand(io: Io, flow: string | undefined, options: { deadLetters?: boolean }): Promise<number> {
  const env = loadEnv(io.cwd, io.env);
  const named = flow === undefined ? undefined : await flowName(flow, io.cwd);
  const store = openStateStore(env, io.cwd);
  const c = colors(io);
  try {
    const flows = named ? [named] : await store.flows();
    if (flows.length === 0) {
      io.stdout.write(`no runs yet (state: ${store.location}); start one with: ferry run <flow.map>\n`);
      return EXIT.ok;
    }
    for (const name of flows) {
      const runs = await store.runs(name, named ? 10 : 1);
      const letters = await store.deadLetters(name, { unresolvedOnly: true });
      const checkpoint = await store.checkpoint(name);
      io.stdout.write(`${c.bold(name)}  checkpoint ${checkpointText(checkpoint)}  ${letters.length} dead letters need attention\n`);
      if (runs.length === 0) io.stdout.write("  no runs\n");
      for (const r of runs) io.stdout.write(`${runLine(r)}\n`);
      if (named) {
        const drift = await store.latestDrift(name);
        if (drift) io.stdout.write(`  ${c.yellow("drift")} in run #${drift.runId}: ${describeDrift(drift.report as DriftReport).replace(/^drift in /, "")}\n`);
        const calls = await store.callStats(name);
        if (calls.length) io.stdout.write(`  API calls:\n${callLines(calls).map((l) => `  ${l}`).join("\n")}\n`);
      }
      if (options.deadLetters) {
        for (const l of letters) {
          // The letter holds its latest failure; earlier ones are its attempts.
          const attempts = (await store.deadLetterAttempts(l.id)).length;
          const history = attempts > 1 ? `  (failed ${attempts} times, last ${statusTime(l.createdAt)} in run #${l.runId})` : "";
          io.stdout.write(`  [${l.id}] ${l.stage} ${JSON.stringify(l.sourceId)}: ${l.reason}${history}\n`);
        }
        if (letters.length) io.stdout.write(`  replay them with: ferry replay ${name}\n`);
      }
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
