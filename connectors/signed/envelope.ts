/**
 * What a `signed` system's answer means: success by the envelope's marker, and a failure's kind by
 * the spec's error rules (first match), over the answer's code and message or the HTTP status.
 */
import type { CallError } from "../../runtime/faults.js";
import { quote, valueAt } from "../http/answer.js";
import type { Fail } from "../http/body.js";
import type { Envelope, ErrorRule, SignedProtocol } from "./recipe.js";

/** Longest message of an answer kept in a CallError. */
const MESSAGE_CHARS = 200;

/** Numbers and their text compare equal: systems send `code` as 0 or "0". */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === "number" || typeof a === "string") && (typeof b === "number" || typeof b === "string")) return String(a).trim() === String(b).trim();
  return false;
}

export function isSuccess(envelope: Envelope, answer: unknown): boolean {
  return same(valueAt(answer, envelope.success.path), envelope.success.equals);
}

function matches(rule: ErrorRule, code: unknown, message: string): boolean {
  if (rule.status !== undefined) return false;
  if (rule.code !== undefined && !rule.code.some((c) => same(c, code))) return false;
  if (rule.message !== undefined && !new RegExp(rule.message, "iu").test(message)) return false;
  return rule.code !== undefined || rule.message !== undefined;
}

/** The rule an answer's failure matches, if any. */
export function ruleFor(protocol: SignedProtocol, code: unknown, message: string): ErrorRule | undefined {
  return protocol.errors.find((rule) => matches(rule, code, message));
}

/** The CallError of an answer that is not a success. */
export function answerFailure(protocol: SignedProtocol, answer: unknown, fail: Fail): CallError {
  const { envelope } = protocol;
  const code = envelope.code ? valueAt(answer, envelope.code) : undefined;
  const raw = envelope.message ? valueAt(answer, envelope.message) : undefined;
  const message = typeof raw === "string" ? raw : raw === undefined || raw === null ? "" : JSON.stringify(raw);
  const rule = ruleFor(protocol, code, message);
  const said = `answered${code === undefined ? "" : ` code ${quote(String(code), 20)}`}${message ? ` "${quote(message, MESSAGE_CHARS)}"` : ""}`;
  if (valueAt(answer, envelope.success.path) === undefined && code === undefined) {
    return fail("malformed", `answer has nothing at ${envelope.success.path}: not the system's envelope`);
  }
  return fail(rule?.kind ?? "rejected", `${said}${rule?.hint ? `: ${rule.hint}` : ""}`, { retryAfterMs: rule?.waitMs });
}

/** The CallError an HTTP status means by the spec's rules; undefined when no rule names it. */
export function statusFailure(protocol: SignedProtocol, status: number, said: string, fail: Fail): CallError | undefined {
  const rule = protocol.errors.find((r) => r.status?.includes(status));
  return rule ? fail(rule.kind, `${said}${rule.hint ? `: ${rule.hint}` : ""}`, { retryAfterMs: rule.waitMs }) : undefined;
}
