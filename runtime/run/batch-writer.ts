import { PartlyAnswered, type RowResult, type TargetConnector, type TargetState, type WriteRow } from "../connector.js";
import { CallError } from "../faults.js";
import type { CommitUnit, DeadLetterInput, PendingWrite, StateStore } from "../state/store.js";
import type { FlowSpec } from "../types.js";
import { stripCall } from "../retry.js";
import type { CallTarget, Calls } from "./calls.js";
import { stableJson } from "./hash.js";

/** A mapped row ready to write, with what the write record needs. */
export interface OutgoingRow {
  readonly sourceId: string;
  readonly record: unknown;
  readonly row: unknown;
  readonly hash: string;
  readonly key: string | null;
}

export interface BatchOutcome {
  readonly written: number;
  readonly deadLettered: number;
  /** Rows the target refused, with its reason. */
  readonly refused: readonly { readonly sourceId: string; readonly reason: string }[];
}

/** Failures whose call may have reached the target: before sending again, ask the target what it holds. */
const AMBIGUOUS = new Set(["timeout", "network", "server", "malformed", "session"]);

/** The value of the key field of a row, as text. */
export function keyOf(row: unknown, key: string | null): string | null {
  if (key === null || row === null || typeof row !== "object") return null;
  let cur: unknown = row;
  for (const part of key.split(".")) {
    if (cur === null || typeof cur !== "object") return null;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === null || cur === undefined ? null : String(cur);
}

/** Whether the target holds exactly the fields this row writes. */
function holds(state: TargetState, row: unknown): boolean {
  if (state.row === undefined || row === null || typeof row !== "object" || state.row === null || typeof state.row !== "object") return false;
  return covers(state.row, row);
}

/**
 * Whether `held` has every value `written` sets. Objects are compared as subsets, at every depth: a
 * target holds more than a write sets (a Banniu task has many more columns than an update's
 * `contents`; a Kingdee reference more keys than `FNumber`). Lists and values must be equal.
 */
export function covers(held: unknown, written: unknown): boolean {
  if (written !== null && typeof written === "object") {
    if (held === null || typeof held !== "object" || Array.isArray(held) !== Array.isArray(written)) return false;
    if (Array.isArray(written)) {
      const list = held as readonly unknown[];
      return list.length === written.length && written.every((w, i) => covers(list[i], w));
    }
    const object = held as Record<string, unknown>;
    for (const [key, value] of Object.entries(written)) if (value !== undefined && !covers(object[key], value)) return false;
    return true;
  }
  // A field the target says nothing about is not known to hold anything, not even null.
  return held !== undefined && stableJson(held) === stableJson(written);
}

/**
 * Why a write of this flow whose answer is lost would be sent again, or null when the target
 * confirms it first: what the run summary says ("at-least-once").
 */
export function atLeastOnce(flow: FlowSpec, target: TargetConnector): string | null {
  if (!target.lookup) return `${flow.target.connector} ${flow.target.operation} cannot tell which rows it holds, so a write whose answer is lost is sent again`;
  if (flow.target.idcheck === null) return `the flow has no \`idcheck\`, so a write whose answer is lost cannot be confirmed and is sent again`;
  return null;
}

/** What settling the writes a killed run or replay left unconfirmed found. */
export interface Settled {
  /** Unconfirmed writes found. */
  readonly found: number;
  /** Of them, rows the target holds: now done (and their dead letters resolved). */
  readonly confirmed: number;
}

/**
 * Writes batches so that each row is written once: the intent is recorded before the call, the
 * outcome (write record, dead letters and, at a window's end, the checkpoint) in one transaction
 * after it; an ambiguous failure is reconciled with the target before anything is sent again.
 *
 * A writer exists only through {@link BatchWriter.open}, which first settles the writes a killed run
 * or replay left unconfirmed: whatever path writes (run, replay, the console's Replay button), it
 * sends nothing before the target has said which of them landed.
 */
export class BatchWriter {
  #settled: Settled = { found: 0, confirmed: 0 };

  private constructor(
    private readonly flow: FlowSpec,
    private readonly store: StateStore,
    private readonly target: TargetConnector,
    private readonly calls: Calls,
    private readonly callTarget: CallTarget,
    private readonly runId: number,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * A writer for run `runId`, once the flow's unconfirmed writes are settled: rows the target holds
   * become done (resolving their letters); the others stay pending, to be written again only when
   * their records are read again or their letters replayed, after this check. Throws CallError when
   * the target cannot be asked: then nothing is sent.
   */
  static async open(
    flow: FlowSpec,
    store: StateStore,
    target: TargetConnector,
    calls: Calls,
    callTarget: CallTarget,
    runId: number,
    log: (line: string) => void = () => {},
  ): Promise<BatchWriter> {
    const writer = new BatchWriter(flow, store, target, calls, callTarget, runId, log);
    await writer.#settle();
    return writer;
  }

  /** What {@link open} found and confirmed. */
  get settled(): Settled {
    return this.#settled;
  }

  /** Whether the target can say which rows it holds; without it, an unconfirmed row is sent again. */
  get canConfirm(): boolean {
    return this.target.lookup !== undefined && this.flow.target.idcheck !== null;
  }

  async #settle(): Promise<void> {
    const pending = await this.store.pending(this.flow.name);
    if (pending.length === 0) return;
    let confirmed: Map<string, string | null>;
    try {
      confirmed = await this.confirm(pending);
    } catch (error) {
      if (!(error instanceof CallError)) throw error;
      throw new CallError(error.call, error.kind, `${stripCall(error)}; ${pending.length} writes of an interrupted run are unconfirmed and cannot be checked now, so nothing was sent`, { cause: error });
    }
    if (confirmed.size > 0) {
      await this.store.commit(this.flow.name, {
        runId: this.runId,
        done: pending.filter((p) => confirmed.has(p.sourceId)).map((p) => ({ sourceId: p.sourceId, targetId: confirmed.get(p.sourceId) ?? null, hash: p.hash, key: p.key })),
        cleared: [],
        deadLetters: [],
      });
    }
    this.#settled = { found: pending.length, confirmed: confirmed.size };
    const left = pending.length - confirmed.size;
    // The others stay pending: their records are written when read again (the interrupted window was
    // not checkpointed, so a scheduled run reads it again; a backfill needs its --from/--to again),
    // and their letters, if they came from a replay, stay open for the next replay.
    const rest = !left
      ? ""
      : this.canConfirm
        ? `, ${left} not held by the target: they will be written when their records are read again or their dead letters replayed (an interrupted --from/--to backfill needs the same range again)`
        : `, ${left} cannot be confirmed (the target cannot say which rows it holds): they will be sent again when their records are read again or their dead letters replayed, so they may be written twice`;
    this.log(`found ${pending.length} unconfirmed writes from an interrupted run: ${confirmed.size} confirmed by the target${rest}`);
  }

  /** Asks the target which of these unconfirmed rows it already holds: one call with its own retries. */
  async confirm(rows: readonly { readonly sourceId: string; readonly row: unknown; readonly key: string | null }[]): Promise<Map<string, string | null>> {
    const confirmed = new Map<string, string | null>();
    const key = this.flow.target.idcheck;
    const lookup = this.target.lookup?.bind(this.target);
    if (!lookup || key === null) return confirmed;
    const keyed = rows.filter((r) => r.key !== null);
    const values = [...new Set(keyed.map((r) => r.key as string))];
    if (values.length === 0) return confirmed;
    const states = await this.calls.run(
      { ...this.callTarget, operation: `${this.callTarget.operation} lookup` },
      () =>
        lookup({ operation: this.flow.target.operation, form: this.flow.target.form, key, values, rows: keyed.map((r) => r.row), fields: this.flow.fields.filter((f) => !f.target.includes(".")).map((f) => f.target).concat([...new Set(this.flow.fields.filter((f) => f.target.includes(".")).map((f) => f.target.split(".")[0]!))]), timeoutMs: this.flow.target.timeoutMs }),
      { log: this.log },
    );
    const byKey = new Map(states.map((s) => [s.key, s]));
    for (const r of rows) {
      const state = r.key === null ? undefined : byKey.get(r.key);
      if (state && holds(state, r.row)) confirmed.set(r.sourceId, state.targetId);
    }
    return confirmed;
  }

  /**
   * Writes one batch and stores its outcome together with `extra` (dead letters from mapping and
   * checks, a checkpoint). A row the target refuses becomes a dead letter, or refreshes the open one
   * of its source id (a replayed letter keeps its latest reason). Throws CallError when the target
   * cannot be reached after retries: the rows stay pending and no checkpoint moves.
   */
  async write(
    rows: readonly OutgoingRow[],
    extra: { readonly deadLetters: readonly DeadLetterInput[]; readonly checkpoint?: string },
  ): Promise<BatchOutcome> {
    const results = new Map<string, RowResult>();
    if (rows.length > 0) {
      const pending: PendingWrite[] = rows.map((r) => ({ sourceId: r.sourceId, targetId: null, hash: r.hash, key: r.key, row: r.row, updatedAt: 0 }));
      await this.store.markPending(this.flow.name, this.runId, pending);
      let remaining = rows;
      // One retry loop, the write's. After an ambiguous failure the target is asked what landed
      // between two attempts; that lookup is a call of its own, and if it fails after its own
      // retries the write ends there (the rows stay pending) rather than being retried again.
      await this.calls.run(
        this.callTarget,
        async () => {
          let answer: readonly RowResult[];
          try {
            answer = await this.target.write({
              operation: this.flow.target.operation,
              form: this.flow.target.form,
              options: this.flow.target.options,
              rows: remaining.map((r): WriteRow => ({ sourceId: r.sourceId, row: r.row })),
              key: this.flow.target.idcheck,
              timeoutMs: this.flow.target.timeoutMs,
            });
          } catch (error) {
            if (error instanceof PartlyAnswered) {
              // Rows answered before the call failed are done (or refused): the retry sends the others only.
              remaining.forEach((r, i) => {
                const result = error.answered[i];
                if (result) results.set(r.sourceId, result);
              });
              remaining = remaining.filter((r) => !results.has(r.sourceId));
            }
            throw error;
          }
          if (answer.length !== remaining.length) {
            throw new CallError(`${this.callTarget.system} ${this.callTarget.operation}`, "malformed", `answered ${answer.length} results for ${remaining.length} rows`);
          }
          remaining.forEach((r, i) => results.set(r.sourceId, answer[i]!));
        },
        {
          log: this.log,
          beforeRetry: async (failure) => {
            if (!AMBIGUOUS.has(failure.kind)) return undefined;
            let confirmed: Map<string, string | null>;
            try {
              confirmed = await this.confirm(remaining);
            } catch (error) {
              if (!(error instanceof CallError)) throw error;
              throw new CallError(failure.call, error.kind, `${stripCall(failure)}; asking the target which rows landed failed too (${error.message}), so nothing was sent again`, { cause: error });
            }
            for (const [id, targetId] of confirmed) results.set(id, { ok: true, targetId });
            remaining = remaining.filter((r) => !confirmed.has(r.sourceId));
            return remaining.length === 0 ? { value: undefined } : undefined;
          },
        },
      );
    }
    const done: CommitUnit["done"][number][] = [];
    const cleared: string[] = [];
    const deadLetters: DeadLetterInput[] = [...extra.deadLetters];
    const refused: { sourceId: string; reason: string }[] = [];
    for (const r of rows) {
      const result = results.get(r.sourceId);
      if (result?.ok) {
        done.push({ sourceId: r.sourceId, targetId: result.targetId, hash: r.hash, key: r.key });
        continue;
      }
      const reason = result && !result.ok ? result.reason : "no answer for this row";
      cleared.push(r.sourceId);
      refused.push({ sourceId: r.sourceId, reason });
      deadLetters.push({ sourceId: r.sourceId, stage: "write", reason, record: r.record, row: r.row });
    }
    const unit: CommitUnit = { runId: this.runId, done, cleared, deadLetters, checkpoint: extra.checkpoint };
    await this.store.commit(this.flow.name, unit);
    return { written: done.length, deadLettered: deadLetters.length, refused };
  }
}
