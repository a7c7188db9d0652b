import type { CstElement, CstNode, IToken } from "chevrotain";
import { decodeString, tokens as T } from "../grammar/index.js";
import type * as A from "./ast.js";
import { assertNever } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";

/**
 * CST → AST. The CST may be partial after error recovery, so every builder returns `undefined`
 * for a node it cannot complete and the caller drops it; the syntax error was already reported.
 * Containers (blocks) keep whatever complete children they have, so one broken field line does
 * not hide the rest of the file from later phases.
 */

/** Deeper ASTs would overflow the stack of the recursive phases after parsing. */
export const MAX_EXPRESSION_DEPTH = 1000;

export interface BuildAstInput {
  readonly cst: CstNode;
  readonly text: string;
  readonly file: string;
  /** `///` comment tokens in source order. */
  readonly docs: readonly IToken[];
}

/** Builds the AST of a parsed file. Never throws on a partial CST. */
export function buildAst(input: BuildAstInput): { value: A.MapFile; diagnostics: Diagnostic[] } {
  return astBuilder(input).build(input.cst);
}

/**
 * An AST builder that can also take the lines of a `fields` block one by one while the parser is
 * still running (`fieldLine`, for parseTokens' `onFieldLine`): each line's AST is built at once and
 * its CST node emptied, so the syntax trees of a large file never exist all at the same time.
 * `build` then assembles the file, using what the lines handed over early became.
 */
export function astBuilder(input: Omit<BuildAstInput, "cst">): {
  fieldLine(node: CstNode): void;
  build(cst: CstNode): { value: A.MapFile; diagnostics: Diagnostic[] };
} {
  const builder = new Builder(input);
  return {
    fieldLine: (node) => builder.fieldLine(node),
    build: (cst) => ({ value: builder.file(cst), diagnostics: builder.diagnostics }),
  };
}

/** Field lines built early and emptied (see astBuilder): their AST and the last token they held. */
const early = new WeakMap<CstNode, { readonly decl: A.FieldDecl | undefined; readonly last: IToken | undefined }>();

// ---- CST access -------------------------------------------------------------------------------

function isToken(el: CstElement): el is IToken {
  return "image" in el;
}
function isReal(t: IToken): boolean {
  return t.isInsertedInRecovery !== true && !Number.isNaN(t.startOffset);
}
/** The real (not recovery-inserted) tokens under `label`; the common all-real case allocates nothing. */
function tokensOf(node: CstNode, label: string): readonly IToken[] {
  const els = node.children[label] as IToken[] | undefined;
  if (els === undefined) return noTokens;
  if (els.every(isReal)) return els;
  return els.filter(isReal);
}
function tokenOf(node: CstNode, label: string): IToken | undefined {
  const els = node.children[label] as IToken[] | undefined;
  if (els === undefined) return undefined;
  for (const t of els) if (isReal(t)) return t;
  return undefined;
}
/** Every label names either tokens or subrules throughout the grammar, never both. */
function nodesOf(node: CstNode, label: string): readonly CstNode[] {
  return (node.children[label] as CstNode[] | undefined) ?? noNodes;
}
function nodeOf(node: CstNode, label: string): CstNode | undefined {
  return (node.children[label] as CstNode[] | undefined)?.[0];
}
const noTokens: readonly IToken[] = [];
const noNodes: readonly CstNode[] = [];
/** A node Chevrotain re-synced out of is missing children; only containers may use it. */
function complete(node: CstNode | undefined): node is CstNode {
  return node !== undefined && node.recoveredNode !== true;
}

// ---- spans ------------------------------------------------------------------------------------

/** The span of one token (Chevrotain's ends are inclusive; ours are exclusive). */
export function tokenSpan(t: IToken): A.Span {
  return {
    start: small(t.startOffset),
    end: small((t.endOffset ?? t.startOffset) + 1),
    line: small(t.startLine ?? 1),
    column: small(t.startColumn ?? 1),
    endLine: small(t.endLine ?? t.startLine ?? 1),
    endColumn: small((t.endColumn ?? t.startColumn ?? 0) + 1),
  };
}

/**
 * A position as a small integer. Chevrotain's tokens hold their positions as doubles (its
 * end-of-input token is positioned at NaN), and a span copying one would box each of its six
 * numbers: a tenth of the memory of a large file's AST.
 */
function small(n: number): number {
  return n === (n | 0) ? n | 0 : n;
}
function cover(from: A.Span, to: A.Span | undefined): A.Span {
  if (to === undefined || to.end <= from.end) return from;
  return { ...from, end: to.end, endLine: to.endLine, endColumn: to.endColumn };
}
/** The last real token anywhere under a node (for the end of a block whose `}` is missing). */
function lastToken(node: CstNode): IToken | undefined {
  let best: IToken | undefined;
  const visit = (n: CstNode): void => {
    const emptied = early.get(n);
    if (emptied !== undefined) {
      const last = emptied.last;
      if (last !== undefined && (best === undefined || last.startOffset > best.startOffset)) best = last;
      return;
    }
    for (const els of Object.values(n.children)) {
      for (const el of els) {
        if (isToken(el)) {
          if (isReal(el) && (best === undefined || el.startOffset > best.startOffset)) best = el;
        } else visit(el);
      }
    }
  };
  visit(node);
  return best;
}
function blockSpan(keyword: IToken, node: CstNode): A.Span {
  const last = tokenOf(node, "close") ?? lastToken(node);
  return cover(tokenSpan(keyword), last && tokenSpan(last));
}

// ---- operators --------------------------------------------------------------------------------

/** Binding strength of infix operators; `matches` shares the comparison level. */
const precedence: Readonly<Record<string, number>> = {
  "??": 1, "||": 2, "&&": 3,
  "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
  "+": 5, "-": 5, "*": 6, "/": 6, "%": 6,
};
const COMPARISON = 4;

interface Infix {
  readonly token: IToken;
  readonly prec: number;
  /** Set for `matches /re/`, which takes no right operand. */
  readonly regex: IToken | undefined;
}
interface ClimbState {
  readonly operands: readonly A.Expr[];
  readonly infixes: readonly Infix[];
  nextOperand: number;
  nextInfix: number;
}

// ---- literals ---------------------------------------------------------------------------------

const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function numberLit(t: IToken | undefined): A.NumberLit | undefined {
  if (t === undefined || t.tokenType !== T.NumberLiteral) return undefined;
  return { kind: "number", value: Number(t.image), raw: t.image, span: tokenSpan(t) };
}
function durationLit(t: IToken | undefined): A.DurationLit | undefined {
  if (t === undefined || t.tokenType !== T.DurationLiteral) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(t.image);
  const unit = m?.[2] === undefined ? undefined : durationUnits[m[2]];
  if (m === null || unit === undefined) return undefined;
  return { kind: "duration", ms: Number(m[1]) * unit, raw: t.image, span: tokenSpan(t) };
}
function stringLit(t: IToken | undefined): A.StringLit | undefined {
  if (t === undefined) return undefined;
  if (t.tokenType !== T.StringLiteral && t.tokenType !== T.UnterminatedString) return undefined;
  return { kind: "string", value: decodeString(t.image).value, span: tokenSpan(t) };
}
function literal(t: IToken | undefined): A.StringLit | A.NumberLit | A.DurationLit | A.BoolLit | A.NullLit | undefined {
  if (t === undefined) return undefined;
  switch (t.tokenType) {
    case T.True:
      return { kind: "bool", value: true, span: tokenSpan(t) };
    case T.False:
      return { kind: "bool", value: false, span: tokenSpan(t) };
    case T.Null:
      return { kind: "null", span: tokenSpan(t) };
    case T.NumberLiteral:
      return numberLit(t);
    case T.DurationLiteral:
      return durationLit(t);
    default:
      return stringLit(t);
  }
}
function name(t: IToken | undefined): A.Name | undefined {
  if (t === undefined) return undefined;
  if (t.tokenType === T.BacktickName) return { text: t.image.slice(1, -1), quoted: true, span: tokenSpan(t) };
  if (t.tokenType === T.UnterminatedBacktick) return { text: t.image.slice(1), quoted: true, span: tokenSpan(t) };
  if (t.tokenType === T.StringLiteral || t.tokenType === T.UnterminatedString) {
    return { text: decodeString(t.image).value, quoted: true, span: tokenSpan(t) };
  }
  return { text: t.image, quoted: false, span: tokenSpan(t) };
}

// ---- the builder ------------------------------------------------------------------------------

class Builder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly text: string;
  private readonly fileName: string;
  private readonly docs: readonly IToken[];

  constructor(input: Omit<BuildAstInput, "cst">) {
    this.text = input.text;
    this.fileName = input.file;
    this.docs = input.docs;
  }

  file(cst: CstNode): A.MapFile {
    const items: A.TopLevel[] = [];
    for (const item of nodesOf(cst, "item")) {
      const built = this.item(item);
      if (built !== undefined) items.push(built);
    }
    return { kind: "file", items, span: this.fileSpan() };
  }

  private fileSpan(): A.Span {
    const text = this.text;
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
        line++;
        lineStart = i + 1;
      }
    }
    return { start: 0, end: text.length, line: 1, column: 1, endLine: line, endColumn: text.length - lineStart + 1 };
  }

  private item(node: CstNode): A.TopLevel | undefined {
    const mapping = nodeOf(node, "mappingDecl");
    if (mapping) return this.mapping(mapping);
    const endpoint = nodeOf(node, "endpointDecl");
    if (endpoint) return this.endpoint(endpoint);
    const fields = nodeOf(node, "fieldsBlock");
    if (fields) return this.fieldsBlock(fields);
    const check = nodeOf(node, "checkBlock");
    if (check) return this.checkBlock(check);
    const example = nodeOf(node, "exampleDecl");
    if (example) return this.example(example);
    return undefined;
  }

  private mapping(node: CstNode): A.MappingDecl | undefined {
    const keyword = tokenOf(node, "keyword");
    const id = name(tokenOf(node, "name"));
    if (keyword === undefined || id === undefined) return undefined;
    const title = stringLit(tokenOf(node, "title"));
    const span = cover(tokenSpan(keyword), title?.span ?? id.span);
    return { kind: "mapping", name: id, title, doc: this.docBefore(keyword.startOffset), span };
  }

  private endpoint(node: CstNode): A.EndpointDecl | undefined {
    const keyword = tokenOf(node, "keyword");
    const connector = name(tokenOf(node, "connector"));
    const operation = stringLit(tokenOf(node, "operation"));
    if (keyword === undefined || connector === undefined || operation === undefined) return undefined;
    const settings: A.Setting[] = [];
    for (const s of nodesOf(node, "setting")) {
      const built = this.setting(s);
      if (built !== undefined) settings.push(built);
    }
    return {
      kind: keyword.tokenType === T.Source ? "source" : "target",
      connector,
      operation,
      settings,
      doc: this.docBefore(keyword.startOffset),
      headSpan: cover(tokenSpan(keyword), operation.span),
      span: blockSpan(keyword, node),
    };
  }

  // ---- settings -------------------------------------------------------------------------------

  private setting(node: CstNode): A.Setting | undefined {
    const [key, inner] = Object.entries(node.children)[0] ?? [];
    const child = inner?.[0];
    if (child === undefined || isToken(child) || !complete(child)) return undefined;
    const keyword = tokenOf(child, "keyword");
    if (keyword === undefined) return undefined;
    switch (key) {
      case "paramsSetting":
        return this.params(child, keyword);
      case "windowSetting":
        return this.window(child, keyword);
      case "pageSetting":
        return this.page(child, keyword);
      case "pathSetting": {
        const path = this.path(nodeOf(child, "path"));
        if (path === undefined) return undefined;
        const kind = keyword.image as A.PathSetting["kind"];
        return { kind, path, span: cover(tokenSpan(keyword), path.span) };
      }
      case "rateSetting": {
        const count = numberLit(tokenOf(child, "count"));
        const unit = name(tokenOf(child, "unit"));
        if (count === undefined || unit === undefined) return undefined;
        return { kind: "rate", count, unit, span: cover(tokenSpan(keyword), unit.span) };
      }
      case "retrySetting":
        return this.retry(child, keyword);
      case "timeoutSetting": {
        const duration = durationLit(tokenOf(child, "value"));
        if (duration === undefined) return undefined;
        return { kind: "timeout", duration, span: cover(tokenSpan(keyword), duration.span) };
      }
      case "formSetting": {
        const form = stringLit(tokenOf(child, "value"));
        if (form === undefined) return undefined;
        return { kind: "form", form, span: cover(tokenSpan(keyword), form.span) };
      }
      case "batchSetting": {
        const size = numberLit(tokenOf(child, "value"));
        if (size === undefined) return undefined;
        return { kind: "batch", size, span: cover(tokenSpan(keyword), size.span) };
      }
      case "optionSetting": {
        const optionName = name(tokenOf(child, "name"));
        const value = literal(tokenOf(child, "value"));
        if (optionName === undefined || value === undefined) return undefined;
        return { kind: "option", name: optionName, value, span: cover(tokenSpan(keyword), value.span) };
      }
      default:
        return undefined;
    }
  }

  private params(node: CstNode, keyword: IToken): A.ParamsSetting {
    const entries: A.ParamEntry[] = [];
    for (const entry of nodesOf(node, "paramEntry")) {
      if (!complete(entry)) continue;
      const param = name(tokenOf(entry, "name"));
      const value = this.topExpression(nodeOf(entry, "value"));
      if (param === undefined || value === undefined) continue;
      entries.push({ name: param, value, span: cover(param.span, value.span) });
    }
    return { kind: "params", entries, span: blockSpan(keyword, node) };
  }

  private window(node: CstNode, keyword: IToken): A.WindowSetting | undefined {
    const startParam = name(tokenOf(node, "startParam"));
    const endParam = name(tokenOf(node, "endParam"));
    if ((startParam === undefined) !== (endParam === undefined)) return undefined;
    const step = durationLit(this.single(node, "step", "step"));
    const from = stringLit(this.single(node, "from", "from"));
    const format = stringLit(this.single(node, "format", "format"));
    return { kind: "window", startParam, endParam, step, from, format, span: blockSpan(keyword, node) };
  }

  /** The one token under `label`; a repeated window option is reported and the first one kept. */
  private single(node: CstNode, label: string, what: string): IToken | undefined {
    const all = tokensOf(node, label);
    for (const extra of all.slice(1)) {
      this.diagnostics.push(
        diagnostic("MAP2014", {
          message: `\`${what}\` is given twice in this window`,
          file: this.fileName,
          span: tokenSpan(extra),
          label: "second one",
        }),
      );
    }
    return all[0];
  }

  private page(node: CstNode, keyword: IToken): A.PageSetting | undefined {
    const mode = name(tokenOf(node, "mode"));
    const param = name(tokenOf(node, "param"));
    if (mode === undefined || param === undefined) return undefined;
    const fromPathNode = nodeOf(node, "fromPath");
    const from = fromPathNode ? this.path(fromPathNode) : numberLit(tokenOf(node, "fromNumber"));
    const sizeParam = name(tokenOf(node, "sizeParam"));
    const size = numberLit(tokenOf(node, "size"));
    return { kind: "page", mode, param, from, sizeParam, size, span: blockSpan(keyword, node) };
  }

  private retry(node: CstNode, keyword: IToken): A.RetrySetting | undefined {
    const attempts = numberLit(tokenOf(node, "attempts"));
    if (attempts === undefined) return undefined;
    const backoffMin = durationLit(tokenOf(node, "min"));
    const backoffMax = durationLit(tokenOf(node, "max"));
    return { kind: "retry", attempts, backoffMin, backoffMax, span: blockSpan(keyword, node) };
  }

  // ---- fields, check, example -----------------------------------------------------------------

  private fieldsBlock(node: CstNode): A.FieldsBlock | undefined {
    const keyword = tokenOf(node, "keyword");
    if (keyword === undefined) return undefined;
    return { kind: "fields", fields: this.fields(node), span: blockSpan(keyword, node) };
  }

  private fields(node: CstNode): A.FieldDecl[] {
    const out: A.FieldDecl[] = [];
    for (const f of nodesOf(node, "field")) {
      const emptied = early.get(f);
      const built = emptied ? emptied.decl : this.field(f);
      if (built !== undefined) out.push(built);
    }
    return out;
  }

  /** Builds one field line now and empties its CST node (see astBuilder). */
  fieldLine(node: CstNode): void {
    if (early.has(node)) return;
    const last = lastToken(node);
    const decl = this.field(node);
    early.set(node, { decl, last });
    (node as { children: CstNode["children"] }).children = {};
  }

  private field(node: CstNode): A.FieldDecl | undefined {
    if (!complete(node)) return undefined;
    const target = this.path(nodeOf(node, "target"));
    if (target === undefined) return undefined;
    const typeName = name(tokenOf(node, "type"));
    const question = tokenOf(node, "optional");
    const type: A.TypeRef | undefined = typeName && {
      name: typeName,
      optional: question !== undefined,
      span: cover(typeName.span, question && tokenSpan(question)),
    };
    const eachNode = nodeOf(node, "each");
    const value = eachNode ? this.each(eachNode) : this.topExpression(nodeOf(node, "value"));
    if (value === undefined) return undefined;
    const label = stringLit(tokenOf(node, "label"));
    return {
      kind: "field",
      target,
      type,
      value,
      label,
      doc: this.docBefore(target.span.start),
      span: cover(target.span, label?.span ?? value.span),
    };
  }

  private each(node: CstNode): A.EachExpr | undefined {
    const keyword = tokenOf(node, "keyword");
    const source = this.path(nodeOf(node, "source"));
    const alias = name(tokenOf(node, "alias"));
    if (keyword === undefined || source === undefined || alias === undefined) return undefined;
    return { kind: "each", source, alias, fields: this.fields(node), span: blockSpan(keyword, node) };
  }

  private checkBlock(node: CstNode): A.CheckBlock | undefined {
    const keyword = tokenOf(node, "keyword");
    if (keyword === undefined) return undefined;
    const rules: A.CheckRule[] = [];
    for (const r of nodesOf(node, "checkRule")) {
      if (!complete(r)) continue;
      const test = this.topExpression(nodeOf(r, "test"));
      const message = stringLit(tokenOf(r, "message"));
      if (test === undefined || message === undefined) continue;
      rules.push({ kind: "rule", test, message, span: cover(test.span, message.span) });
    }
    return { kind: "check", rules, span: blockSpan(keyword, node) };
  }

  private example(node: CstNode): A.ExampleDecl | undefined {
    const keyword = tokenOf(node, "keyword");
    const exampleName = stringLit(tokenOf(node, "name"));
    if (keyword === undefined || exampleName === undefined) return undefined;
    const given: A.ExampleGiven[] = [];
    for (const g of nodesOf(node, "given")) {
      if (!complete(g)) continue;
      const store = name(tokenOf(g, "store"));
      const collection = stringLit(tokenOf(g, "collection"));
      const documents = this.checkedDepth(this.array(nodeOf(g, "documents")));
      const start = tokenOf(g, "keyword");
      if (!store || !collection || !documents || !start) continue;
      given.push({ store, collection, documents, span: cover(tokenSpan(start), documents.span) });
    }
    return {
      kind: "example",
      name: exampleName,
      given,
      input: this.checkedDepth(this.object(this.singleNode(node, "input", "in"))),
      output: this.checkedDepth(this.object(this.singleNode(node, "output", "out"))),
      doc: this.docBefore(keyword.startOffset),
      span: blockSpan(keyword, node),
    };
  }

  private singleNode(node: CstNode, label: string, what: string): CstNode | undefined {
    const all = nodesOf(node, label);
    for (const extra of all.slice(1)) {
      const open = tokenOf(extra, "open");
      if (open === undefined) continue;
      this.diagnostics.push(
        diagnostic("MAP2014", {
          message: `this example has a second \`${what}\` record`,
          file: this.fileName,
          span: tokenSpan(open),
          label: "second one",
        }),
      );
    }
    return all[0];
  }

  // ---- paths ----------------------------------------------------------------------------------

  /** Segment names in order; a `[` `]` belongs to the name right before it. */
  private path(node: CstNode | undefined): A.PathExpr | undefined {
    if (!complete(node)) return undefined;
    const names = tokensOf(node, "name");
    const opens = tokensOf(node, "open");
    const closes = tokensOf(node, "close");
    // Sized up front: a list grown by push keeps room for 17 segments, in every path of the file.
    const segments = new Array<A.PathSegment>(names.length);
    let bracket = 0;
    for (let i = 0; i < names.length; i++) {
      const segName = name(names[i]);
      if (segName === undefined) return undefined;
      const nextStart = names[i + 1]?.startOffset ?? Number.MAX_SAFE_INTEGER;
      const open = opens[bracket];
      const array = open !== undefined && open.startOffset < nextStart;
      const close = array ? closes[bracket++] : undefined;
      segments[i] = {
        text: segName.text,
        quoted: segName.quoted,
        array,
        span: close ? cover(segName.span, tokenSpan(close)) : segName.span,
      };
    }
    const first = segments[0];
    const last = segments[segments.length - 1];
    if (first === undefined || last === undefined) return undefined;
    return { kind: "path", segments, span: cover(first.span, last.span) };
  }

  // ---- expressions ----------------------------------------------------------------------------

  /** An expression that stands alone (field value, parameter, rule), checked for depth. */
  private topExpression(node: CstNode | undefined): A.Expr | undefined {
    return this.checkedDepth(this.expression(node));
  }

  private expression(node: CstNode | undefined): A.Expr | undefined {
    if (!complete(node)) return undefined;
    let acc = this.binary(node);
    for (const call of nodesOf(node, "call")) {
      if (acc === undefined) return undefined;
      acc = this.pipeCall(acc, call);
    }
    return acc;
  }

  private pipeCall(input: A.Expr, node: CstNode): A.PipeExpr | undefined {
    if (!complete(node)) return undefined;
    const pipeName = name(tokenOf(node, "name"));
    if (pipeName === undefined) return undefined;
    let end = pipeName.span;
    let args: A.Expr[] | undefined;
    const argNode = nodeOf(node, "args");
    if (argNode !== undefined) {
      const built = this.argList(argNode);
      if (built === undefined) return undefined;
      args = built.args;
      end = built.span;
    }
    let table: A.MapEntry[] | undefined;
    let tableSpan: A.Span | undefined;
    const open = tokenOf(node, "tableOpen");
    if (open !== undefined) {
      table = [];
      for (const entry of nodesOf(node, "entry")) {
        const built = this.mapEntry(entry);
        if (built === undefined) return undefined;
        table.push(built);
      }
      const close = tokenOf(node, "tableClose");
      tableSpan = cover(tokenSpan(open), close ? tokenSpan(close) : table[table.length - 1]?.span);
      end = tableSpan;
    }
    let elseExpr: A.Expr | undefined;
    const elseNode = nodeOf(node, "else");
    if (elseNode !== undefined) {
      elseExpr = this.binary(elseNode);
      if (elseExpr === undefined) return undefined;
      end = elseExpr.span;
    }
    return { kind: "pipe", input, name: pipeName, args, table, tableSpan, else: elseExpr, span: cover(input.span, end) };
  }

  private argList(node: CstNode): { args: A.Expr[]; span: A.Span } | undefined {
    if (!complete(node)) return undefined;
    const open = tokenOf(node, "open");
    if (open === undefined) return undefined;
    const args: A.Expr[] = [];
    for (const arg of nodesOf(node, "arg")) {
      const built = this.expression(arg);
      if (built === undefined) return undefined;
      args.push(built);
    }
    const close = tokenOf(node, "close");
    return { args, span: cover(tokenSpan(open), close ? tokenSpan(close) : args[args.length - 1]?.span) };
  }

  private mapEntry(node: CstNode): A.MapEntry | undefined {
    if (!complete(node)) return undefined;
    const key = literal(tokenOf(node, "key"));
    const value = this.expression(nodeOf(node, "value"));
    if (key === undefined || key.kind === "duration" || value === undefined) return undefined;
    return { key, value, span: cover(key.span, value.span) };
  }

  /**
   * Applies precedence to the flat `prefix* operand (op prefix* operand | matches /re/)*` sequence
   * of an expression or binaryExpr node, by precedence climbing over its tokens in source order.
   */
  private binary(node: CstNode | undefined): A.Expr | undefined {
    if (!complete(node)) return undefined;
    const infixes: Infix[] = [];
    for (const op of tokensOf(node, "op")) infixes.push({ token: op, prec: precedence[op.image] ?? 0, regex: undefined });
    const matches = tokensOf(node, "matches");
    const regexes = tokensOf(node, "regex");
    if (matches.length !== regexes.length) return undefined;
    matches.forEach((token, i) => infixes.push({ token, prec: COMPARISON, regex: regexes[i] }));
    infixes.sort((x, y) => x.token.startOffset - y.token.startOffset);

    // Operands sit between binary operators; each takes the prefix operators written before it.
    const primaries = nodesOf(node, "operand");
    const prefixes = tokensOf(node, "prefix");
    const binaries = infixes.filter((i) => i.regex === undefined);
    if (primaries.length !== binaries.length + 1) return undefined;
    const operands: A.Expr[] = [];
    let next = 0;
    for (let i = 0; i < primaries.length; i++) {
      const before = binaries[i]?.token.startOffset ?? Number.MAX_SAFE_INTEGER;
      const mine: IToken[] = [];
      for (let t = prefixes[next]; t !== undefined && t.startOffset < before; t = prefixes[++next]) mine.push(t);
      const built = this.operand(mine, primaries[i]);
      if (built === undefined) return undefined;
      operands.push(built);
    }
    const state = { operands, infixes, nextOperand: 0, nextInfix: 0 };
    return this.climb(state, 0);
  }

  private climb(s: ClimbState, minPrec: number): A.Expr | undefined {
    let left = s.operands[s.nextOperand++];
    for (let infix = s.infixes[s.nextInfix]; infix !== undefined && left !== undefined; infix = s.infixes[s.nextInfix]) {
      if (infix.prec < minPrec) break;
      s.nextInfix++;
      if (infix.regex !== undefined) {
        const regex = this.regex(infix.regex);
        left = regex && { kind: "matches", value: left, regex, span: cover(left.span, regex.span) };
      } else {
        const right = this.climb(s, infix.prec + 1);
        if (right === undefined) return undefined;
        const op = infix.token.image as A.BinaryOp;
        left = { kind: "binary", op, left, right, opSpan: tokenSpan(infix.token), span: cover(left.span, right.span) };
      }
      const following = s.infixes[s.nextInfix];
      if (infix.prec === COMPARISON && following?.prec === COMPARISON) {
        this.diagnostics.push(
          diagnostic("MAP1003", {
            message: `comparisons cannot be chained: \`${following.token.image}\` follows another comparison`,
            file: this.fileName,
            span: tokenSpan(following.token),
            hint: "combine comparisons with `&&` or `||`",
          }),
        );
        return undefined;
      }
    }
    return left;
  }

  private operand(prefixes: readonly IToken[], primaryNode: CstNode | undefined): A.Expr | undefined {
    let acc = primaryNode && this.primary(primaryNode);
    for (let i = prefixes.length - 1; i >= 0 && acc !== undefined; i--) {
      const op = prefixes[i];
      if (op === undefined) return undefined;
      acc = { kind: "unary", op: op.image === "!" ? "!" : "-", operand: acc, span: cover(tokenSpan(op), acc.span) };
    }
    return acc;
  }

  /** A `/…/flags` token as a RegexLit; patterns JavaScript would reject are reported here. */
  private regex(t: IToken): A.RegexLit | undefined {
    if (t.tokenType !== T.RegexLiteral) return undefined;
    const close = t.image.lastIndexOf("/");
    const pattern = t.image.slice(1, close);
    const flags = t.image.slice(close + 1);
    const span = tokenSpan(t);
    const problem = regexProblem(pattern, flags);
    if (problem !== undefined) {
      this.diagnostics.push(diagnostic("MAP1007", { message: problem, file: this.fileName, span }));
      return undefined;
    }
    return { kind: "regex", pattern, flags, span };
  }

  private primary(node: CstNode): A.Expr | undefined {
    if (!complete(node)) return undefined;
    const c = node.children;
    if (c["literal"] !== undefined) return literal(tokenOf(node, "literal"));
    if (c["parenOpen"] !== undefined) return this.expression(nodeOf(node, "inner"));
    if (c["ifKeyword"] !== undefined) return this.ifExpr(node);
    const call = nodeOf(node, "call");
    if (call) return this.call(call);
    const path = nodeOf(node, "path");
    if (path) return this.path(path);
    const lookup = nodeOf(node, "lookupExpr");
    if (lookup) return this.lookup(lookup);
    const jsonata = nodeOf(node, "jsonataExpr");
    if (jsonata) return this.jsonata(jsonata);
    const object = nodeOf(node, "object");
    if (object) return this.object(object);
    const array = nodeOf(node, "array");
    if (array) return this.array(array);
    return undefined;
  }

  private call(node: CstNode): A.CallExpr | undefined {
    if (!complete(node)) return undefined;
    const callee = name(tokenOf(node, "callee"));
    const argNode = nodeOf(node, "args");
    const built = argNode && this.argList(argNode);
    if (callee === undefined || built === undefined) return undefined;
    return { kind: "call", callee, args: built.args, span: cover(callee.span, built.span) };
  }

  private ifExpr(node: CstNode): A.IfExpr | undefined {
    const keyword = tokenOf(node, "ifKeyword");
    const test = this.expression(nodeOf(node, "test"));
    const then = this.expression(nodeOf(node, "then"));
    const otherwise = this.binary(nodeOf(node, "else"));
    if (!keyword || !test || !then || !otherwise) return undefined;
    return { kind: "if", test, then, else: otherwise, span: cover(tokenSpan(keyword), otherwise.span) };
  }

  private jsonata(node: CstNode): A.JsonataExpr | undefined {
    const keyword = tokenOf(node, "keyword");
    const source = stringLit(tokenOf(node, "source"));
    if (keyword === undefined || source === undefined || !complete(node)) return undefined;
    return { kind: "jsonata", source, span: cover(tokenSpan(keyword), source.span) };
  }

  private lookup(node: CstNode): A.LookupExpr | undefined {
    if (!complete(node)) return undefined;
    const keyword = tokenOf(node, "keyword");
    const store = name(tokenOf(node, "store"));
    const collection = stringLit(tokenOf(node, "collection"));
    const where = this.object(nodeOf(node, "where"));
    const find = this.path(nodeOf(node, "find"));
    if (!keyword || !store || !collection || !where || !find) return undefined;
    const close = tokenOf(node, "close");
    const elseNode = nodeOf(node, "else");
    const otherwise = elseNode && this.binary(elseNode);
    if (elseNode !== undefined && otherwise === undefined) return undefined;
    const end = otherwise?.span ?? (close ? tokenSpan(close) : find.span);
    return { kind: "lookup", store, collection, where, find, else: otherwise, span: cover(tokenSpan(keyword), end) };
  }

  /** Keys and values are siblings in the CST (entries are inlined); they pair up by position. */
  private object(node: CstNode | undefined): A.ObjectLit | undefined {
    if (!complete(node)) return undefined;
    const open = tokenOf(node, "open");
    if (open === undefined) return undefined;
    const keys = tokensOf(node, "key");
    const values = nodesOf(node, "value");
    if (keys.length !== values.length) return undefined;
    const entries: A.ObjectEntry[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = name(keys[i]);
      const value = this.expression(values[i]);
      if (key === undefined || value === undefined) return undefined;
      entries.push({ key, value, span: cover(key.span, value.span) });
    }
    const close = tokenOf(node, "close");
    return { kind: "object", entries, span: cover(tokenSpan(open), close ? tokenSpan(close) : entries[entries.length - 1]?.span) };
  }

  private array(node: CstNode | undefined): A.ArrayLit | undefined {
    if (!complete(node)) return undefined;
    const open = tokenOf(node, "open");
    if (open === undefined) return undefined;
    const items: A.Expr[] = [];
    for (const item of nodesOf(node, "item")) {
      const built = this.expression(item);
      if (built === undefined) return undefined;
      items.push(built);
    }
    const close = tokenOf(node, "close");
    return { kind: "array", items, span: cover(tokenSpan(open), close ? tokenSpan(close) : items[items.length - 1]?.span) };
  }

  // ---- depth and docs -------------------------------------------------------------------------

  /**
   * Long operator chains (`a + a + …`) parse without recursion but fold into a deep tree that later
   * recursive phases could not walk. Depth never exceeds the token count, so short text is skipped.
   */
  private checkedDepth<E extends A.Expr>(expr: E | undefined): E | undefined {
    if (expr === undefined || expr.span.end - expr.span.start <= MAX_EXPRESSION_DEPTH) return expr;
    if (exprDepth(expr) <= MAX_EXPRESSION_DEPTH) return expr;
    this.diagnostics.push(
      diagnostic("MAP1005", {
        message: `expression is nested more than ${MAX_EXPRESSION_DEPTH} levels deep`,
        file: this.fileName,
        span: { ...expr.span, end: expr.span.start + 1, endLine: expr.span.line, endColumn: expr.span.column + 1 },
        hint: "split it into several fields or simplify it",
      }),
    );
    return undefined;
  }

  /** The `///` lines right before `offset` (only whitespace between), without `///` and one space. */
  private docBefore(offset: number): string | undefined {
    let lo = 0;
    let hi = this.docs.length - 1;
    let index = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const doc = this.docs[mid];
      if (doc !== undefined && doc.startOffset < offset) {
        index = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const lines: string[] = [];
    let until = offset;
    for (let i = index; i >= 0; i--) {
      const doc = this.docs[i];
      if (doc === undefined || !this.onlySpace(doc.startOffset + doc.image.length, until)) break;
      if (!this.startsLine(doc.startOffset)) break;
      lines.push(doc.image.slice(3).replace(/^ /, "").trimEnd());
      until = doc.startOffset;
    }
    return lines.length === 0 ? undefined : lines.reverse().join("\n");
  }

  private onlySpace(from: number, to: number): boolean {
    return /^\s*$/.test(this.text.slice(from, to));
  }

  private startsLine(offset: number): boolean {
    const lineStart = Math.max(this.text.lastIndexOf("\n", offset - 1), this.text.lastIndexOf("\r", offset - 1)) + 1;
    return this.onlySpace(lineStart, offset);
  }
}

function regexProblem(pattern: string, flags: string): string | undefined {
  const bad = [...flags].find((f, i) => !"imsu".includes(f) || flags.indexOf(f) !== i);
  if (bad !== undefined) return `regular expression flag \`${bad}\` is not allowed (use i, m, s or u, each once)`;
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, "") : String(e);
    return `invalid regular expression: ${reason}`;
  }
}

/** Depth of an expression tree, walked with an explicit stack so it cannot overflow itself. */
function exprDepth(root: A.Expr): number {
  let max = 0;
  const stack: [A.Expr, number][] = [[root, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [e, d] = top;
    if (d > max) max = d;
    for (const child of children(e)) stack.push([child, d + 1]);
  }
  return max;
}

function children(e: A.Expr): A.Expr[] {
  switch (e.kind) {
    case "binary":
      return [e.left, e.right];
    case "unary":
      return [e.operand];
    case "matches":
      return [e.value];
    case "if":
      return [e.test, e.then, e.else];
    case "pipe":
      return [e.input, ...(e.args ?? []), ...(e.table ?? []).map((t) => t.value), ...(e.else ? [e.else] : [])];
    case "call":
      return [...e.args];
    case "lookup":
      return [e.where, ...(e.else ? [e.else] : [])];
    case "object":
      return e.entries.map((x) => x.value);
    case "array":
      return [...e.items];
    case "path":
    case "string":
    case "number":
    case "bool":
    case "null":
    case "duration":
    case "regex":
    case "jsonata":
      return [];
    default:
      return assertNever(e);
  }
}
