/**
 * The generic HTTP connector: any API that takes JSON over POST. It lets the runtime (paging, retry,
 * batching, the write record) be exercised end to end on loopback before real systems are wired, and
 * serves simple in-house APIs. The wire contract is in ./catalog.ts; test double in ./test-server.ts.
 */
import type { ConnectorContext, ConnectorFactory, ReadRequest, ReadResponse, RowResult, SourceConnector, TargetConnector, TargetState, WriteRequest } from "../../runtime/connector.js";
import { CallError } from "../../runtime/faults.js";
import { SecretMasker } from "../../runtime/secrets.js";
import { kindOf, quote, valueAt } from "./answer.js";
import { postJson, type WireConfig } from "./wire.js";
import { checkBaseUrl } from "./base-url.js";

/** Default cap on one answer: far above any sane page, far below what would exhaust memory. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Longest per-row refusal reason kept; reasons go to dead letters and terminal output. */
const REASON_CHARS = 500;

/** Tuning for tests; flows configure the connector through the environment only. */
export interface HttpConnectorOptions {
  /** Answers above this many bytes are `malformed`. Default {@link MAX_RESPONSE_BYTES}. */
  readonly maxResponseBytes?: number;
}

/**
 * The `http` connector factory. Reads `FERRY_HTTP_URL` (the base URL, http or https) and optionally
 * `FERRY_HTTP_TOKEN` (sent as a bearer token, never logged) when a source or target is created, so a
 * run without them fails before its first read.
 */
export function httpConnector(options: HttpConnectorOptions = {}): ConnectorFactory {
  return {
    name: "http",
    source: (ctx) => httpSource(wireConfig(ctx, options)),
    target: (ctx) => httpTarget(wireConfig(ctx, options)),
  };
}

/** Validates the environment once, so every call can trust the base URL. */
function wireConfig(ctx: ConnectorContext, options: HttpConnectorOptions): WireConfig {
  const bad = (message: string) => new CallError("http", "credentials", message);
  const raw = ctx.env.FERRY_HTTP_URL?.trim();
  if (!raw) throw bad("FERRY_HTTP_URL is not set: the base URL of the http connector");
  const baseUrl = checkBaseUrl("http", "FERRY_HTTP_URL", raw, {
    example: "http://host[:port][/prefix]",
    credentials: "put the token in FERRY_HTTP_TOKEN",
    query: "operation paths are appended to it",
  });
  const token = ctx.env.FERRY_HTTP_TOKEN?.trim();
  return {
    baseUrl,
    token: token ? token : undefined,
    masker: new SecretMasker([token]),
    names: { url: "FERRY_HTTP_URL", credentials: "check FERRY_HTTP_TOKEN" },
    maxResponseBytes: options.maxResponseBytes ?? MAX_RESPONSE_BYTES,
    now: () => ctx.clock.now(),
  };
}

/** Operation names are paths; a missing leading slash would glue the path onto the base's last segment. */
function pathOf(operation: string): string {
  return operation.startsWith("/") ? operation : `/${operation}`;
}

function malformed(call: string, message: string): CallError {
  return new CallError(call, "malformed", message);
}

function httpSource(config: WireConfig): SourceConnector {
  return {
    async read(request: ReadRequest): Promise<ReadResponse> {
      const call = `http ${request.operation}`;
      const answer = await postJson(config, { call, path: pathOf(request.operation), body: request.params, timeoutMs: request.timeoutMs, signal: request.signal });
      const records = valueAt(answer, request.recordsPath);
      if (!Array.isArray(records)) {
        const found = records === undefined ? "" : ` (found ${kindOf(records)})`;
        throw malformed(call, `answer has no array at ${request.recordsPath || "its top level"}${found}`);
      }
      return { records, total: readTotal(call, answer, request.totalPath), cursor: readCursor(call, answer, request.cursorPath) };
    },
  };
}

/** A total that is not a count would make paging stop early or never: refuse it. */
function readTotal(call: string, answer: unknown, path: string | null): number | null {
  if (path === null) return null;
  const total = valueAt(answer, path);
  if (total === undefined || total === null) return null;
  if (typeof total !== "number" || !Number.isSafeInteger(total) || total < 0) {
    const shown = typeof total === "number" ? String(total) : kindOf(total);
    throw malformed(call, `answer has ${shown} at ${path}, not a count (a whole number of at least 0)`);
  }
  return total;
}

function readCursor(call: string, answer: unknown, path: string | null): string | null {
  if (path === null) return null;
  const cursor = valueAt(answer, path);
  if (cursor === undefined || cursor === null) return null;
  if (typeof cursor !== "string") throw malformed(call, `answer has ${kindOf(cursor)} at ${path}, not a cursor (a string or null)`);
  return cursor;
}

function httpTarget(config: WireConfig): TargetConnector {
  return {
    async write(request: WriteRequest): Promise<readonly RowResult[]> {
      if (request.rows.length === 0) return [];
      const call = `http ${request.operation}`;
      const body = { rows: request.rows.map((r) => r.row) };
      const answer = await postJson(config, { call, path: pathOf(request.operation), body, timeoutMs: request.timeoutMs, signal: request.signal });
      const results = valueAt(answer, "results");
      if (!Array.isArray(results)) throw malformed(call, `answer has no array at results${results === undefined ? "" : ` (found ${kindOf(results)})`}`);
      // Results pair with rows by position: with one too many or too few, no row's fate is known.
      if (results.length !== request.rows.length) throw malformed(call, `answer has ${results.length} results for ${request.rows.length} rows`);
      return results.map((r, i) => rowResult(call, r, i, config.masker));
    },

    async lookup(request): Promise<readonly TargetState[]> {
      if (request.values.length === 0) return [];
      const path = `${pathOf(request.operation)}/lookup`;
      const call = `http ${path}`;
      const answer = await postJson(config, { call, path, body: { key: request.key, values: request.values }, timeoutMs: request.timeoutMs });
      const rows = valueAt(answer, "rows");
      if (!Array.isArray(rows)) throw malformed(call, `answer has no array at rows${rows === undefined ? "" : ` (found ${kindOf(rows)})`}`);
      return rows.map((r, i) => targetState(call, r, i));
    },
  };
}

function rowResult(call: string, result: unknown, index: number, masker: SecretMasker): RowResult {
  const where = `result ${index + 1}`;
  if (result === null || typeof result !== "object") throw malformed(call, `${where} is ${kindOf(result)}, not {"ok": true|false}`);
  const { ok, id, error } = result as { ok?: unknown; id?: unknown; error?: unknown };
  if (ok === true) return { ok: true, targetId: idText(call, id, `${where} id`) };
  if (ok === false) {
    // A reason is stored and shown: a target quoting the request's token back must not hand it out.
    const reason = typeof error === "string" && error.trim() !== "" ? quote(masker.mask(error), REASON_CHARS) : "refused without a reason";
    return { ok: false, reason };
  }
  throw malformed(call, `${where} has ${kindOf(ok)} at ok, not true or false`);
}

function targetState(call: string, entry: unknown, index: number): TargetState {
  const where = `row ${index + 1}`;
  if (entry === null || typeof entry !== "object") throw malformed(call, `${where} is ${kindOf(entry)}, not {"key", "id", "row"}`);
  const { key, id, row } = entry as { key?: unknown; id?: unknown; row?: unknown };
  const keyText = idText(call, key, `${where} key`);
  if (keyText === null) throw malformed(call, `${where} has no key`);
  return { key: keyText, targetId: idText(call, id, `${where} id`), row };
}

/** Ids arrive as strings or numbers; anything else is not an id. */
function idText(call: string, value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw malformed(call, `${where} is ${kindOf(value)}, not a string or number`);
}
