/**
 * The sandbox of a `signed` system, built from its spec alone: it answers each read operation's
 * path, checks the common params and the signature with the spec's recipe, refuses missing required
 * params, windows longer than the operation allows and pages larger than it serves, serves seeded
 * records generated from the record schema, and injects faults like the other sandboxes. Error
 * answers use the examples of the spec's error rules, so the client is classified against the same
 * words the system uses.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConnectorCatalog, OperationSchema } from "../catalog.js";
import { HeldSockets } from "../http/held-sockets.js";
import { answerWireFault, isWireFault, sendText } from "../http/wire-faults.js";
import type { SandboxContext, SandboxHandler } from "../sandbox/handler.js";
import { SpecReads } from "../sandbox/spec-reads.js";
import type { ErrorRule, SignedProtocol } from "./recipe.js";
import { verifySignature } from "./request.js";

/** The value a sandbox accepts for a credential variable: `FERRY_WANGDIANTONG_SID` → `sandbox-wangdiantong-sid`. */
export function sandboxCredential(variable: string): string {
  return `sandbox-${variable.toLowerCase().replace(/^ferry_/, "").replace(/_/g, "-")}`;
}

/** The environment that points a `signed` system's connector at a sandbox at `url`. */
export function sandboxEnv(catalog: ConnectorCatalog, url: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const c of catalog.connection?.credentials ?? []) env[c.variable] = sandboxCredential(c.variable);
  if (catalog.connection?.url) env[catalog.connection.url.variable] = url;
  return env;
}

export interface SignedSandbox extends SandboxHandler {
  /** The records an operation serves, for tests. */
  records(operation: string): readonly Record<string, unknown>[];
  releaseHeld(): void;
}

type Kind = ErrorRule["kind"];

const FALLBACK_MESSAGES: Readonly<Record<Kind, string>> = {
  throttled: "too many requests",
  server: "system busy",
  session: "session lost",
  credentials: "sign error",
  rejected: "bad parameter",
};

export function createSignedSandbox(catalog: ConnectorCatalog, ctx: SandboxContext): SignedSandbox {
  const protocol = catalog.signed;
  if (!protocol) throw new Error(`${catalog.name} does not speak the signed protocol`);
  const byPath = new Map<string, OperationSchema>();
  for (const op of catalog.operations) {
    if (op.direction === "read") byPath.set(protocol.wire.endpoint.replace("{operation}", op.wireName ?? op.name), op);
  }
  const reads = new SpecReads(ctx.records, ctx.seed, ctx.now);
  const calls = new Map<string, number>();
  const held = new HeldSockets();
  const bump = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);

  const send = (res: ServerResponse, answer: unknown) => sendText(res, 200, "application/json; charset=utf-8", JSON.stringify(answer));
  const refuse = (res: ServerResponse, kind: Kind, detail?: string) => {
    bump(`error:${kind}`);
    send(res, failureAnswer(protocol, kind, detail));
  };

  return {
    system: catalog.name,
    owns: (path) => byPath.has(path),
    records: (name) => {
      const op = catalog.operations.find((o) => o.name === name);
      return op ? reads.records(op) : [];
    },
    releaseHeld: () => held.release(),
    stats: () => Object.fromEntries(calls),
    async handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
      const url = new URL(req.url ?? "/", "http://sandbox");
      const op = byPath.get(url.pathname);
      if (!op) return refuse(res, "rejected", "unknown method");
      bump(op.name);
      const fault = ctx.dice.roll(catalog.name, op.name);
      if (fault && isWireFault(fault)) {
        return answerWireFault(fault, res, held, { html: "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", jsonType: "application/json; charset=utf-8", truncated: () => JSON.stringify(failureAnswer(protocol, "server")).slice(0, 20) });
      }
      if (fault === "500") return sendText(res, 500, "text/plain; charset=utf-8", "500 Internal Server Error");
      if (fault === "throttle") return refuse(res, "throttled");
      if (fault === "session-lost") return refuse(res, "server");

      const params = receivedParams(protocol, url, body);
      if (!params) return refuse(res, "rejected", "the request cannot be read");
      for (const [name, param] of Object.entries(protocol.wire.params)) {
        if ("variable" in param && params.values[name] !== sandboxCredential(param.variable)) return refuse(res, "credentials", `${name} is wrong`);
      }
      const sign = protocol.wire.sign;
      if (sign && !verifySignature(sign, sandboxCredential(sign.secret), params.values, params.unsignedBody)) return refuse(res, "credentials", "sign is wrong");
      const business = businessParams(protocol, params.values);
      if (!business) return refuse(res, "rejected", `${(protocol.wire.business as { json: string }).json} is not a JSON object`);
      const read = reads.answer(op, business);
      if ("refused" in read) return refuse(res, "rejected", read.refused);
      send(res, successAnswer(protocol, op, read.page, read.total));
    },
  };
}

interface Received {
  /** Every param as text, the signature included. */
  readonly values: Record<string, string>;
  /** For json bodies: the body as the client signed it (without the signature). */
  readonly unsignedBody: string;
}

function receivedParams(protocol: SignedProtocol, url: URL, body: Buffer): Received | undefined {
  const values: Record<string, string> = {};
  for (const [k, v] of url.searchParams) values[k] = v;
  if (protocol.wire.encoding === "form" && body.length > 0) for (const [k, v] of new URLSearchParams(body.toString("utf8"))) values[k] = v;
  if (protocol.wire.encoding !== "json") return { values, unsignedBody: "" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const { [protocol.wire.sign?.param ?? "\u0000"]: _sign, ...rest } = parsed as Record<string, unknown>;
  for (const [k, v] of Object.entries(parsed)) values[k] = typeof v === "string" ? v : JSON.stringify(v);
  return { values, unsignedBody: JSON.stringify(rest) };
}

function businessParams(protocol: SignedProtocol, values: Record<string, string>): Record<string, unknown> | undefined {
  if (protocol.wire.business === "flat") return values;
  const text = values[protocol.wire.business.json] ?? "{}";
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Sets `value` at a dotted path, creating the objects on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = target;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== "object") cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function successAnswer(protocol: SignedProtocol, op: OperationSchema, records: readonly unknown[], total: number): Record<string, unknown> {
  const answer: Record<string, unknown> = {};
  const { envelope } = protocol;
  setPath(answer, envelope.success.path, envelope.success.equals);
  if (envelope.message) setPath(answer, envelope.message, "");
  if (op.response?.total) setPath(answer, op.response.total, total);
  setPath(answer, op.response?.records ?? "records", records);
  return answer;
}

/** A failure of `kind` in the system's own words: the example of the first rule of that kind. */
function failureAnswer(protocol: SignedProtocol, kind: Kind, detail?: string): Record<string, unknown> {
  const { envelope } = protocol;
  const rule = protocol.errors.find((r) => r.kind === kind && r.status === undefined);
  const code = rule?.example?.code ?? rule?.code?.[0] ?? 1;
  const message = `${rule?.example?.message ?? FALLBACK_MESSAGES[kind]}${detail ? ` (${detail})` : ""}`;
  const answer: Record<string, unknown> = {};
  const equals = envelope.success.equals;
  const failed = envelope.code === envelope.success.path ? code : typeof equals === "boolean" ? !equals : typeof equals === "number" ? (equals === 0 ? 1 : 0) : "error";
  setPath(answer, envelope.success.path, failed);
  if (envelope.code && envelope.code !== envelope.success.path) setPath(answer, envelope.code, code);
  if (envelope.message) setPath(answer, envelope.message, message);
  return answer;
}
