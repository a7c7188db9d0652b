import { checkFiles, findMapFiles } from "../../compiler/project.js";
import type { Io } from "../io.js";
import { report, reportJson } from "../report.js";

export interface CheckOptions {
  readonly json?: boolean;
}

/** `ferry check [paths..]` */
export async function checkCommand(io: Io, paths: readonly string[], options: CheckOptions): Promise<number> {
  const started = process.hrtime.bigint();
  const results = checkFiles(findMapFiles(paths, io.cwd), io.cwd);
  return options.json ? reportJson(io, results) : report(io, results, started);
}
