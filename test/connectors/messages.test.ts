import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectorFactory } from "../../connectors/registry.js";
import { SANDBOX_CREDENTIALS } from "../../connectors/sandbox/handler.js";
import type { ConnectorContext } from "../../runtime/connector.js";
import { CallError } from "../../runtime/faults.js";
import type { FlowSpec } from "../../runtime/types.js";

let server: Server;
let url = "";
let status = 302;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(status, { "content-type": "text/plain", location: "https://elsewhere.example/" });
      res.end("no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const SYSTEMS = ["http", "guanyi", "banniu", "kingdee"] as const;
type System = (typeof SYSTEMS)[number];

/** A call of each connector: the one read or write its messages are about. */
async function callOf(system: System): Promise<CallError> {
  const env = { ...SANDBOX_CREDENTIALS.guanyi, ...SANDBOX_CREDENTIALS.banniu, ...SANDBOX_CREDENTIALS.kingdee, [`FERRY_${system.toUpperCase()}_URL`]: url };
  const ctx: ConnectorContext = { env, clock: { now: () => Date.now(), sleep: async () => undefined }, flow: {} as FlowSpec };
  const factory = connectorFactory(system)!;
  const read = { params: {}, recordsPath: "shops", totalPath: null, cursorPath: null, timeoutMs: 5000 };
  const write = { form: "BD_Customer", options: {}, rows: [{ sourceId: "1", row: { FNumber: "A" } }], key: null, timeoutMs: 5000 };
  const attempt =
    system === "kingdee"
      ? factory.target!(ctx).write({ ...write, operation: "batchSave" })
      : factory.source!(ctx).read({ ...read, operation: system === "http" ? "/shops" : system === "guanyi" ? "gy.erp.shop.get" : "task.list" });
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CallError)) throw new Error(`expected a CallError from ${system}, got ${String(error)}`);
  return error;
}

describe("each connector's messages name its own variables", () => {
  it.each(SYSTEMS)("%s: a redirect names its own URL variable, and no other connector's", async (system) => {
    status = 302;
    const error = await callOf(system);
    expect(error.message).toContain(`set FERRY_${system.toUpperCase()}_URL`);
    for (const other of SYSTEMS.filter((s) => s !== system)) expect(error.message).not.toContain(`FERRY_${other.toUpperCase()}_`);
  });

  it.each(SYSTEMS)("%s: a refusal of who we are names its own credentials, and no other connector's", async (system) => {
    status = 401;
    const error = await callOf(system);
    expect(error.kind).toBe("credentials");
    expect(error.message).toContain(`FERRY_${system.toUpperCase()}_`);
    for (const other of SYSTEMS.filter((s) => s !== system)) expect(error.message).not.toContain(`FERRY_${other.toUpperCase()}_`);
  });
});
