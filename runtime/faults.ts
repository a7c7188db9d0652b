/**
 * How a failed call is classified. Connectors decide, because only they know their system's error
 * answers (Kingdee's MsgCode 1 and 14, Guanyi's success:false, HTTP 429): the runtime only acts on
 * the class.
 */
export type FaultKind =
  | "timeout" // no answer in time
  | "network" // connection refused or reset
  | "throttled" // the system asked to slow down (429, "limit reached")
  | "server" // 5xx or the system's own transient error
  | "session" // the session was lost; the connector logs in again before the retry
  | "malformed" // the answer is not what the protocol promises (HTML page, truncated JSON, missing path)
  | "rejected" // the system refused the request itself (validation, permission): retrying cannot help
  | "credentials"; // missing or wrong credentials: retrying cannot help

const TRANSIENT: ReadonlySet<FaultKind> = new Set(["timeout", "network", "throttled", "server", "session", "malformed"]);

/** A call to a system that failed, with what the runtime needs to decide what to do next. */
export class CallError extends Error {
  readonly kind: FaultKind;
  /** `system operation`, e.g. "kingdee BatchSave". */
  readonly call: string;
  /** The system asked to wait this long before the next call (Retry-After, MsgCode 14). */
  readonly retryAfterMs: number | undefined;

  constructor(call: string, kind: FaultKind, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(`${call}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CallError";
    this.call = call;
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
  }

  get transient(): boolean {
    return TRANSIENT.has(this.kind);
  }
}

export function isTransient(error: unknown): boolean {
  return error instanceof CallError && error.transient;
}
