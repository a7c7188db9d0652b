/**
 * Runs the http test server from the command line, for manual tries and the benchmark:
 *
 *   node dist/connectors/http/test-server-main.js --records 1000 --seed 1 --port 0 \
 *     [--fault-rate 0.05 --fault-kinds 429,500,reset --fault-seed 7] [--limit /shops=20]
 *
 * Prints `{"url": "http://127.0.0.1:PORT"}` as one line on stdout, then serves until SIGTERM/SIGINT.
 */
import { parseServerArgs } from "./test-server-args.js";
import { startHttpTestServer, type HttpTestServerOptions } from "./test-server.js";

function complain(error: unknown, exitCode: number): void {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = exitCode;
}

async function main(): Promise<void> {
  let options: HttpTestServerOptions;
  try {
    options = parseServerArgs(process.argv.slice(2));
  } catch (error) {
    return complain(error, 2);
  }
  const server = await startHttpTestServer(options).catch((error: unknown) => complain(error, 1));
  if (!server) return;
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const stop = () => {
    void server.close();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

void main();
