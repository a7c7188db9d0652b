import { keepYoungGenerationSmall, streamsRecords } from "./heap.js";
import { runCli } from "./program.js";

const argv = process.argv.slice(2);
if (streamsRecords(argv)) keepYoungGenerationSmall();

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
