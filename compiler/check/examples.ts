import type * as ast from "../ast.js";
import type { RecordSchema } from "../../connectors/catalog.js";
import type { ExampleModel, FieldModel, JsonValue } from "../model.js";
import { didYouMean, namesOf } from "../suggest.js";
import { listNames, type Reporter } from "./context.js";
import { firstNonLiteral, literalValue } from "./literal.js";

/** A tree of the target paths a mapping writes, for checking `out { … }` keys. */
interface WrittenTree {
  readonly children: Map<string, WrittenTree>;
}

function writtenTree(fields: readonly FieldModel[]): WrittenTree {
  const root: WrittenTree = { children: new Map() };
  for (const f of fields) {
    let node = root;
    for (const seg of f.path) {
      let next = node.children.get(seg);
      if (!next) {
        next = { children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
  }
  return root;
}

/** Checks example blocks: literal values only, `in` keys are source fields, `out` keys are written fields. */
export function checkExamples(
  reporter: Reporter,
  decls: readonly ast.ExampleDecl[],
  source: RecordSchema | undefined,
  fields: readonly FieldModel[],
): ExampleModel[] {
  const names = new Map<string, ast.ExampleDecl>();
  const tree = writtenTree(fields);
  const out: ExampleModel[] = [];
  for (const decl of decls) {
    const earlier = names.get(decl.name.value);
    if (earlier) {
      reporter.report("MAP2023", decl.name.span, `another example is named ${JSON.stringify(decl.name.value)}`, {
        related: [{ message: "first example with this name", file: reporter.file, span: earlier.name.span }],
      });
    }
    names.set(decl.name.value, decl);
    if (!decl.input || !decl.output) {
      reporter.report("MAP2024", decl.name.span, `example ${JSON.stringify(decl.name.value)} needs both \`in { … }\` and \`out { … }\``);
      continue;
    }
    const input = literalObject(reporter, decl.input);
    const output = literalObject(reporter, decl.output);
    const given = decl.given.map((g) => ({
      store: g.store.text,
      collection: g.collection.value,
      documents: (literalArray(reporter, g.documents) ?? []) as JsonValue[],
    }));
    if (!input || !output) continue;
    if (source) checkInputKeys(reporter, decl.input, source);
    checkOutputKeys(reporter, decl.output, tree, "");
    out.push({ name: decl.name.value, given, input, output, span: decl.span });
  }
  return out;
}

function literalObject(reporter: Reporter, obj: ast.ObjectLit): { [key: string]: JsonValue } | undefined {
  const bad = firstNonLiteral(obj);
  if (bad) {
    reporter.report("MAP2024", bad.span, "example values must be literals (text, numbers, true, false, null, objects, lists)");
    return undefined;
  }
  return literalValue(obj) as { [key: string]: JsonValue };
}

function literalArray(reporter: Reporter, arr: ast.ArrayLit): JsonValue[] | undefined {
  const bad = firstNonLiteral(arr);
  if (bad) {
    reporter.report("MAP2024", bad.span, "lookup documents must be literals");
    return undefined;
  }
  return literalValue(arr) as JsonValue[];
}

function checkInputKeys(reporter: Reporter, obj: ast.ObjectLit, source: RecordSchema): void {
  const names = source.fields.map((f) => f.name);
  const open = source.openKeys ? new RegExp(source.openKeys.pattern) : undefined;
  for (const entry of obj.entries) {
    const key = entry.key.text;
    if (names.includes(key) || open?.test(key)) continue;
    reporter.report("MAP2010", entry.key.span, `\`${key}\` is not a field of ${source.title}`, {
      hint: didYouMean(key, names),
      notes: [`${source.title} have: ${listNames(names)}`],
    });
  }
}

function checkOutputKeys(reporter: Reporter, obj: ast.ObjectLit, tree: WrittenTree, prefix: string): void {
  for (const entry of obj.entries) {
    const key = entry.key.text;
    const child = tree.children.get(key);
    if (!child) {
      const written = namesOf(tree.children, () => tree.children.keys());
      reporter.report("MAP2010", entry.key.span, `\`${prefix}${key}\` is not a field this mapping writes`, {
        hint: written.didYouMean(key),
        notes: [`written${prefix ? ` under ${prefix.slice(0, -1)}` : ""}: ${written.list()}`],
      });
      continue;
    }
    if (child.children.size > 0 && entry.value.kind === "object") checkOutputKeys(reporter, entry.value, child, `${prefix}${key}.`);
  }
}
