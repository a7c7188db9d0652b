/**
 * The client of every system that speaks the `signed` protocol: its spec says how requests are
 * built and signed (./request.ts), how an answer says it succeeded and what its failures mean
 * (./envelope.ts). Reads only: a write needs per-row results and a way to confirm what landed,
 * which the built-in protocols provide.
 */
import type { ConnectorContext, ConnectorFactory, ReadRequest, ReadResponse, SourceConnector } from "../../runtime/connector.js";
import { CallError } from "../../runtime/faults.js";
import type { ConnectorCatalog, OperationSchema } from "../catalog.js";
import { kindOf, valueAt } from "../http/answer.js";
import { checkBaseUrl } from "../http/base-url.js";
import { parseJson, readBody, readExcerpt, statusSaid, transientStatus, transportError, type Fail } from "../http/body.js";
import { SecretMasker } from "../../runtime/secrets.js";
import { answerFailure, isSuccess, statusFailure } from "./envelope.js";
import { buildRequest, requestParams } from "./request.js";
import type { SignedProtocol } from "./recipe.js";

/** Answers larger than this are refused as malformed instead of being buffered. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** The connector factory of a `signed` system. */
export function signedConnector(catalog: ConnectorCatalog): ConnectorFactory {
  const protocol = catalog.signed;
  if (!protocol) throw new Error(`${catalog.name} does not speak the signed protocol`);
  return { name: catalog.name, source: (ctx) => signedSource(catalog, protocol, ctx) };
}

interface Settings {
  readonly baseUrl: string;
  readonly env: (name: string) => string;
  readonly secret: string | undefined;
  readonly bearer: string | undefined;
  /** Keeps every fragment of the system's secrets out of messages. */
  readonly masker: SecretMasker;
  readonly now: () => number;
}

/** Reads the system's variables once, so a run without them fails before its first call. */
function settingsOf(catalog: ConnectorCatalog, protocol: SignedProtocol, ctx: ConnectorContext): Settings {
  const missing: string[] = [];
  const value = (name: string): string => {
    const v = ctx.env[name]?.trim();
    if (!v) missing.push(name);
    return v ?? "";
  };
  const credentials = catalog.connection?.credentials ?? [];
  const values = new Map(credentials.map((c) => [c.variable, c.required ? value(c.variable) : (ctx.env[c.variable]?.trim() ?? "")]));
  if (missing.length > 0) {
    const described = missing.map((m) => `${m} (${credentials.find((c) => c.variable === m)?.description.replace(/\.$/, "") ?? "required"})`);
    throw new CallError(catalog.name, "credentials", `${missing.length === 1 ? "a variable is" : "variables are"} not set: ${described.join("; ")}`);
  }
  const url = catalog.connection?.url;
  const raw = (url ? ctx.env[url.variable]?.trim() : undefined) || url?.default;
  if (!raw) throw new CallError(catalog.name, "credentials", `${url?.variable ?? "the system's URL"} is not set: the address of ${catalog.title}`);
  const baseUrl = checkBaseUrl(catalog.name, url?.variable ?? "URL", raw, { example: "https://host[:port][/prefix]", credentials: "", query: "the operation's path is appended to it" });
  return {
    baseUrl,
    env: (name) => values.get(name) ?? ctx.env[name] ?? "",
    secret: protocol.wire.sign ? values.get(protocol.wire.sign.secret) : undefined,
    bearer: protocol.wire.bearer ? values.get(protocol.wire.bearer) : undefined,
    masker: new SecretMasker(credentials.filter((c) => c.secret).map((c) => values.get(c.variable))),
    now: () => ctx.clock.now(),
  };
}

function signedSource(catalog: ConnectorCatalog, protocol: SignedProtocol, ctx: ConnectorContext): SourceConnector {
  const settings = settingsOf(catalog, protocol, ctx);
  return {
    async read(request: ReadRequest): Promise<ReadResponse> {
      const op = catalog.operations.find((o) => o.name === request.operation);
      const call = `${catalog.name} ${request.operation}`;
      if (!op || op.direction !== "read") throw new CallError(call, "rejected", `${catalog.name} has no read operation ${JSON.stringify(request.operation)}`);
      const answer = await exchange(catalog, protocol, settings, op, request);
      const records = valueAt(answer, request.recordsPath);
      // Systems leave the list out when nothing matched (Wangdiantong): that is an empty page.
      if (records === undefined || records === null) return { records: [], total: readTotal(call, answer, request.totalPath), cursor: null };
      if (!Array.isArray(records)) throw new CallError(call, "malformed", `answer has ${kindOf(records)} at ${request.recordsPath}, not a list of records`);
      return { records, total: readTotal(call, answer, request.totalPath), cursor: request.cursorPath ? readCursor(call, answer, request.cursorPath) : null };
    },
  };
}

async function exchange(catalog: ConnectorCatalog, protocol: SignedProtocol, settings: Settings, op: OperationSchema, request: ReadRequest): Promise<unknown> {
  const call = `${catalog.name} ${op.name}`;
  const fail: Fail = (kind, message, options) => new CallError(call, kind, settings.masker.mask(message), { retryAfterMs: options?.retryAfterMs });
  const wireName = op.wireName ?? op.name;
  const params = requestParams(protocol.wire, wireName, request.params, settings.env, settings.now());
  const built = buildRequest(protocol.wire, op.method, wireName, params, settings.secret, settings.bearer);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  const host = new URL(settings.baseUrl).host;
  let response: Response;
  try {
    response = await fetch(settings.baseUrl + built.path, { method: built.method, headers: built.headers, body: built.body, signal, redirect: "manual" });
    if (response.status < 200 || response.status > 299) {
      const excerpt = await readExcerpt(response, settings.masker);
      const said = statusSaid(response, excerpt);
      const redirect = response.status >= 300 && response.status <= 399;
      throw (
        statusFailure(protocol, response.status, said, fail) ??
        transientStatus(response, said, settings.now(), fail) ??
        fail("rejected", redirect ? `${said}, a redirect: set ${catalog.connection?.url?.variable ?? "the URL"} to the address that answers` : said)
      );
    }
    const text = await readBody(response, MAX_RESPONSE_BYTES, fail);
    const answer = parseJson(text, response.headers.get("content-type"), fail, settings.masker);
    if (!isSuccess(protocol.envelope, answer)) throw answerFailure(protocol, answer, fail);
    return answer;
  } catch (error) {
    if (error instanceof CallError) throw error;
    if (request.signal?.aborted) throw request.signal.reason;
    if (timeout.aborted) throw fail("timeout", `no answer from ${host} within ${request.timeoutMs} ms`);
    throw transportError(error, host, fail);
  }
}

/** A count given as a number or as digits; anything else is refused, since paging stops on it. */
function readTotal(call: string, answer: unknown, path: string | null): number | null {
  if (path === null) return null;
  const raw = valueAt(answer, path);
  if (raw === undefined || raw === null || raw === "") return null;
  const total = typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof total !== "number" || !Number.isSafeInteger(total) || total < 0) throw new CallError(call, "malformed", `answer has ${kindOf(raw)} at ${path}, not a count`);
  return total;
}

function readCursor(call: string, answer: unknown, path: string): string | null {
  const cursor = valueAt(answer, path);
  if (cursor === undefined || cursor === null || cursor === "") return null;
  if (typeof cursor !== "string" && typeof cursor !== "number") throw new CallError(call, "malformed", `answer has ${kindOf(cursor)} at ${path}, not a cursor`);
  return String(cursor);
}
