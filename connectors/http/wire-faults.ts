import type { ServerResponse } from "node:http";
import type { HeldSockets } from "./held-sockets.js";

/**
 * Faults below a system's own error answers, which every loopback server (the sandboxes, the http
 * test server) injects the same way: an HTML page where JSON belongs, half a JSON answer, a reset
 * connection, no answer at all.
 */
export type WireFault = "html" | "truncated" | "reset" | "timeout";

const WIRE_FAULTS: ReadonlySet<string> = new Set<WireFault>(["html", "truncated", "reset", "timeout"]);

export function isWireFault(fault: string): fault is WireFault {
  return WIRE_FAULTS.has(fault);
}

/** What a server says when it answers a wire fault: its own error page, half of its own JSON. */
export interface WireFaultAnswers {
  readonly html: string;
  /** Half of a real-looking answer: the body completes (its length matches), the JSON does not. */
  truncated(): string;
  /** The content type the server gives its JSON. */
  readonly jsonType: string;
}

export function answerWireFault(fault: WireFault, res: ServerResponse, held: HeldSockets, answers: WireFaultAnswers): void {
  switch (fault) {
    case "html":
      return sendText(res, 200, "text/html; charset=utf-8", answers.html);
    case "truncated":
      return sendText(res, 200, answers.jsonType, answers.truncated());
    case "reset":
      // An RST, not a FIN: the client sees ECONNRESET, as from a crashed proxy or load balancer.
      res.socket?.resetAndDestroy();
      return;
    case "timeout":
      // Never answer: the client's own timeout ends the exchange; the server's stop ends what is left.
      held.hold(res.socket);
      return;
  }
}

/** A whole answer with its length, so the client reads exactly this body. */
export function sendText(
  res: ServerResponse,
  status: number,
  type: string,
  text: string,
  options: { readonly headers?: Readonly<Record<string, string | string[]>>; readonly flushed?: () => void } = {},
): void {
  res.writeHead(status, { ...options.headers, "content-type": type, "content-length": Buffer.byteLength(text) });
  // end's callback runs once the answer is handed to the socket: the moment a crash test kills the client.
  res.end(text, options.flushed);
}

/** Ends the exchange with a reset instead of the answer the server just computed (the `lost` fault). */
export function loseAnswer(res: ServerResponse): void {
  res.socket?.resetAndDestroy();
}

/**
 * `res` for a handler that answers in many places: it carries the request out and answers as usual,
 * but the answer is never sent; the connection is reset instead (the `lost` fault).
 */
export function losingAnswer(res: ServerResponse): ServerResponse {
  res.writeHead = (() => res) as unknown as ServerResponse["writeHead"];
  res.end = ((..._: unknown[]) => {
    loseAnswer(res);
    return res;
  }) as unknown as ServerResponse["end"];
  return res;
}
