import { keepYoungGenerationSmall, streamsRecords } from "./heap.js";
import { runCli } from "./program.js";

const argv = process.argv.slice(2);
if (streamsRecords(argv)) keepYoungGenerationSmall();

// Output that cannot be written ends ferry with a line, not a stack: a reader that went away
// (`ferry explain | head -1`) ends it quietly, a full disk or a broken stderr with exit 1.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  process.stderr.write(`ferry: cannot write the output: ${error.message}\n`);
  process.exit(1);
});
process.stderr.on("error", () => process.exit(process.exitCode === 0 || process.exitCode === undefined ? 1 : process.exitCode));

/**
 * The process entry of `ferry`. Anything that escapes the commands is a bug in ferry: it is reported
 * in one line (the stack only with FERRY_DEBUG=1), never as a raw stack trace.
 */
try {
  process.exitCode = await runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
  });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`ferry: internal error: ${message}\n  this is a bug in ferry; please report it with the command you ran${process.env.FERRY_DEBUG ? "" : " (FERRY_DEBUG=1 shows details)"}\n`);
  if (process.env.FERRY_DEBUG && error instanceof Error) process.stderr.write(`${error.stack ?? ""}\n`);
  process.exitCode = 1;
}
