import { checkFiles, findMapFiles } from "../../compiler/project.js";
import type { Io } from "../io.js";
import { report } from "../report.js";

export interface CheckOptions {
  readonly json?: boolean;
}

/** `ferry check [paths..]` */
export function checkCommand(io: Io, paths: readonly string[], options: CheckOptions): number {
  const started = process.hrtime.bigint();
  const results = checkFiles(findMapFiles(paths, io.cwd), io.cwd);
  return report(io, results, started, options.json);
}
