/**
 * `node compile-child.js <file>`, the flow's bytes on stdin: compiles one flow for a run in a
 * process of its own (see loadFlow) and prints the RunCompilation as one JSON line on stdout. The
 * run's process then never loads TypeScript, whose memory it would carry through every record.
 */
import { compileForRun } from "./compile-for-run.js";

async function main(file: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const compiled = await compileForRun(file, Buffer.concat(chunks));
  process.stdout.write(`${JSON.stringify(compiled)}\n`);
}

const [file] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: compile-child.js <file> < flow.map\n");
  process.exitCode = 2;
} else {
  main(file).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
