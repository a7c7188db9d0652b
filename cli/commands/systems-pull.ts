import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { banniuConnector } from "../../connectors/banniu/client.js";
import { kingdeeFormMetadata } from "../../connectors/kingdee/client.js";
import { loadSystems, readSpecFolder } from "../../connectors/spec/load-systems.js";
import { banniuColumns, banniuProjectSpec, kingdeeFormSpec, type PullResult } from "../../connectors/spec/pull.js";
import { PROJECT_SYSTEMS_DIR } from "../../compiler/systems.js";
import { UsageError } from "../../compiler/files.js";
import { systemClock } from "../../runtime/clock.js";
import type { FlowSpec } from "../../runtime/types.js";
import { callFailure } from "../call-failure.js";
import { loadEnv } from "../env.js";
import { colors, EXIT, type Io } from "../io.js";

export interface PullOptions {
  readonly form?: string;
  readonly project?: string;
}

const TIMEOUT_MS = 30_000;

/**
 * `ferry systems pull kingdee --form SAL_SaleOrder` and `ferry systems pull banniu --project 27912`:
 * asks the tenant what a form or project has and writes what the specs lack into the project's
 * systems/ folder, one file per form or project, which a later pull rewrites whole.
 */
export async function systemsPullCommand(io: Io, system: string | undefined, options: PullOptions): Promise<number> {
  const env = loadEnv(io.cwd, io.env);
  const ctx = { env, clock: systemClock, flow: {} as FlowSpec };
  let file: string;
  let result: PullResult;
  let what: string;
  try {
    if (system === "kingdee") {
      if (!options.form) throw new UsageError("ferry systems pull kingdee needs --form <FormId>, e.g. --form SAL_SaleOrder");
      file = join(PROJECT_SYSTEMS_DIR, `kingdee-${options.form}.yaml`);
      const pulled = await kingdeeFormMetadata(ctx, options.form, TIMEOUT_MS);
      result = kingdeeFormSpec(pulled, othersOf("kingdee", file, io.cwd), `ferry systems pull kingdee --form ${options.form}`);
      what = `form ${pulled.id}`;
    } else if (system === "banniu") {
      if (!options.project) throw new UsageError("ferry systems pull banniu needs --project <id>, e.g. --project 27912");
      file = join(PROJECT_SYSTEMS_DIR, `banniu-${options.project}.yaml`);
      const source = banniuConnector().source!(ctx);
      const answer = await source.read({ operation: "column.list", params: { project_id: options.project }, recordsPath: "response.map.result", totalPath: null, cursorPath: null, timeoutMs: TIMEOUT_MS });
      result = banniuProjectSpec(options.project, banniuColumns(answer.records), othersOf("banniu", file, io.cwd), `ferry systems pull banniu --project ${options.project}`);
      what = `project ${options.project}`;
    } else {
      throw new UsageError(`ferry systems pull reads kingdee (--form) or banniu (--project)${system ? `, not ${system}` : ""}`);
    }
  } catch (error) {
    return callFailure(io, error);
  }
  const path = join(io.cwd, file);
  let before: string | undefined;
  try {
    before = readFileSync(path, "utf8");
  } catch {
    before = undefined;
  }
  mkdirSync(join(io.cwd, PROJECT_SYSTEMS_DIR), { recursive: true });
  if (before !== result.text) writeFileSync(path, result.text);
  const c = colors(io);
  const change = before === undefined ? "wrote" : before === result.text ? "unchanged:" : "updated";
  io.stderr.write(`${c.green("✔")} ${change} ${file}: ${what}, ${result.added.length} field${result.added.length === 1 ? "" : "s"} the other specs lack${result.added.length ? ` (${result.added.slice(0, 8).join(", ")}${result.added.length > 8 ? ", …" : ""})` : ""}\n`);
  return EXIT.ok;
}

/** The system as every spec but `file` defines it: what a pull into `file` must not declare again. */
function othersOf(name: string, file: string, cwd: string) {
  const files = readSpecFolder(PROJECT_SYSTEMS_DIR, cwd).filter((f) => f.path !== file);
  return loadSystems(files).catalogs.find((c) => c.name === name);
}
