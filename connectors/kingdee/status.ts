/**
 * Kingdee's answer envelope, `Result.ResponseStatus`: which failures are the whole call's (and of
 * which kind) and which belong to single rows, told apart by MsgCode and DIndex (SYSTEMS.md).
 */
import type { RowResult } from "../../runtime/connector.js";
import { CallError } from "../../runtime/faults.js";
import { quote } from "../http/answer.js";

/** One entry of `Errors`. */
export interface KingdeeError {
  readonly fieldName: string | null;
  readonly message: string;
  readonly dIndex: number | null;
}

/** One entry of `SuccessEntitys`. */
export interface KingdeeEntity {
  readonly id: string | null;
  readonly number: string | null;
  readonly dIndex: number | null;
}

export interface ResponseStatus {
  readonly isSuccess: boolean;
  readonly msgCode: number;
  readonly errors: readonly KingdeeError[];
  readonly successes: readonly KingdeeEntity[];
}

export const MSG_SESSION_LOST = 1;
export const MSG_NO_PERMISSION = 2;
export const MSG_LIMIT_REACHED = 14;

/**
 * Kingdee's MsgCode 14 says a call limit was reached but not for how long. Five seconds lets a
 * concurrency slot clear without parking the run; the runtime's backoff grows from there.
 */
export const LIMIT_RETRY_AFTER_MS = 5_000;

/** MsgCodes of a transient server-side failure: 4 exception, 6 database, 13 concurrent edit. */
const SERVER_CODES: ReadonlySet<number> = new Set([4, 6, 13]);

/** Longest per-row reason kept; reasons go to dead letters and terminal output. */
const REASON_CHARS = 500;

const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/**
 * The ResponseStatus of an answer, or undefined when the answer has none. ExecuteBillQuery wraps its
 * failures in a 2-D array (`[[{"Result":…}]]`); that form is unwrapped too.
 */
export function readStatus(answer: unknown): ResponseStatus | undefined {
  let envelope = answer;
  if (Array.isArray(envelope) && Array.isArray(envelope[0]) && envelope.length === 1) envelope = envelope[0][0];
  const status = record(record(record(envelope)?.Result)?.ResponseStatus);
  if (!status) return undefined;
  return {
    isSuccess: status.IsSuccess === true,
    msgCode: typeof status.MsgCode === "number" ? status.MsgCode : 0,
    errors: listOf(status.Errors).map((e) => ({
      fieldName: typeof e.FieldName === "string" && e.FieldName.trim() !== "" ? e.FieldName : null,
      message: typeof e.Message === "string" ? e.Message : "",
      dIndex: indexOf(e.DIndex),
    })),
    successes: listOf(status.SuccessEntitys).map((e) => ({ id: idText(e.Id), number: idText(e.Number), dIndex: indexOf(e.DIndex) })),
  };
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(record).filter((e): e is Record<string, unknown> => e !== undefined) : [];
}

function indexOf(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function idText(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/** `FName: 客户名称不能为空`; the message alone when Kingdee names no field. */
export function errorText(error: KingdeeError): string {
  const message = error.message.trim() || "refused without a message";
  return error.fieldName ? `${error.fieldName}: ${message}` : message;
}

function summary(status: ResponseStatus, clean: (text: string) => string): string {
  const said = clean(status.errors.map(errorText).join("; "));
  return `MsgCode ${status.msgCode}${said ? `: ${quote(said, 300)}` : ""}`;
}

/**
 * Whether the errors are about single rows. DIndex alone cannot tell: Kingdee puts DIndex 0 on
 * call-level errors too (session lost, unknown form). So errors count as per-row when the code is
 * 11 (validation), some rows succeeded, an error names a field, or one points past the first row.
 */
function perRow(status: ResponseStatus, rows: number): boolean {
  const inRange = status.errors.filter((e) => e.dIndex !== null && e.dIndex < rows);
  if (inRange.length === 0) return false;
  return status.msgCode === 11 || status.successes.length > 0 || inRange.some((e) => e.fieldName !== null || (e.dIndex ?? 0) > 0);
}

/**
 * The CallError for a failed call as a whole, or null when the answer is per row (all rows saved,
 * or some refused by DIndex). `hint` is added to permission failures (what to check); `clean`
 * takes secrets out of Kingdee's messages.
 */
export function callFailure(call: string, status: ResponseStatus, rows: number, hint: string, clean: (text: string) => string = (t) => t): CallError | null {
  if (status.isSuccess) return null;
  const said = summary(status, clean);
  switch (status.msgCode) {
    case MSG_SESSION_LOST:
      return new CallError(call, "session", `the session was lost (${said})`);
    case MSG_LIMIT_REACHED:
      return new CallError(call, "throttled", `call limit reached (${said}); Kingdee gives no wait, waiting ${LIMIT_RETRY_AFTER_MS} ms`, {
        retryAfterMs: LIMIT_RETRY_AFTER_MS,
      });
    case MSG_NO_PERMISSION:
      return new CallError(call, "credentials", `no permission (${said}): ${hint}`);
  }
  if (SERVER_CODES.has(status.msgCode)) return new CallError(call, "server", `Kingdee failed (${said})`);
  if (perRow(status, rows)) return null;
  return new CallError(call, "rejected", `Kingdee refused the call (${said})`);
}

/** One result per row, in order, from DIndex: saved rows carry their Id, refused rows Kingdee's reasons. */
export function rowResults(status: ResponseStatus, rows: number, clean: (text: string) => string): RowResult[] {
  const saved = new Map<number, KingdeeEntity>();
  for (const entity of status.successes) if (entity.dIndex !== null && !saved.has(entity.dIndex)) saved.set(entity.dIndex, entity);
  const refused = new Map<number, string[]>();
  for (const error of status.errors) {
    if (error.dIndex === null) continue;
    refused.set(error.dIndex, [...(refused.get(error.dIndex) ?? []), errorText(error)]);
  }
  return Array.from({ length: rows }, (_, i): RowResult => {
    const entity = saved.get(i);
    // A row Kingdee reports as saved is stored, whatever else it says about it.
    if (entity) return { ok: true, targetId: entity.id };
    const reasons = refused.get(i);
    if (reasons) return { ok: false, reason: quote(clean(reasons.join("; ")), REASON_CHARS) };
    return { ok: false, reason: "Kingdee gave no result for this row" };
  });
}
