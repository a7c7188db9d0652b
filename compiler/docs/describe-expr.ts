/**
 * Checked expressions (the IR) as text a consultant reads: `name`, `"100" → ref(FNumber)`,
 * `type_name → map (天猫 → KHLB001_SYS, …) else KHLB001_SYS → ref(FNumber)`. Also what the lineage
 * diagram needs: the source fields an expression reads and the short chain of steps it applies.
 *
 * Everything here is plain, unescaped text; the renderers escape it.
 */
import { assertNever } from "../ast.js";
import { walkExpr, type Expr, type FlowModel, type LookupModel } from "../model.js";

/** What an expression is read against: the flow (lookups, JSONata) and the `each` aliases in scope. */
export interface ExprScope {
  readonly flow: FlowModel;
  /** `each … as d`: alias → the source path its elements come from, e.g. `d` → `items[]`. */
  readonly aliases: ReadonlyMap<string, string>;
}

/** A value table (`| map { … } else v`) as rows, for a small table beside the expression. */
export interface ValueMapTable {
  /** The expression whose value is looked up, e.g. `type_name`. */
  readonly input: string;
  readonly entries: readonly { readonly when: string; readonly value: string }[];
  /** The `else` value; undefined when unlisted values become null. */
  readonly otherwise: string | undefined;
}

/** A `lookup`, spelled out. */
export interface LookupDescription {
  readonly collection: string;
  /** The document path compared with the key, e.g. `content.goodsNo`. */
  readonly keyPath: string;
  /** The record's side of the comparison, e.g. `27963`. */
  readonly key: string;
  /** Constant conditions besides the key, e.g. `active = true`. */
  readonly conditions: readonly string[];
  readonly find: string;
  /** The `else` value; undefined when nothing found yields null. */
  readonly otherwise: string | undefined;
}

// Binding strength, loosest first, as in docs/language.md. Pipes, value maps, refs and lookups are
// written with `→`, which reads left to right like the pipe it stands for.
const IF = 0;
const PIPE = 1;
const PRIMARY = 9;
const BINARY: Readonly<Record<string, number>> = {
  "??": 2,
  "||": 3,
  "&&": 4,
  "==": 5,
  "!=": 5,
  "<": 5,
  "<=": 5,
  ">": 5,
  ">=": 5,
  "+": 6,
  "-": 6,
  "*": 7,
  "/": 7,
  "%": 7,
};
const MATCHES = 5;
const UNARY = 8;

function precedence(e: Expr): number {
  switch (e.k) {
    case "if":
      return IF;
    case "pipe":
    case "ref":
    case "map":
    case "lookup":
      return PIPE;
    case "binary":
      return BINARY[e.op] ?? PIPE;
    case "matches":
      return MATCHES;
    case "unary":
      return UNARY;
    default:
      return PRIMARY;
  }
}

/** `e` as readable text. */
export function describeExpr(e: Expr, scope: ExprScope): string {
  switch (e.k) {
    case "literal":
      return literal(e.value);
    case "source":
      return e.path.join(".");
    case "alias":
      return [e.alias, ...e.path].join(".");
    case "row":
      return e.path.join(".");
    case "window":
      return `window.${e.part}`;
    case "env":
      return `env(${JSON.stringify(e.name)})`;
    case "now":
      return "now()";
    case "binary": {
      const p = BINARY[e.op] ?? PIPE;
      // Comparisons do not chain, so both sides of one bind tighter; the rest associate to the left.
      const leftMin = p === 5 ? p + 1 : p;
      return `${operand(e.left, leftMin, scope)} ${e.op} ${operand(e.right, p + 1, scope)}`;
    }
    case "unary":
      return `${e.op}${operand(e.operand, UNARY, scope)}`;
    case "matches":
      return `${operand(e.value, MATCHES + 1, scope)} matches /${e.pattern}/${e.flags}`;
    case "if":
      // `else` binds as tightly as `??`: a pipe in either branch needs parentheses to read right.
      return `if ${describeExpr(e.test, scope)} then ${operand(e.then, 2, scope)} else ${e.else.k === "if" ? describeExpr(e.else, scope) : operand(e.else, 2, scope)}`;
    case "pipe": {
      const args = e.args.length > 0 ? `(${e.args.map((a) => describeExpr(a, scope)).join(", ")})` : "";
      return `${operand(e.input, PIPE, scope)} → ${e.name}${args}`;
    }
    case "ref":
      return `${operand(e.input, PIPE, scope)} → ref(${e.key})`;
    case "map": {
      const [first] = e.entries;
      const shown = first ? `${entryKey(first[0])} → ${bare(first[1], scope)}${e.entries.length > 1 ? ", …" : ""}` : "";
      const otherwise = e.else ? ` else ${bare(e.else, scope)}` : "";
      return `${operand(e.input, PIPE, scope)} → map (${shown})${otherwise}`;
    }
    case "lookup": {
      const l = lookupOf(e, scope);
      const conditions = [`${l.keyPath} = ${l.key}`, ...l.conditions].join(" and ");
      return `lookup ${l.collection} where ${conditions} → ${l.find}${l.otherwise !== undefined ? ` else ${l.otherwise}` : ""}`;
    }
    case "jsonata":
      return `jsonata ${JSON.stringify(scope.flow.jsonata[e.index]?.source ?? "")}`;
    case "object":
      return `{ ${e.entries.map(([k, v]) => `${k}: ${describeExpr(v, scope)}`).join(", ")} }`;
    case "array":
      return `[${e.items.map((i) => describeExpr(i, scope)).join(", ")}]`;
    default:
      return assertNever(e);
  }
}

function operand(e: Expr, min: number, scope: ExprScope): string {
  const text = describeExpr(e, scope);
  return precedence(e) < min ? `(${text})` : text;
}

function literal(value: string | number | boolean | null): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Inside value tables, plain words read better without quotes (`天猫 → KHLB001_SYS`). Quotes stay
 * where dropping them would hide something: empty text, edge spaces, or text that looks like a number,
 * keyword or another expression.
 */
function bare(e: Expr, scope: ExprScope): string {
  if (e.k === "literal" && typeof e.value === "string" && plainWord(e.value)) return e.value;
  return describeExpr(e, scope);
}

// Keys always compare as text, so `0` and `"0"` mean the same: only odd keys keep their quotes.
function entryKey(key: string | null): string {
  return key === null ? "null" : key !== "" && key !== "null" && key.trim() === key && !/[",()→]/.test(key) ? key : JSON.stringify(key);
}

function plainWord(text: string): boolean {
  return text !== "" && text.trim() === text && !/^(true|false|null|else)$/.test(text) && !/[",()→]/.test(text) && !/^[-+]?\d/.test(text);
}

/** Value-table keys are compared as text, so a table row shows the key as written. */
function tableKey(key: string | null): string {
  return key === null ? "(no value)" : key === "" ? '""' : key;
}

function lookupOf(e: Extract<Expr, { k: "lookup" }>, scope: ExprScope): LookupDescription {
  const model: LookupModel | undefined = scope.flow.lookups.find((l) => l.index === e.index);
  return {
    collection: model?.collection ?? `#${e.index}`,
    keyPath: model?.keyPath ?? "?",
    key: describeExpr(e.key, scope),
    conditions: model ? whereConditions(model.where) : [],
    find: model?.find ?? "?",
    otherwise: e.else ? describeExpr(e.else, scope) : undefined,
  };
}

const OPERATORS: Readonly<Record<string, string>> = {
  $eq: "=",
  $ne: "≠",
  $gt: ">",
  $gte: "≥",
  $lt: "<",
  $lte: "≤",
  $in: "in",
  $nin: "not in",
  $exists: "exists",
  $regex: "matches",
};

/** The constant part of a lookup's filter (MongoDB query language) as `path op value` phrases. */
export function whereConditions(where: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const path of Object.keys(where).sort()) {
    const condition = where[path];
    if (condition !== null && typeof condition === "object" && !Array.isArray(condition)) {
      for (const [op, value] of Object.entries(condition as Record<string, unknown>)) {
        out.push(`${path} ${OPERATORS[op] ?? op} ${json(value)}`);
      }
    } else {
      out.push(`${path} = ${json(condition)}`);
    }
  }
  return out;
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}


/**
 * The source fields `e` reads, in the order they appear, each once: `name`, `content.goodsNo`, and
 * for fields under `each items as d`, `items[].qty`. A lookup reads its key's fields.
 */
export function exprInputs(e: Expr, scope: ExprScope): string[] {
  const seen = new Set<string>();
  walkExpr(e, (x) => {
    if (x.k === "source") seen.add(x.path.join("."));
    else if (x.k === "alias") seen.add([scope.aliases.get(x.alias) ?? x.alias, ...x.path].join("."));
  });
  return [...seen];
}

/** The value tables in `e`, outermost first. */
export function valueMapsOf(e: Expr, scope: ExprScope): ValueMapTable[] {
  const out: ValueMapTable[] = [];
  walkExpr(e, (x) => {
    if (x.k !== "map") return;
    out.push({
      input: describeExpr(x.input, scope),
      entries: x.entries.map(([key, value]) => ({ when: tableKey(key), value: bare(value, scope) })),
      otherwise: x.else ? bare(x.else, scope) : undefined,
    });
  });
  return out;
}

/** The lookups in `e`, spelled out, outermost first. */
export function lookupsOf(e: Expr, scope: ExprScope): LookupDescription[] {
  const out: LookupDescription[] = [];
  walkExpr(e, (x) => {
    if (x.k === "lookup") out.push(lookupOf(x, scope));
  });
  return out;
}

/** A lookup as one sentence. */
export function lookupSentence(l: LookupDescription): string {
  const conditions = l.conditions.length > 0 ? ` and ${l.conditions.join(" and ")}` : "";
  const otherwise = l.otherwise !== undefined ? `, else ${l.otherwise}` : ", else nothing (null)";
  return `Finds the document of collection ${l.collection} whose ${l.keyPath} equals ${l.key}${conditions}, and takes its ${l.find}${otherwise}.`;
}

/**
 * The short chain of steps `e` applies to what it reads, for the middle column of the lineage
 * diagram: `copy`, `map → ref(FNumber)`, `lookup goods`, or the whole expression when it reads no
 * source field (a constant such as `"100" → ref(FNumber)`).
 */
export function transformLabel(e: Expr, scope: ExprScope): string {
  if (exprInputs(e, scope).length === 0) return describeExpr(e, scope);
  const steps: string[] = [];
  collectSteps(e, scope, steps);
  const chain = steps.filter((s, i) => s !== steps[i - 1]);
  return chain.length === 0 ? "copy" : chain.join(" → ");
}

// Operators read as verbs in the diagram, where `* → -` would say little.
const STEP_WORDS: Readonly<Record<string, string>> = {
  "??": "default",
  "||": "or",
  "&&": "and",
  "==": "compare",
  "!=": "compare",
  "<": "compare",
  "<=": "compare",
  ">": "compare",
  ">=": "compare",
  "+": "add",
  "-": "subtract",
  "*": "multiply",
  "/": "divide",
  "%": "remainder",
};

function collectSteps(e: Expr, scope: ExprScope, out: string[]): void {
  switch (e.k) {
    case "literal":
    case "source":
    case "alias":
    case "row":
      return;
    case "window":
    case "env":
    case "now":
      out.push(describeExpr(e, scope));
      return;
    case "binary":
      collectSteps(e.left, scope, out);
      collectSteps(e.right, scope, out);
      // `+` joins text when either side is text, and adds numbers otherwise.
      out.push(e.op === "+" && e.type.base === "string" ? "join" : (STEP_WORDS[e.op] ?? e.op));
      return;
    case "unary":
      collectSteps(e.operand, scope, out);
      out.push(e.op === "!" ? "not" : "negate");
      return;
    case "matches":
      collectSteps(e.value, scope, out);
      out.push("matches");
      return;
    case "if":
      collectSteps(e.test, scope, out);
      collectSteps(e.then, scope, out);
      collectSteps(e.else, scope, out);
      out.push("if");
      return;
    case "pipe":
      collectSteps(e.input, scope, out);
      out.push(e.args.length > 0 ? `${e.name}(${e.args.map((a) => describeExpr(a, scope)).join(", ")})` : e.name);
      return;
    case "ref":
      collectSteps(e.input, scope, out);
      out.push(`ref(${e.key})`);
      return;
    case "map":
      collectSteps(e.input, scope, out);
      out.push("map");
      return;
    case "lookup":
      collectSteps(e.key, scope, out);
      out.push(`lookup ${lookupOf(e, scope).collection}`);
      return;
    case "jsonata":
      out.push("jsonata");
      return;
    case "object":
      for (const [, v] of e.entries) collectSteps(v, scope, out);
      out.push("object");
      return;
    case "array":
      for (const i of e.items) collectSteps(i, scope, out);
      out.push("list");
      return;
    default:
      assertNever(e);
  }
}
