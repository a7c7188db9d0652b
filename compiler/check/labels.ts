/**
 * Fields named by their label: a Banniu column is `101297` in the data and 商品条码 to the people who
 * use the project, so a `.map` may write either (`` contents.`商品条码` ``). A segment that is not a
 * field's name, and not a key the schema allows as data, but is the label of exactly one field of
 * that level, stands for that field; the generated code uses the name.
 */
import type * as ast from "../ast.js";
import type { FieldSchema, OpenKeys } from "../../connectors/catalog.js";

/** `segments` with each one written as a label replaced by its field's name. */
export function namesForLabels(segments: readonly ast.PathSegment[], fields: readonly FieldSchema[] | undefined, open: OpenKeys | undefined): readonly ast.PathSegment[] {
  let level = fields;
  let keys = open;
  let changed = false;
  const out = segments.map((seg) => {
    if (!level) return seg;
    let field = level.find((f) => f.name === seg.text);
    let named = seg;
    if (!field && !(keys && new RegExp(keys.pattern, "u").test(seg.text))) {
      const labelled = level.filter((f) => f.label === seg.text);
      if (labelled.length === 1) {
        field = labelled[0];
        named = { ...seg, text: field!.name, quoted: true };
        changed = true;
      }
    }
    level = field?.fields;
    keys = field?.openKeys;
    return named;
  });
  return changed ? out : segments;
}
