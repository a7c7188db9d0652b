import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got. */
export interface Received {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly body: unknown;
}

/** A webhook receiver on 127.0.0.1 that records what it gets and can fail on demand. */
export interface WebhookReceiver {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly received: Received[];
  /** Successful requests only (the ones answered 200). */
  delivered(): Received[];
  /** Answers the next `count` requests with `status` (default 500) and `body`. */
  failNext(count: number, status?: number, body?: string): void;
  /** The body of a 200 answer (default `{"errcode":0,"errmsg":"ok"}`, which every format accepts). */
  answerWith(body: string): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const okStatus: boolean[] = [];
  const failures: { status: number; body: string }[] = [];
  let okBody = JSON.stringify({ errcode: 0, errmsg: "ok" });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      received.push({ path: url.pathname, query: url.searchParams, headers: req.headers, raw, body });
      const failure = failures.shift();
      okStatus.push(failure === undefined);
      res.writeHead(failure?.status ?? 200, { "content-type": "application/json" });
      res.end(failure?.body ?? okBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    delivered: () => received.filter((_, i) => okStatus[i]),
    failNext: (count, status = 500, body = "{\"error\":\"boom\"}") => {
      for (let i = 0; i < count; i++) failures.push({ status, body });
    },
    answerWith: (body) => {
      okBody = body;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
