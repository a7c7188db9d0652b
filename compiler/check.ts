import type * as ast from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import type { CheckModel, FlowModel, ValueType } from "./model.js";
import { headOf, Reporter } from "./check/context.js";
import { checkSource, checkTarget, withFilledParams } from "./check/endpoints.js";
import type { ConnectorCatalog } from "../connectors/catalog.js";
import { builtinSystems } from "./systems.js";
import { checkExamples } from "./check/examples.js";
import { ExprChecker } from "./check/expr.js";
import { FieldsChecker } from "./check/fields.js";
import { NameIndex } from "./suggest.js";

export interface CheckResult {
  /** undefined when the file has errors that leave no coherent flow. */
  readonly value: FlowModel | undefined;
  readonly diagnostics: Diagnostic[];
}

function single<K extends ast.TopLevel["kind"]>(
  reporter: Reporter,
  file: ast.MapFile,
  kind: K,
  what: string,
): Extract<ast.TopLevel, { kind: K }> | undefined {
  const items = file.items.filter((i): i is Extract<ast.TopLevel, { kind: K }> => i.kind === kind);
  for (const extra of items.slice(1)) {
    reporter.report("MAP2014", headOf(extra.span, kind.length), `a second \`${kind}\` block`, {
      hint: `a .map file has one ${what}`,
      related: items[0] ? [{ message: "the first one", file: reporter.file, span: headOf(items[0].span, kind.length) }] : undefined,
    });
  }
  return items[0];
}

/** Resolves and types a parsed `.map` file against the connector catalogs. */
export function checkMapFile(file: ast.MapFile, fileName: string, systems: readonly ConnectorCatalog[] = builtinSystems().catalogs): CheckResult {
  const reporter = new Reporter(fileName);
  const mapping = single(reporter, file, "mapping", "mapping line");
  const sourceDecl = file.items.find((i): i is ast.EndpointDecl => i.kind === "source");
  const targetDecl = file.items.find((i): i is ast.EndpointDecl => i.kind === "target");
  const fieldsBlock = single(reporter, file, "fields", "fields block");
  const checkBlock = single(reporter, file, "check", "check block");
  for (const kind of ["source", "target"] as const) {
    const all = file.items.filter((i): i is ast.EndpointDecl => i.kind === kind);
    for (const extra of all.slice(1)) reporter.report("MAP2014", extra.headSpan, `a second \`${kind}\` block`, { hint: `a .map file reads from one source and writes to one target` });
  }
  const fileStart = headOf(file.span, 0);
  const missing = [
    [mapping, "mapping line", "`mapping <name> \"<title>\"`"],
    [sourceDecl, "source block", "`source <connector> \"<operation>\" { … }`"],
    [targetDecl, "target block", "`target <connector> \"<operation>\" { … }`"],
    [fieldsBlock, "fields block", "`fields { <target> <- <expression> … }`"],
  ] as const;
  for (const [item, what, how] of missing) {
    if (!item) reporter.report("MAP2013", fileStart, `the file has no ${what}`, { hint: `add ${how}` });
  }

  const exprs = new ExprChecker(reporter);
  const source = sourceDecl ? checkSource(reporter, sourceDecl, exprs, systems) : undefined;
  const target = targetDecl ? checkTarget(reporter, targetDecl, systems) : undefined;
  const hasWindow = source?.spec.window != null;
  const fieldsChecker = new FieldsChecker(reporter, exprs, source?.schema, hasWindow);
  const fields = fieldsBlock ? fieldsChecker.checkBlock(fieldsBlock, target?.schema) : [];

  if (source?.schema) {
    for (const p of source.idPaths) exprs.check(p, { kind: "field", source: source.schema, hasWindow });
  }
  // A list an `each` walks is a list everywhere in the flow, not only inside that `each`.
  exprs.readsThroughLists(
    fieldsChecker.all.flatMap((f): { root: number | undefined; path: readonly string[]; line: number }[] => {
      if (!f || f.value.k !== "each") return [];
      const list = f.value.source;
      if (list.k === "source") return [{ root: undefined, path: list.path, line: f.span.line }];
      if (list.k === "alias") return [{ root: list.each, path: list.path, line: f.span.line }];
      return [];
    }),
  );
  if (target?.idcheck) {
    const name = target.idcheck.segments.map((s) => s.text).join(".");
    if (!fields.some((f) => f.display === name)) {
      const written = new NameIndex(fields.map((f) => f.display));
      reporter.report("MAP2009", target.idcheck.span, `idcheck names \`${name}\`, which no line of \`fields\` writes`, {
        hint: written.didYouMean(name) ?? (fields.length ? `idcheck names one of: ${written.list()}` : undefined),
      });
    }
  }

  const row = new Map<string, ValueType>(fieldsChecker.all.filter(Boolean).map((f) => [f.display, f.type]));
  const checks: CheckModel[] = [];
  for (const rule of checkBlock?.rules ?? []) {
    const test = exprs.check(rule.test, { kind: "check", source: undefined, hasWindow, row });
    checks.push({ test, message: rule.message.value, span: rule.test.span });
  }

  const examples = checkExamples(
    reporter,
    file.items.filter((i): i is ast.ExampleDecl => i.kind === "example"),
    source?.schema,
    fields,
  );

  const complete = mapping && source && target && fieldsBlock && reporter.errorCount === 0;
  if (!complete) return { value: undefined, diagnostics: reporter.diagnostics };
  return {
    value: {
      file: fileName,
      name: mapping.name.text,
      title: mapping.title?.value,
      doc: mapping.doc,
      source: withFilledParams(source, exprs.recordReads()),
      target: target.spec,
      sourceSchema: source.schema ?? { title: "records", fields: [] },
      targetSchema: target.schema ?? { title: "rows", fields: [] },
      fields,
      allFields: fieldsChecker.all,
      lookups: exprs.lookups,
      jsonata: exprs.jsonata,
      checks,
      examples,
    },
    diagnostics: reporter.diagnostics,
  };
}
