import { PartlyAnswered, type RowResult, type TargetConnector, type TargetState, type WriteRow } from "../connector.js";
import { CallError } from "../faults.js";
import type { CommitUnit, DeadLetterInput, PendingWrite, StateStore } from "../state/store.js";
import type { FlowSpec } from "../types.js";
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

/**
 * Writes batches so that each row is written once: the intent is recorded before the call, the
 * outcome (write record, dead letters and, at a window's end, the checkpoint) in one transaction
 * after it; an ambiguous failure is reconciled with the target before anything is sent again.
 */
export class BatchWriter {
  constructor(
    private readonly flow: FlowSpec,
    private readonly store: StateStore,
    private readonly target: TargetConnector,
    private readonly calls: Calls,
    private readonly callTarget: CallTarget,
    private readonly runId: number,
  ) {}

  /** Asks the target which of these unconfirmed rows it already holds. */
  async confirm(rows: readonly { readonly sourceId: string; readonly row: unknown; readonly key: string | null }[]): Promise<Map<string, string | null>> {
    const confirmed = new Map<string, string | null>();
    const key = this.flow.target.idcheck;
    const lookup = this.target.lookup?.bind(this.target);
    if (!lookup || key === null) return confirmed;
    const keyed = rows.filter((r) => r.key !== null);
    const values = [...new Set(keyed.map((r) => r.key as string))];
    if (values.length === 0) return confirmed;
    const states = await this.calls.run({ ...this.callTarget, operation: `${this.callTarget.operation} lookup` }, () =>
      lookup({ operation: this.flow.target.operation, form: this.flow.target.form, key, values, rows: keyed.map((r) => r.row), fields: this.flow.fields.filter((f) => !f.target.includes(".")).map((f) => f.target).concat([...new Set(this.flow.fields.filter((f) => f.target.includes(".")).map((f) => f.target.split(".")[0]!))]), timeoutMs: this.flow.target.timeoutMs }),
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
   * checks, a checkpoint). Throws CallError when the target cannot be reached after retries: the
   * rows stay pending and no checkpoint moves.
   */
  async write(
    rows: readonly OutgoingRow[],
    extra: {
      readonly deadLetters: readonly DeadLetterInput[];
      readonly checkpoint?: string;
      /** Replays: the dead letter each row comes from. Written rows resolve it; refused rows keep it. */
      readonly replayOf?: ReadonlyMap<string, number>;
    },
  ): Promise<BatchOutcome> {
    if (rows.length > 0) {
      const pending: PendingWrite[] = rows.map((r) => ({ sourceId: r.sourceId, targetId: null, hash: r.hash, key: r.key, row: r.row, updatedAt: 0 }));
      await this.store.markPending(this.flow.name, this.runId, pending);
    }
    const results = new Map<string, RowResult>();
    let remaining = rows;
    if (rows.length > 0) {
      let lastFailure: CallError | undefined;
      await this.calls.run(this.callTarget, async () => {
        if (lastFailure && AMBIGUOUS.has(lastFailure.kind)) {
          // The failed call may have landed: rows the target now holds are done, not resent.
          const confirmed = await this.confirm(remaining);
          for (const [id, targetId] of confirmed) results.set(id, { ok: true, targetId });
          remaining = remaining.filter((r) => !confirmed.has(r.sourceId));
          if (remaining.length === 0) return;
        }
        try {
          const answer = await this.target.write({
            operation: this.flow.target.operation,
            form: this.flow.target.form,
            options: this.flow.target.options,
            rows: remaining.map((r): WriteRow => ({ sourceId: r.sourceId, row: r.row })),
            key: this.flow.target.idcheck,
            timeoutMs: this.flow.target.timeoutMs,
          });
          if (answer.length !== remaining.length) {
            throw new CallError(`${this.callTarget.system} ${this.callTarget.operation}`, "malformed", `answered ${answer.length} results for ${remaining.length} rows`);
          }
          remaining.forEach((r, i) => results.set(r.sourceId, answer[i]!));
        } catch (error) {
          if (error instanceof PartlyAnswered) {
            // Rows answered before the call failed are done (or refused): the retry sends the others only.
            remaining.forEach((r, i) => {
              const result = error.answered[i];
              if (result) results.set(r.sourceId, result);
            });
            remaining = remaining.filter((r) => !results.has(r.sourceId));
          }
          lastFailure = error instanceof CallError ? error : undefined;
          throw error;
        }
      });
    }
    const done: CommitUnit["done"][number][] = [];
    const cleared: string[] = [];
    const deadLetters: DeadLetterInput[] = [...extra.deadLetters];
    const resolved: number[] = [];
    const refused: { sourceId: string; reason: string }[] = [];
    for (const r of rows) {
      const result = results.get(r.sourceId);
      const replayed = extra.replayOf?.get(r.sourceId);
      if (result?.ok) {
        done.push({ sourceId: r.sourceId, targetId: result.targetId, hash: r.hash, key: r.key });
        if (replayed !== undefined) resolved.push(replayed);
        continue;
      }
      const reason = result && !result.ok ? result.reason : "no answer for this row";
      cleared.push(r.sourceId);
      refused.push({ sourceId: r.sourceId, reason });
      if (replayed === undefined) deadLetters.push({ sourceId: r.sourceId, stage: "write", reason, record: r.record, row: r.row });
    }
    const unit: CommitUnit = { runId: this.runId, done, cleared, deadLetters, resolved, checkpoint: extra.checkpoint };
    await this.store.commit(this.flow.name, unit);
    return { written: done.length, deadLettered: deadLetters.length, refused };
  }
}
