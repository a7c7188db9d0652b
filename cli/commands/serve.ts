import { startServer } from "../../serve/index.js";
import { requireTokenOffLoopback, ServeUsageError } from "../../serve/security.js";
import { SqliteStateStore } from "../../runtime/state/sqlite.js";
import { openStateStore } from "../../runtime/state/open.js";
import { loadEnv } from "../env.js";
import { colors, EXIT, type Io } from "../io.js";

/** The options of `ferry serve`; unset ones take SERVE_DEFAULTS. */
export interface ServeCommandOptions {
  readonly port?: number;
  readonly host?: string;
}

/** Where the console listens unless told otherwise. */
export const SERVE_DEFAULTS = { port: 7300, host: "127.0.0.1" } as const;

/**
 * `ferry serve [--port 7300] [--host 127.0.0.1]`: the web console and /metrics over the state
 * store, until `stop` resolves (SIGINT/SIGTERM in the program). A host other than loopback needs
 * FERRY_SERVE_TOKEN; without it the command refuses to start (a UsageError: exit 2, one line).
 */
export async function serveCommand(io: Io, options: ServeCommandOptions, stop: Promise<void>): Promise<number> {
  const env = loadEnv(io.cwd, io.env);
  const host = options.host ?? SERVE_DEFAULTS.host;
  const port = options.port ?? SERVE_DEFAULTS.port;
  const token = env.FERRY_SERVE_TOKEN || undefined;
  // Checked before the store opens, so a refused start leaves nothing behind.
  requireTokenOffLoopback(host, token);
  const store = openStateStore(env, io.cwd);
  if (!(store instanceof SqliteStateStore)) {
    await store.close();
    throw new ServeUsageError("ferry serve reads the SQLite state store; unset FERRY_DATABASE_URL");
  }
  const c = colors(io);
  try {
    const server = await startServer({ host, port, token, store, cwd: io.cwd, env, log: (line) => io.stderr.write(`${line}\n`) });
    io.stderr.write(`${c.green("✔")} ferry console on ${server.url} (state: ${store.location})${token ? "; token required: open it once with ?token=… or send Authorization: Bearer …" : ""}\n`);
    io.stderr.write("  metrics at /metrics · Ctrl-C stops it\n");
    io.stdout.write(`${server.url}\n`);
    await stop;
    await server.close();
    io.stderr.write("console stopped\n");
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
