import { UsageError } from "../compiler/files.js";
import { CallError } from "../runtime/faults.js";
import { colors, EXIT, type Io } from "./io.js";

/**
 * What a command that calls a system once (`ferry systems pull`, `sample`) does with its failure:
 * missing or refused credentials are set-up problems (exit 2, one line), any other failed call is
 * said in one line (exit 1); anything else is a bug and is rethrown.
 */
export function callFailure(io: Io, error: unknown): number {
  if (error instanceof CallError && error.kind === "credentials") throw new UsageError(error.message);
  if (error instanceof CallError) {
    io.stderr.write(`${colors(io).red("error")}: ${error.message}\n`);
    return EXIT.inputErrors;
  }
  throw error;
}
