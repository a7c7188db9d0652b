import type { Socket } from "node:net";

/**
 * Requests a test server or sandbox never answers (an injected `timeout`): the client's own timeout
 * ends each exchange; `release()` ends what is left when the server stops, so nothing lingers.
 */
export class HeldSockets {
  private readonly sockets = new Set<Socket>();

  hold(socket: Socket | null | undefined): void {
    if (!socket) return;
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  release(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
