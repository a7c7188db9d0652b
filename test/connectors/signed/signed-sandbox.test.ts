import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectorCatalog } from "../../../connectors/catalog.js";
import { signedConnector } from "../../../connectors/signed/client.js";
import { createSignedSandbox, sandboxEnv, type SignedSandbox } from "../../../connectors/signed/sandbox.js";
import { FaultDice, type FaultRule } from "../../../connectors/sandbox/faults.js";
import { loadSystems } from "../../../connectors/spec/load-systems.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../../runtime/datetime.js";
import { CallError } from "../../../runtime/faults.js";
import { FakeClock } from "../../../runtime/fake-clock.js";
import type { FlowSpec } from "../../../runtime/types.js";

const NOW = Date.UTC(2026, 11, 8, 4, 0, 0);
const fmt = (ms: number) => formatDateTime(ms, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);

interface Running {
  readonly url: string;
  readonly sandbox: SignedSandbox;
  readonly server: Server;
}

async function start(catalog: ConnectorCatalog, faults: readonly FaultRule[] = []): Promise<Running> {
  const sandbox = createSignedSandbox(catalog, { seed: 7, records: 1200, dice: new FaultDice(faults, 7), now: () => NOW });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void sandbox.handle(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sandbox, server };
}

function reader(catalog: ConnectorCatalog, env: Record<string, string>) {
  const factory = signedConnector(catalog);
  return factory.source!({ env, clock: new FakeClock(NOW), flow: {} as FlowSpec });
}

const catalogs = loadSystems().catalogs;
const systemNamed = (name: string) => catalogs.find((c) => c.name === name)!;

describe.each([
  ["wangdiantong", "trade_query", "start_time", "end_time", "page_no", 0, "page_size", "trades", "total_count", 60 * 60_000],
  ["jushuitan", "/open/purchase/query", "modified_begin", "modified_end", "page_index", 1, "page_size", "data.datas", "data.data_count", 7 * 86_400_000],
] as const)("%s, a system written only as a spec, against its sandbox", (name, operation, startParam, endParam, pageParam, firstPage, sizeParam, records, total, maxSpan) => {
  const catalog = systemNamed(name);
  let running: Running;
  beforeAll(async () => {
    running = await start(catalog);
  });
  afterAll(() => new Promise<void>((resolve) => running.server.close(() => resolve())));

  const read = (params: Record<string, string | number>, env = sandboxEnv(catalog, running.url)) =>
    reader(catalog, env).read({ operation, params, recordsPath: records, totalPath: total, cursorPath: null, timeoutMs: 5000 });

  it("serves every record of a window once, page by page, signed as the SDKs sign", async () => {
    const op = catalog.operations.find((o) => o.name === operation)!;
    const all = running.sandbox.records(operation);
    const span = Math.min(maxSpan, 86_400_000);
    const start = NOW - span;
    const expected = all.filter((r) => String(r[op.window!.field!]) >= fmt(start) && String(r[op.window!.field!]) <= fmt(NOW));
    expect(expected.length).toBeGreaterThan(10);
    const seen: unknown[] = [];
    for (let page = firstPage; ; page++) {
      const answer = await read({ [startParam]: fmt(start), [endParam]: fmt(NOW), [pageParam]: page, [sizeParam]: 10 });
      expect(answer.total).toBe(expected.length);
      seen.push(...answer.records);
      if (answer.records.length < 10) break;
    }
    expect(seen).toEqual(expected);
  });

  it("is refused, as credentials, when the secret is wrong", async () => {
    const env = sandboxEnv(catalog, running.url);
    const secret = catalog.signed!.wire.sign!.secret;
    const error = await read({ [startParam]: fmt(NOW - 60_000), [endParam]: fmt(NOW) }, { ...env, [secret]: "wrong-secret" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallError);
    expect((error as CallError).kind).toBe("credentials");
    expect((error as CallError).message).not.toContain("wrong-secret");
  });

  it("is refused when the window is longer than the operation allows", async () => {
    const error = await read({ [startParam]: fmt(NOW - maxSpan - 60_000), [endParam]: fmt(NOW) }).catch((e: unknown) => e);
    expect((error as CallError).kind).toBe("rejected");
  });

  it("stops before any call when a credential is missing, naming it", () => {
    const env = sandboxEnv(catalog, running.url);
    const missing = catalog.connection!.credentials.find((c) => c.required)!.variable;
    const { [missing]: _gone, ...rest } = env;
    expect(() => reader(catalog, rest)).toThrow(new RegExp(missing));
  });
});

describe("a signed system's faults", () => {
  it.each([
    ["throttle", "throttled"],
    ["html", "malformed"],
    ["500", "server"],
    ["session-lost", "server"],
  ] as const)("%s is a retryable %s failure", async (fault, kind) => {
    const catalog = systemNamed("wangdiantong");
    const running = await start(catalog, [{ system: "wangdiantong", operation: undefined, fault, probability: 1 }]);
    try {
      const error = await reader(catalog, sandboxEnv(catalog, running.url))
        .read({ operation: "trade_query", params: { start_time: fmt(NOW - 60_000), end_time: fmt(NOW) }, recordsPath: "trades", totalPath: "total_count", cursorPath: null, timeoutMs: 5000 })
        .catch((e: unknown) => e);
      expect((error as CallError).kind).toBe(kind);
      expect((error as CallError).transient).toBe(true);
    } finally {
      await new Promise<void>((resolve) => running.server.close(() => resolve()));
    }
  });
});
