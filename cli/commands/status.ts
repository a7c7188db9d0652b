import { openStateStore } from "../../runtime/state/open.js";
import type { RunRecord } from "../../runtime/state/store.js";
import { loadEnv } from "../env.js";
import { colors, EXIT, type Io } from "../io.js";
import { callLines } from "../progress.js";

const when = (ms: number | null) => (ms === null ? "—" : new Date(ms).toISOString().replace("T", " ").slice(0, 19));

function runLine(r: RunRecord): string {
  const took = r.endedAt === null ? "running" : `${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s`;
  const what = `${r.read} read · ${r.written} written · ${r.unchanged} unchanged · ${r.deadLettered} dead letters`;
  return `  #${r.id}  ${when(r.startedAt)}  ${r.status.padEnd(12)} ${what}  (${took})${r.dryRun ? " dry run" : ""}${r.error ? `\n      ${r.error}` : ""}`;
}

/** `ferry status [flow] [--dead-letters]` */
export async function statusCommand(io: Io, flow: string | undefined, options: { deadLetters?: boolean }): Promise<number> {
  const env = loadEnv(io.cwd, io.env);
  const store = openStateStore(env, io.cwd);
  const c = colors(io);
  try {
    const flows = flow ? [flow] : await store.flows();
    if (flows.length === 0) {
      io.stdout.write(`no runs yet (state: ${store.location}); start one with: ferry run <flow.map>\n`);
      return EXIT.ok;
    }
    for (const name of flows) {
      const runs = await store.runs(name, flow ? 10 : 1);
      const letters = await store.deadLetters(name, { unresolvedOnly: true });
      const checkpoint = await store.checkpoint(name);
      io.stdout.write(`${c.bold(name)}  checkpoint ${checkpoint === null ? "none" : when(Number(checkpoint))}  ${letters.length} dead letters need attention\n`);
      if (runs.length === 0) io.stdout.write("  no runs\n");
      for (const r of runs) io.stdout.write(`${runLine(r)}\n`);
      if (flow) {
        const calls = await store.callStats(name);
        if (calls.length) io.stdout.write(`  API calls:\n${callLines(calls).map((l) => `  ${l}`).join("\n")}\n`);
      }
      if (options.deadLetters) {
        for (const l of letters) {
          // The letter holds its latest failure; earlier ones are its attempts.
          const attempts = (await store.deadLetterAttempts(l.id)).length;
          const history = attempts > 1 ? `  (failed ${attempts} times, last ${when(l.createdAt)} in run #${l.runId})` : "";
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
