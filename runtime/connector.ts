import type { Clock } from "./clock.js";
import { CallError } from "./faults.js";
import type { FlowSpec, Scalar } from "./types.js";

/**
 * What the runtime asks of a system connector. A connector speaks one system's wire protocol
 * (signing, sessions, envelopes) and classifies its failures as CallError; paging, rate limits,
 * retries, batching and the write record are the runtime's.
 */

/** One page request: the flow's params plus window and paging parameters, already filled in. */
export interface ReadRequest {
  readonly operation: string;
  readonly params: Readonly<Record<string, Scalar>>;
  /** Dotted paths the flow names in the response. */
  readonly recordsPath: string;
  readonly totalPath: string | null;
  /** Cursor paging: where the next cursor sits in the response. */
  readonly cursorPath: string | null;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface ReadResponse {
  readonly records: readonly unknown[];
  readonly total: number | null;
  readonly cursor: string | null;
}

/** One row to write, with the source record's id for messages. */
export interface WriteRow {
  readonly sourceId: string;
  readonly row: unknown;
}

export interface WriteRequest {
  readonly operation: string;
  readonly form: string | null;
  readonly options: Readonly<Record<string, Scalar>>;
  readonly rows: readonly WriteRow[];
  /** The target field that identifies a row (`idcheck`), when the flow names one. */
  readonly key: string | null;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** The target's answer for one row of a batch, in the batch's order. */
export type RowResult =
  | { readonly ok: true; readonly targetId: string | null }
  | { readonly ok: false; readonly reason: string };

/** What the target holds for a row key, for deciding after a crash whether an unconfirmed write landed. */
export interface TargetState {
  readonly key: string;
  readonly targetId: string | null;
  /** The row as the target holds it (the fields the flow writes), or undefined when only presence is known. */
  readonly row: unknown;
}

export interface LookupRequest {
  readonly operation: string;
  readonly form: string | null;
  /** The `idcheck` field. */
  readonly key: string;
  readonly values: readonly string[];
  /**
   * The rows being confirmed, as the flow meant to write them: for targets whose rows live under a
   * parent the key alone does not name (a Banniu task in its project).
   */
  readonly rows: readonly unknown[];
  /** Top-level fields of the rows being confirmed: what the answer's `row` should hold. */
  readonly fields: readonly string[];
  readonly timeoutMs: number;
}

/**
 * A write that failed part way: some rows of the batch were answered before the failing call (a
 * target that sends one row per call), or the one call answered some rows and failed the others
 * transiently. `answered[i]` is the result of request row i, undefined where none came. The runtime
 * keeps the answered results and retries only the other rows: a row already answered is never sent
 * again.
 */
export class PartlyAnswered extends CallError {
  readonly answered: readonly (RowResult | undefined)[];

  constructor(answered: readonly (RowResult | undefined)[], failure: CallError) {
    const prefix = `${failure.call}: `;
    const message = failure.message.startsWith(prefix) ? failure.message.slice(prefix.length) : failure.message;
    super(failure.call, failure.kind, message, failure.retryAfterMs === undefined ? { cause: failure } : { retryAfterMs: failure.retryAfterMs, cause: failure });
    this.name = "CallError";
    this.answered = answered;
  }
}

export interface SourceConnector {
  /** Reads one page. Throws CallError on failure. */
  read(request: ReadRequest): Promise<ReadResponse>;
}

export interface TargetConnector {
  /** Writes one batch. Throws CallError when the call as a whole failed; row failures are RowResults. */
  write(request: WriteRequest): Promise<readonly RowResult[]>;
  /**
   * What the target holds for these keys (the `idcheck` field's values). Lets a resumed run confirm
   * writes whose answer was lost in a crash instead of sending them twice. Optional: without it,
   * unconfirmed rows are sent again (at-least-once; the run says so).
   */
  lookup?(request: LookupRequest): Promise<readonly TargetState[]>;
}

/** Everything a connector factory may use. Credentials come from the environment. */
export interface ConnectorContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly flow: FlowSpec;
}

export interface ConnectorFactory {
  readonly name: string;
  source?(ctx: ConnectorContext): SourceConnector;
  target?(ctx: ConnectorContext): TargetConnector;
}
