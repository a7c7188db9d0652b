import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { createBanniuSandbox } from "../banniu/sandbox.js";
import { createGuanyiSandbox } from "../guanyi/sandbox.js";
import { describeListenError } from "../http/listen-error.js";
import { createKingdeeSandbox } from "../kingdee/sandbox.js";
import { FaultDice, parseFaultSpec } from "./faults.js";
import { SANDBOX_CREDENTIALS, type SandboxHandler } from "./handler.js";
import type { ConnectorCatalog } from "../catalog.js";
import { createSignedSandbox, sandboxEnv, type SignedSandbox } from "../signed/sandbox.js";
import { loadSystems } from "../spec/load-systems.js";

export interface SandboxOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  readonly seed?: number;
  /** Guanyi shops (default 3000). */
  readonly shops?: number;
  /** Kingdee materials (BD_MATERIAL) already there, for flows that read Kingdee (default 300). */
  readonly materials?: number;
  /** Banniu tasks (default 40: the seed flow writes them at 2 calls a second). */
  readonly tasks?: number;
  /** e.g. `kingdee.batchSave:500@5%,guanyi:timeout@2%`. */
  readonly faults?: string;
  readonly now?: () => number;
  /** The systems to serve besides the three built-in emulators: every spec system of the `signed` protocol (default: ferry's built-in specs). */
  readonly systems?: readonly ConnectorCatalog[];
  /** Records each spec-built sandbox serves per read operation (default 500). */
  readonly specRecords?: number;
}

export interface Sandboxes {
  readonly url: string;
  readonly guanyi: ReturnType<typeof createGuanyiSandbox>;
  readonly kingdee: ReturnType<typeof createKingdeeSandbox>;
  readonly banniu: ReturnType<typeof createBanniuSandbox>;
  /** The sandboxes built from specs, by system name. */
  readonly specs: ReadonlyMap<string, SignedSandbox>;
  readonly dice: FaultDice;
  /** The environment that points the connectors at these sandboxes, credentials included. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** Largest request body the sandboxes read: real systems refuse far smaller ones. */
const MAX_BODY = 64 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The sandboxes cannot listen where they were told to (a port in use, not allowed). */
export class SandboxListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

/**
 * Starts emulators of Guanyi, Kingdee and Banniu on one loopback port. They check signatures and
 * sessions, keep their data, count saves per record, and inject faults by spec, reproducibly.
 */
export async function startSandboxes(options: SandboxOptions = {}): Promise<Sandboxes> {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const systems = options.systems ?? loadSystems().catalogs;
  const signedSystems = systems.filter((c) => c.signed !== undefined);
  const dice = new FaultDice(parseFaultSpec(options.faults ?? "", ["guanyi", "kingdee", "banniu", ...signedSystems.map((c) => c.name)]), seed);
  const base = { seed, dice, now };
  const guanyi = createGuanyiSandbox({ ...base, records: options.shops ?? 3000 }, systems.find((c) => c.name === "guanyi"));
  const kingdee = createKingdeeSandbox({ ...base, records: options.materials ?? 300 });
  const banniu = createBanniuSandbox({ ...base, records: options.tasks ?? 40 });
  const specs = new Map(signedSystems.map((c) => [c.name, createSignedSandbox(c, { ...base, records: options.specRecords ?? 500 })] as const));
  const handlers: SandboxHandler[] = [guanyi, kingdee, banniu, ...specs.values()];
  const sockets = new Set<Socket>();

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://sandbox").pathname;
    const handler = handlers.find((h) => h.owns(path));
    void readBody(req)
      .then(async (body) => {
        if (body === undefined) {
          res.writeHead(413, { "content-type": "text/plain" }).end("request too large");
          return;
        }
        if (!handler) {
          res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `no sandbox answers ${path}` }));
          return;
        }
        await handler.handle(req, body, res);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end("sandbox error");
      });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const message = describeListenError(error, "127.0.0.1", options.port ?? 0);
      reject(message === undefined ? error : new SandboxListenError(message));
    });
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    FERRY_GUANYI_URL: url,
    FERRY_KINGDEE_URL: url,
    FERRY_BANNIU_URL: url,
    ...SANDBOX_CREDENTIALS.guanyi,
    ...SANDBOX_CREDENTIALS.kingdee,
    ...SANDBOX_CREDENTIALS.banniu,
    ...Object.assign({}, ...signedSystems.map((c) => sandboxEnv(c, url))),
  };
  return {
    url,
    guanyi,
    kingdee,
    banniu,
    specs,
    dice,
    env,
    close: async () => {
      for (const h of [guanyi, kingdee, banniu, ...specs.values()]) h.releaseHeld();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
