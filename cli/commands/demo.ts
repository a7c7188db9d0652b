import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkFiles, findMapFiles, writeModules } from "../../compiler/project.js";
import { loadFlow } from "../../compiler/load-flow.js";
import { banniuGoods } from "../../connectors/banniu/sandbox.js";
import { startHttpTestServer } from "../../connectors/http/test-server.js";
import { startSandboxes } from "../../connectors/sandbox/server.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { runFlow } from "../../runtime/run/run-flow.js";
import { openStateStore } from "../../runtime/state/open.js";
import type { FlowModule } from "../../runtime/types.js";
import { colors, elapsed, EXIT, plural, type Io } from "../io.js";
import { ProgressView, renderSummary } from "../progress.js";
import { report } from "../report.js";
import { wire } from "../wiring.js";
import { runAndReport } from "./test.js";

/** The lookup collection of the Banniu seed flow: goods by goods number. */
const GOODS_COLLECTION = "a97d423e-52f5-3d6f-9f94-39a9f43f2bd5";
/** How far back the demo's first run reads: the sandboxes hold three days of changes. */
const DEMO_DAYS = 3;

/**
 * `ferry demo` (what `npm start` runs): checks, builds and tests the flows in mappings/, starts the
 * three sandboxes, runs every flow against them, then runs them again to show the write record
 * skipping what is unchanged. Leaves no process and no state behind.
 */
export async function demoCommand(io: Io, options: { mappings: string; out: string }): Promise<number> {
  const c = colors(io);
  const say = (line: string) => io.stderr.write(`${line}\n`);
  say(`${c.bold("ferry")} — the flows in ${options.mappings}/ against local sandboxes of Guanyi, Kingdee and Banniu\n`);

  let t = process.hrtime.bigint();
  const results = checkFiles(findMapFiles([options.mappings], io.cwd), io.cwd);
  if (results.some((r) => !r.model)) return report(io, results, t);
  const { written, diagnostics } = writeModules(results, options.out, io.cwd);
  if (diagnostics.length > 0) return report(io, [{ file: options.out, outName: "", text: undefined, model: undefined, diagnostics }], t);
  const quiet: Io = { ...io, stdout: { write: () => true } };
  const examples = await runAndReport(quiet, results);
  say(`${examples.failed ? c.red("✘") : c.green("✔")} checked ${plural(results.length, "flow")}, built ${plural(written.length, "module")} into ${options.out}/, ${examples.passed}/${examples.passed + examples.failed} examples pass  ${c.dim(`${elapsed(t)} ms`)}`);
  if (examples.failed) return EXIT.inputErrors;

  const sandboxes = await startSandboxes({ seed: 1 });
  // The http target the Kingdee-reading example writes to.
  const http = await startHttpTestServer({ records: 0, targetPath: "/materials" });
  const stateDir = mkdtempSync(join(tmpdir(), "ferry-demo-"));
  const env = { ...io.env, ...sandboxes.env, FERRY_HTTP_URL: http.url, FERRY_STATE_DIR: stateDir };
  try {
    say(`${c.green("✔")} sandboxes on ${sandboxes.url}: ${sandboxes.guanyi.shops().length} Guanyi shops, ${sandboxes.kingdee.rows("BD_MATERIAL").size} Kingdee materials, ${sandboxes.banniu.tasks().length} Banniu tasks; an http target on ${http.url}; state in ${stateDir}`);
    const store = openStateStore(env, io.cwd);
    const goods = banniuGoods(1);
    await store.loadCollection(GOODS_COLLECTION, goods, true);
    await store.close();
    say(`${c.green("✔")} loaded ${goods.length} goods into the lookup collection ${GOODS_COLLECTION}\n`);

    // Compiled side by side (each in a child process): the flows do not depend on each other.
    const loaded = await Promise.all(results.map((r) => loadFlow(r.file, io.cwd, join(stateDir, "cache"))));
    const flows: FlowModule[] = loaded.flatMap((l) => (l.module ? [l.module] : []));
    const from = formatDateTime(Date.now() - DEMO_DAYS * 86_400_000, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);
    let failed = false;
    for (const pass of [1, 2]) {
      say(c.bold(pass === 1 ? `First run, from ${from}:` : "Second run over the same days — the write record skips every unchanged row:"));
      for (const flow of flows) {
        const wiring = wire(flow, env, io.cwd);
        const view = new ProgressView(io, flow.spec.name);
        try {
          const summary = await runFlow({ flow, ...wiring, env, from, onProgress: (p) => view.update(p), onLog: (line) => view.log(`  ${flow.spec.name}: ${line}`) });
          view.clear();
          io.stderr.write(renderSummary(io, summary));
          failed ||= summary.status === "failed";
        } finally {
          await wiring.store.close();
        }
      }
      say("");
    }
    // The sandboxes and the http target count every save per record: the proof that nothing was written twice.
    const counts: { what: string; saves: number[] }[] = [
      ...sandboxes.kingdee.savedForms().map((form) => ({ what: `Kingdee ${form}`, saves: [...sandboxes.kingdee.rows(form).keys()].map((n) => sandboxes.kingdee.savesOf(form, n)).filter((n) => n > 0) })),
      { what: "Banniu task updates", saves: sandboxes.banniu.tasks().map((t) => sandboxes.banniu.saves(t.id)).filter((n) => n > 0) },
      { what: "http materials", saves: [...http.target.rows().keys()].map((k) => http.target.writes(k)) },
    ].filter((x) => x.saves.length > 0);
    const savedOnce = counts.reduce((n, x) => n + x.saves.filter((s) => s === 1).length, 0);
    const savedTwice = counts.reduce((n, x) => n + x.saves.filter((s) => s > 1).length, 0);
    say(
      `${failed || savedTwice ? c.red("✘") : c.green("✔")} done: ${savedOnce} records saved exactly once (${counts.map((x) => `${x.what} ${x.saves.length}`).join(", ")}), ${savedTwice} saved twice.`,
    );
    say("  Point the same flows at production by setting the credentials listed in the README.");
    failed ||= savedTwice > 0;
    return failed ? EXIT.inputErrors : EXIT.ok;
  } finally {
    await sandboxes.close();
    await http.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
