/**
 * The generic HTTP connector as the compiler and runtime see it. A generic API has any paths, params
 * and fields, so instead of operations the catalog carries two templates (`dynamic`): every operation
 * name starting with `/` is one of them, renamed. Wire protocol: ./client.ts.
 */
import type { ConnectorCatalog, OpenKeys, OperationSchema } from "../catalog.js";

const SECOND = 1_000;

/** Any key, any value: the flow alone says which fields a record or row has. */
const ANY_KEYS: OpenKeys = {
  pattern: "^.+$",
  type: "any",
  description: "any field: the generic http connector knows no schema",
};

/** Template of every `source http "/…"` operation. */
const readTemplate: OperationSchema = {
  name: "/<source path>",
  direction: "read",
  description:
    "POST {FERRY_HTTP_URL}{path} with the request params as a JSON object; the answer is JSON with the records, total and next cursor at the paths the flow names.",
  method: "POST",
  params: [],
  anyParams: true,
  record: { title: "http records", fields: [], openKeys: ANY_KEYS },
  // The defaults are the shape ferry's own http test server answers; flows usually name their paths.
  response: { records: "data.items", total: "data.total", paths: ["data.items", "data.total"] },
  anyResponsePath: true,
};

/** Template of every `target http "/…"` operation. */
const writeTemplate: OperationSchema = {
  name: "/<target path>",
  direction: "write",
  description:
    'POST {FERRY_HTTP_URL}{path} with {"rows": [...]}; the answer holds one {"ok": true, "id"} or {"ok": false, "error"} per row, in order. Lookups (idcheck after a crash) POST to {path}/lookup.',
  method: "POST",
  params: [],
  record: { title: "http rows", fields: [], openKeys: ANY_KEYS },
  confirm: "POST {path}/lookup",
  limits: { maxBatch: 1000 },
  defaults: { batch: 100 },
};

/** The generic HTTP connector: any JSON-over-POST API, and ferry's loopback test server. */
export const httpCatalog: ConnectorCatalog = {
  name: "http",
  title: "HTTP",
  // Listed so docs and "did you mean" notes show the shape of a name; findOperation never returns
  // them as such, because every `/` name resolves through `dynamic`.
  operations: [readTemplate, writeTemplate],
  dynamic: { read: readTemplate, write: writeTemplate },
  defaults: {
    // No rate by default: the generic target is usually a local or test system; flows add `rate`.
    retry: { attempts: 3, minMs: 200, maxMs: 5 * SECOND },
    timeoutMs: 10 * SECOND,
  },
};
