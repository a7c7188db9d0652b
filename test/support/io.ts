import type { Io } from "../../cli/io.js";
import { runCli } from "../../cli/program.js";
import { ROOT } from "./seeds.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the ferry command line in process with captured output. */
export async function ferry(argv: readonly string[], options: Partial<Omit<Io, "stdout" | "stderr">> = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: options.cwd ?? ROOT,
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
  });
  return { code, stdout, stderr };
}
