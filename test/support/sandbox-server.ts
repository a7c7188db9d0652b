/**
 * A loopback HTTP server for sandbox handlers in tests: reads each request's whole body, hands it to
 * the handler that owns the path, and on close frees everything (open sockets, requests a `timeout`
 * fault is holding). Generic over systems, so every connector's tests share it.
 */
import { createServer, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { SandboxHandler } from "../../connectors/sandbox/handler.js";

/** Request bodies above this are refused with 413 rather than buffered. */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

export interface SandboxServer {
  /** `http://127.0.0.1:PORT`, the base URL for any connector. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `handlers` on a free loopback port; resolves once listening. */
export async function serveSandboxes(handlers: readonly SandboxHandler[]): Promise<SandboxServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.byteLength;
      if (size > MAX_REQUEST_BYTES) {
        refused = true;
        chunks.length = 0;
        sendJson(res, 413, { error: `request bodies are limited to ${MAX_REQUEST_BYTES} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (refused) return;
      const handler = handlers.find((h) => h.owns(path));
      if (!handler) return sendJson(res, 404, { error: `no sandbox answers ${path}` });
      handler.handle(req, Buffer.concat(chunks, size), res).catch((error: unknown) => {
        // Handlers promise never to throw; if one does, the test should see a 500, not a hang.
        if (!res.headersSent) sendJson(res, 500, { error: `sandbox ${handler.system} failed: ${String(error)}` });
        else res.destroy();
      });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const h of handlers) (h as { releaseHeld?: () => void }).releaseHeld?.();
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
