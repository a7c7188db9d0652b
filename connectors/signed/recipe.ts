/**
 * The `signed` protocol's request recipe as a spec writes it (`wire:`), and the signature it
 * computes: most Chinese SaaS open APIs sign the same way with small differences — which params
 * are signed, how each pair is written, where the secret goes, which hash and case — so a spec
 * names those differences instead of a connector being written per system.
 */
import { createHash, createHmac } from "node:crypto";

export type Encoding = "form" | "json" | "query";
export type HashKind = "md5" | "sha1" | "sha256" | "hmac-md5" | "hmac-sha256";

/** A parameter sent on every call: a variable's value, a fixed value, the clock or the operation's name. */
export type CommonParam =
  | { readonly variable: string }
  | { readonly value: string }
  | { readonly clock: string }
  | { readonly operation: true };

export interface SignRecipe {
  /** The parameter that carries the signature. */
  readonly param: string;
  readonly hash: HashKind;
  /** The variable that holds the secret. */
  readonly secret: string;
  readonly case: "lower" | "upper";
  /**
   * How the signed params are written: each pair through `format` (`{key}`, `{value}`, and their
   * lengths `{key.length:2}` zero-padded to at least that width), sorted by key, joined by `join`.
   */
  readonly pairs?: { readonly format: string; readonly join: string; readonly lengths: "chars" | "bytes" };
  /** The text hashed: `{secret}`, `{pairs}` and `{body}` (the request body as sent, without the signature). */
  readonly text: string;
}

export interface WireRecipe {
  /** Appended to the connection's URL; `{operation}` is the operation's wire name. */
  readonly endpoint: string;
  readonly encoding: Encoding;
  readonly params: Readonly<Record<string, CommonParam>>;
  /** Business params flat among the common ones, or as one JSON text param (`{ json: "biz" }`). */
  readonly business: "flat" | { readonly json: string };
  readonly sign?: SignRecipe;
  /** A variable whose value is sent as `Authorization: Bearer …`. */
  readonly bearer?: string;
}

/** A value as the signature and the wire see it: text, booleans as true/false, objects as JSON. */
export function wireText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "bigint") return value.toString();
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function lengthOf(text: string, lengths: "chars" | "bytes"): number {
  return lengths === "bytes" ? Buffer.byteLength(text, "utf8") : Array.from(text).length;
}

const PAIR_TOKEN = /\{(key|value)(?:\.length:(\d+))?\}/g;

/** One signed pair written through the recipe's format. */
export function formatPair(format: string, key: string, value: string, lengths: "chars" | "bytes"): string {
  return format.replace(PAIR_TOKEN, (_, which: "key" | "value", width: string | undefined) => {
    const text = which === "key" ? key : value;
    return width === undefined ? text : String(lengthOf(text, lengths)).padStart(Number(width), "0");
  });
}

/** The params that are signed: every param sent except the signature, sorted by key (code units, as the SDKs sort). */
export function signedPairs(params: Readonly<Record<string, string>>, signParam: string): [string, string][] {
  return Object.entries(params)
    .filter(([key]) => key !== signParam)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The text the recipe hashes. */
export function signingText(recipe: SignRecipe, secret: string, params: Readonly<Record<string, string>>, body: string): string {
  const pairs = recipe.pairs ? signedPairs(params, recipe.param).map(([k, v]) => formatPair(recipe.pairs!.format, k, v, recipe.pairs!.lengths)).join(recipe.pairs.join) : "";
  return recipe.text.replace(/\{(secret|pairs|body)\}/g, (_, which: string) => (which === "secret" ? secret : which === "pairs" ? pairs : body));
}

/** The signature of a request: hash of the signing text, in the recipe's case. */
export function signature(recipe: SignRecipe, secret: string, params: Readonly<Record<string, string>>, body = ""): string {
  const text = signingText(recipe, secret, params, body);
  const hex = recipe.hash.startsWith("hmac-")
    ? createHmac(recipe.hash.slice(5), Buffer.from(secret, "utf8")).update(text, "utf8").digest("hex")
    : createHash(recipe.hash).update(text, "utf8").digest("hex");
  return recipe.case === "upper" ? hex.toUpperCase() : hex;
}

/** How an answer says it succeeded, and where its code and message are. */
export interface Envelope {
  readonly success: { readonly path: string; readonly equals: string | number | boolean };
  readonly code?: string;
  readonly message?: string;
}

/** One error rule: a failure matching it is of `kind`. */
export interface ErrorRule {
  readonly code?: readonly (string | number)[];
  /** A regular expression source. */
  readonly message?: string;
  readonly status?: readonly number[];
  readonly kind: "throttled" | "server" | "session" | "credentials" | "rejected";
  readonly waitMs?: number;
  readonly hint?: string;
  /** An answer of this kind as the system writes it, for the sandbox and docs. */
  readonly example?: { readonly code?: string | number; readonly message?: string };
}

/** Everything the `signed` protocol needs from a spec. */
export interface SignedProtocol {
  readonly wire: WireRecipe;
  readonly envelope: Envelope;
  readonly errors: readonly ErrorRule[];
}
