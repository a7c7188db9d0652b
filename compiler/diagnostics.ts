import type { Span } from "./ast.js";

/**
 * Diagnostics are data. Every problem ferry reports about a `.map` file has a code from the one
 * catalog below (`ferry explain <code>` prints its entry). Phases return diagnostics; they never throw
 * for user errors.
 */

export type Severity = "error" | "warning";

export interface RelatedInfo {
  readonly message: string;
  readonly file: string;
  readonly span: Span;
}

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly span: Span;
  /** Short text printed under the caret. */
  readonly label?: string | undefined;
  /** One actionable line, e.g. "did you mean `name`?". */
  readonly hint?: string | undefined;
  /** Extra context lines, e.g. the fields a record has. */
  readonly notes?: readonly string[] | undefined;
  readonly related?: readonly RelatedInfo[] | undefined;
}

export interface CatalogEntry {
  readonly title: string;
  readonly severity: Severity;
  /** One paragraph: what the problem is and how to fix it. */
  readonly explanation: string;
  readonly wrong?: string;
  readonly right?: string;
}

export const DIAGNOSTICS = {
  // ---- MAP1xxx: syntax --------------------------------------------------------------------
  MAP1001: {
    title: "unexpected character",
    severity: "error",
    explanation:
      "The file holds a character that cannot start any token of the .map language. Names that are not plain identifiers (column ids such as 27963, keys with dots or dashes) must be written in backticks; text values belong in double quotes.",
    wrong: "task_id : int <- -1",
    right: "task_id : int <- `-1`",
  },
  MAP1002: {
    title: "unterminated string",
    severity: "error",
    explanation:
      "A string literal opened with a double quote is not closed on the same line. Strings cannot span lines; use \\n inside the string for a line break.",
    wrong: 'FName <- name "客户名称',
    right: 'FName <- name "客户名称"',
  },
  MAP1003: {
    title: "syntax error",
    severity: "error",
    explanation:
      "The parser expected something else at this point. The message names what it expected. Check for a missing `<-`, an unbalanced brace or parenthesis, or a setting written in the wrong block.",
    wrong: "FName name",
    right: "FName <- name",
  },
  MAP1004: {
    title: "invalid escape in string",
    severity: "error",
    explanation:
      "Strings use JSON escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX. Any other backslash sequence is an error.",
    wrong: '"C:\\data"',
    right: '"C:\\\\data"',
  },
  MAP1005: {
    title: "nesting too deep",
    severity: "error",
    explanation:
      "Expressions, objects or arrays are nested deeper than ferry accepts (200 levels). Real mappings never need this; split the expression or flatten the data.",
  },
  MAP1006: {
    title: "invalid number",
    severity: "error",
    explanation:
      "A number, duration or rate is malformed or out of range. Durations are a whole or decimal number followed by ms, s, m, h or d (500ms, 2s, 1d).",
    wrong: "timeout 10sec",
    right: "timeout 10s",
  },
  MAP1007: {
    title: "invalid regular expression",
    severity: "error",
    explanation:
      "The pattern after `matches` is not a valid JavaScript regular expression, or it uses a flag other than i, m, s or u.",
    wrong: "FNumber matches /[a-z/",
    right: "FNumber matches /[a-z]+/",
  },
  MAP1008: {
    title: "unterminated backtick name",
    severity: "error",
    explanation: "A name opened with a backtick is not closed on the same line.",
    wrong: "task_id <- `-1",
    right: "task_id <- `-1`",
  },
  MAP1009: {
    title: "not a text file",
    severity: "error",
    explanation:
      "The file is not UTF-8 text (it holds NUL bytes or invalid UTF-8 sequences). .map files are UTF-8 text; check that the right file was passed.",
  },

  // ---- MAP2xxx: names and types -----------------------------------------------------------
  MAP2001: {
    title: "unknown source field",
    severity: "error",
    explanation:
      "A path in an expression does not name a field of the source record. Source records are described by the connector's catalog for the source operation; the note lists the fields they have. Fix the spelling, or quote names that are not identifiers with backticks.",
    wrong: "FName <- nmae",
    right: "FName <- name",
  },
  MAP2002: {
    title: "unknown target field",
    severity: "error",
    explanation:
      "The target path is not a field of the record the target operation writes (for Kingdee, of the form's schema). The note lists the fields the target accepts.",
    wrong: "FNmae : string <- name",
    right: "FName : string <- name",
  },
  MAP2003: {
    title: "duplicate target field",
    severity: "error",
    explanation:
      "Two lines write the same target field. Only one can win, so ferry refuses both; combine them with `??` or `if … then … else …`.",
    wrong: "FName <- name\nFName <- nick",
    right: "FName <- name ?? nick",
  },
  MAP2004: {
    title: "unknown pipe",
    severity: "error",
    explanation:
      "The name after `|` is not a built-in pipe. The built-in pipes are: trim upper lower string number int round date ref map split join unique default replace substr concat.",
    wrong: 'code | uppr',
    right: 'code | upper',
  },
  MAP2005: {
    title: "wrong number of arguments",
    severity: "error",
    explanation:
      "A pipe or function was given more or fewer arguments than it takes. The message gives the expected count.",
    wrong: "note | substr(0)",
    right: "note | substr(0, 10)",
  },
  MAP2006: {
    title: "type mismatch",
    severity: "error",
    explanation:
      "The expression computes a value of a different type than the target field declares, for example a number for a string field. Convert explicitly with a pipe (`| string`, `| int`, `| number`) or change the declared type.",
    wrong: "FName : string <- id",
    right: "FName : string <- id | string",
  },
  MAP2007: {
    title: "ref field fed a bare value",
    severity: "error",
    explanation:
      "A field of type `ref` is a base-data reference: the target expects an object such as {\"FNumber\": \"100\"}, not a bare string. Wrap the value with the `ref` pipe naming the key.",
    wrong: 'FCreateOrgId : ref <- "100"',
    right: 'FCreateOrgId : ref <- "100" | ref(FNumber)',
  },
  MAP2008: {
    title: "required target field missing",
    severity: "error",
    explanation:
      "The target operation requires this field (for Kingdee, the form marks it as required), but no line of the `fields` block writes it. Add a line for it.",
    wrong: "fields { FNumber <- code }",
    right: 'fields { FName <- name  FNumber <- code  FCreateOrgId : ref <- "100" | ref(FNumber) }',
  },
  MAP2009: {
    title: "idcheck names an unmapped field",
    severity: "error",
    explanation:
      "`idcheck` tells the runtime which target field identifies a written row, so it can skip unchanged rows and update changed ones. It must name a field that the `fields` block writes.",
    wrong: "idcheck FNumbr",
    right: "idcheck FNumber",
  },
  MAP2010: {
    title: "example key is not a field",
    severity: "error",
    explanation:
      "Keys of an example's `in` object must be source fields, and keys of its `out` object must be target fields written by this mapping. A misspelt key would make the example test nothing.",
    wrong: 'in { nmae: "测试" }',
    right: 'in { name: "测试" }',
  },
  MAP2011: {
    title: "unknown type",
    severity: "error",
    explanation:
      "Field types are string, int, number, bool, date, datetime, ref, object and array, optionally followed by `?` for an optional field.",
    wrong: "FName : text <- name",
    right: "FName : string <- name",
  },
  MAP2012: {
    title: "unknown function",
    severity: "error",
    explanation:
      "Expressions may call env(\"NAME\") (an environment variable) and now() (the run's start time). Any other name followed by parentheses is an error; transforms of a value are written as pipes: `value | trim`.",
    wrong: "FName <- trim(name)",
    right: "FName <- name | trim",
  },
  MAP2013: {
    title: "missing block",
    severity: "error",
    explanation:
      "Every .map file needs a `mapping` line, one `source` block, one `target` block and one `fields` block.",
  },
  MAP2014: {
    title: "duplicate block or setting",
    severity: "error",
    explanation:
      "A block (source, target, fields, check) or a setting (batch, window, page, …) appears twice where only one is allowed. Merge them.",
  },
  MAP2015: {
    title: "value map without else",
    severity: "warning",
    explanation:
      "A `map { … }` table has no `else` branch, so any value not listed yields null (and fails the row when the field is required). Add `else <value>` to say what happens to other values.",
    wrong: 'status | map { "0": "未开始" }',
    right: 'status | map { "0": "未开始" } else "未知状态"',
  },
  MAP2016: {
    title: "duplicate key in value map",
    severity: "error",
    explanation: "A key appears twice in a `map { … }` table or an object literal; only one value can apply.",
  },
  MAP2017: {
    title: "invalid use of window",
    severity: "error",
    explanation:
      "`window.start` and `window.end` are the bounds of the incremental window being read. They exist only when the source has a `window` setting, and have no other parts.",
  },
  MAP2018: {
    title: "invalid lookup",
    severity: "error",
    explanation:
      "Lookups are answered with one query per page, so the `where` filter must compare exactly one key path with a value computed from the record (e.g. { \"content.goodsNo\": { $eq: `27963` } }); other conditions must be constants. The store must be `mongo`.",
    wrong: 'lookup mongo("goods", where: { }, find: content.skuBarcode)',
    right: 'lookup mongo("goods", where: { "content.goodsNo": { $eq: `27963` } }, find: content.skuBarcode)',
  },
  MAP2019: {
    title: "invalid jsonata expression",
    severity: "error",
    explanation: "The text given to `jsonata` does not parse as a JSONata expression. The message gives JSONata's own error.",
  },
  MAP2020: {
    title: "value out of range",
    severity: "error",
    explanation:
      "A setting has a value outside what makes sense: batch sizes, page sizes and rates must be positive whole numbers; retry counts from 0 to 20; backoff minimum no larger than the maximum; timeouts and backoff at most 1h (longer is almost always a typo, `30d` for `30s`); window steps at least 1s.",
    wrong: "batch 0",
    right: "batch 100",
  },
  MAP2021: {
    title: "conflicting target paths",
    severity: "error",
    explanation:
      "One target path is a prefix of another (`a` and `a.b`), so the first would be both a value and an object. Write only the nested paths.",
  },
  MAP2022: {
    title: "each over a non-list",
    severity: "error",
    explanation:
      "`each <path> as <name> { … }` builds one entry per element of a list in the source record. Inside the block, paths starting with the alias refer to the element.",
  },
  MAP2023: {
    title: "duplicate example name",
    severity: "error",
    explanation: "Two examples share a name; test output could not tell them apart. Rename one.",
  },
  MAP2024: {
    title: "example is incomplete",
    severity: "error",
    explanation: "An `example` block needs both an `in { … }` record and an `out { … }` row.",
  },
  MAP2025: {
    title: "check rule field unknown",
    severity: "error",
    explanation:
      "Paths in a `check` rule name fields of the row being written (target fields of this mapping). The rule refers to a field the mapping does not write.",
    wrong: 'check { FNmae != "" "name required" }',
    right: 'check { FName != "" "name required" }',
  },
  MAP2026: {
    title: "optional value into a required field",
    severity: "warning",
    explanation:
      "The expression may yield null (an optional source field, a lookup or value map without else), and the target field is required. Rows where it is null will fail and be kept for review. Add `?? default`, an `else`, or mark the field optional with `?`.",
  },
  MAP2027: {
    title: "flow name used by another file",
    severity: "error",
    explanation:
      "Two .map files declare the same `mapping` name. The state store keeps a flow's write record, checkpoint and dead letters by that name, so the second flow would take rows the first one wrote as already written and skip them. Give each flow its own name.",
    wrong: "mapping shops_to_customers   (in a.map and in b.map)",
    right: "mapping shops_to_customers_eu",
  },
  MAP2028: {
    title: "path through a list",
    severity: "error",
    explanation:
      "A path goes on through a list as if the list were one element: `items.sku` where `items` is a list (the catalog says so, or an `each` walks it), or a `[]` segment. A list has no field `sku`, so the value would be null on every record. Read the elements with `each items as d { … d.sku … }`, and inside an `each` read the element through its name.",
    wrong: "lines : array <- each items as d { sku : string <- items.sku }",
    right: "lines : array <- each items as d { sku : string <- d.sku }",
  },
  MAP2029: {
    title: "not available here",
    severity: "error",
    explanation:
      "Request parameters are computed before any record is read, so they cannot use a lookup or JSONata. Check rules read only the mapped row: no lookups, JSONata, `env()` or `now()`. Compute the value in a field line and use (or check) that field.",
    wrong: 'check { env("REGION") == FRegion "another region\'s row" }',
    right: 'FRegion : string <- region\nFHome : string? <- env("REGION")\ncheck { FHome == FRegion "another region\'s row" }',
  },

  // ---- MAP3xxx: connectors and their catalogs --------------------------------------------
  MAP3001: {
    title: "unknown connector",
    severity: "error",
    explanation: "The name after `source` or `target` is not a known connector. Known connectors: guanyi, kingdee, banniu.",
    wrong: 'source guanyl "gy.erp.shop.get" { … }',
    right: 'source guanyi "gy.erp.shop.get" { … }',
  },
  MAP3002: {
    title: "unknown operation",
    severity: "error",
    explanation:
      "The connector has no operation by this name, or it cannot be used in this direction (a write operation as a source, a read operation as a target). The note lists the connector's operations.",
    wrong: 'source guanyi "gy.erp.shops.get"',
    right: 'source guanyi "gy.erp.shop.get"',
  },
  MAP3003: {
    title: "unknown option",
    severity: "error",
    explanation: "The target operation does not take an option by this name. The note lists the options it takes.",
    wrong: "option IsAutoSubmit = true",
    right: "option IsAutoSubmitAndAudit = true",
  },
  MAP3004: {
    title: "option value of the wrong type",
    severity: "error",
    explanation: "The option takes a value of another type (a boolean, a number or a string).",
    wrong: 'option IsAutoSubmitAndAudit = "yes"',
    right: "option IsAutoSubmitAndAudit = true",
  },
  MAP3005: {
    title: "unknown form",
    severity: "error",
    explanation: "The connector's catalog has no form (target object) by this name.",
    wrong: 'form "BD_Customr"',
    right: 'form "BD_Customer"',
  },
  MAP3006: {
    title: "setting not allowed here",
    severity: "error",
    explanation:
      "This setting does not apply to this block or this operation, e.g. paging on a target, or `form` for a connector that has no forms.",
  },
  MAP3007: {
    title: "unknown request parameter",
    severity: "error",
    explanation:
      "A parameter named in `params`, `window` or `page` is not a request parameter of the operation. The note lists the parameters it takes.",
    wrong: "window star_create .. end_created",
    right: "window star_created .. end_created",
  },
  MAP3008: {
    title: "unknown response path",
    severity: "error",
    explanation: "A `records`, `total` or cursor path does not exist in the operation's response.",
    wrong: "records shop",
    right: "records shops",
  },
  MAP3009: {
    title: "required setting missing",
    severity: "error",
    explanation:
      "The operation needs a setting that the block does not give: a `form` for Kingdee writes, `records` for a paged read, `id` for the source.",
  },
  MAP3010: {
    title: "window larger than the system allows",
    severity: "error",
    explanation:
      "Some APIs refuse time windows over a limit (Banniu task.list: one day). Give the window a `step` no longer than the limit; ferry cuts the window into steps.",
    wrong: "window star_created .. end_created",
    right: "window star_created .. end_created step 1d",
  },
  MAP3011: {
    title: "target cannot confirm a write: at-least-once",
    severity: "warning",
    explanation:
      "When a write's answer never comes (a crash, a timeout after the request was sent), ferry asks the target which rows it already holds before sending anything again, so no row is written twice. That needs an `idcheck` field and a target that can say what it holds (Kingdee ExecuteBillQuery, Banniu task.getTask, the http connector's lookup). Without either, such a write is sent again: the flow is at-least-once, and the run summary says so. Add `idcheck` with the field that identifies a row, or make sure sending a row twice is harmless.",
    wrong: 'target kingdee "batchSave" { form "BD_Customer" }',
    right: 'target kingdee "batchSave" { form "BD_Customer"  idcheck FNumber }',
  },

  // ---- MAP4xxx: emit ----------------------------------------------------------------------
  MAP4001: {
    title: "generated module does not typecheck",
    severity: "error",
    explanation:
      "The TypeScript generated for this mapping failed to typecheck. This is a bug in ferry, not in your mapping; please report it with the .map file.",
  },
  MAP4002: {
    title: "cannot write output",
    severity: "error",
    explanation: "The generated module could not be written to the output folder (permissions, a file where a folder should be, or a full disk).",
  },

  // ---- MAP5xxx: system specs (systems/*.yaml) ----------------------------------------------
  MAP5001: {
    title: "system spec is not valid YAML",
    severity: "error",
    explanation:
      "A file under systems/ could not be read as YAML: an indentation that does not line up, a key given twice in one mapping, a quote or bracket left open. The caret points where the YAML parser gave up; the mistake is often on the line above. The system that file defines is left out until it reads.",
    wrong: "operations:\n  orders.get:\n    kind: read\n    kind: write",
    right: "operations:\n  orders.get:\n    kind: read",
  },
  MAP5002: {
    title: "system spec does not fit the spec format",
    severity: "error",
    explanation:
      "A key the spec format does not have, a value of the wrong kind (a list where a mapping belongs, a word where a duration like 30s belongs), or a required key left out. The format is published as systems/system.schema.json; an editor that knows JSON Schema completes and checks spec files as you type (the first line `# yaml-language-server: $schema=…` tells it where).",
    wrong: "operations:\n  orders.get:\n    kind: read\n    recrods: orders",
    right: "operations:\n  orders.get:\n    kind: read\n    response: { records: orders }",
  },
  MAP5003: {
    title: "system spec names something it does not define",
    severity: "error",
    explanation:
      "A spec refers to a system, operation, parameter, field or credential that is not defined: `extends` names an unknown system, a window or paging names a parameter the operation lacks, a form's key field is not one of its fields, a signature's secret is not among the connection's credentials. Define it, or correct the name.",
    wrong: "window: { start: start_time, end: end_time }   # params: begin_time, end_time",
    right: "window: { start: begin_time, end: end_time }",
  },
  MAP5004: {
    title: "system spec defines something twice",
    severity: "error",
    explanation:
      "A system, operation, form, field, parameter or option is already defined — in ferry's built-in specs or another spec file — and a spec may only add to what exists, never change it: that keeps every built-in check meaning what it says. To add operations, forms or fields to a built-in system, write `extends: <system>` and list only the new ones; a field that is already there needs nothing.",
    wrong: "extends: kingdee\noperations:\n  batchSave:\n    forms:\n      BD_Customer:\n        fields:\n          FName: { type: string }",
    right: "extends: kingdee\noperations:\n  batchSave:\n    forms:\n      BD_Customer:\n        fields:\n          F_abc_Level: { type: string, label: 客户等级 }",
  },
  MAP5005: {
    title: "system spec value cannot be used",
    severity: "error",
    explanation:
      "A value fits the format but cannot work: a regular expression that does not compile, `refKey` on a field that is not a reference, fields of their own on a field that is neither an object nor a list, a backoff whose first wait is longer than its last, windows or paging on a write operation.",
    wrong: "FName: { type: string, refKey: FNumber }",
    right: "FCustId: { type: ref, refKey: FNumber }",
  },
} as const satisfies Record<string, CatalogEntry>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export function isDiagnosticCode(code: string): code is DiagnosticCode {
  return Object.prototype.hasOwnProperty.call(DIAGNOSTICS, code);
}

export interface DiagnosticInput {
  readonly message: string;
  readonly file: string;
  readonly span: Span;
  readonly label?: string | undefined;
  readonly hint?: string | undefined;
  readonly notes?: readonly string[] | undefined;
  readonly related?: readonly RelatedInfo[] | undefined;
  /** Overrides the catalog's severity (rare). */
  readonly severity?: Severity;
}

/** Builds a diagnostic whose severity comes from the catalog. */
export function diagnostic(code: DiagnosticCode, input: DiagnosticInput): Diagnostic {
  return { code, ...input, severity: input.severity ?? DIAGNOSTICS[code].severity };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Source order: file, then position; stable for equal positions. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) =>
      a.d.file < b.d.file ? -1 : a.d.file > b.d.file ? 1 : a.d.span.start - b.d.span.start || a.i - b.i,
    )
    .map(({ d }) => d);
}
