/**
 * `ferry docs`: documentation generated from checked flows — an offline HTML site or Markdown for
 * git hosting — and the comparison `ferry docs --check` runs in CI.
 */
export { renderDocs, writeDocs, checkDocs, isDocsFormat, DOCS_FORMATS, type DocsFormat, type DocsChange } from "./write.js";
export { buildSite, type SiteModel, type FlowPage, type DocsInput } from "./site-model.js";
export { describeExpr, exprInputs, transformLabel, type ExprScope } from "./describe-expr.js";
export { escapeHtml, escapeMarkdown, jsonForScript } from "./escape.js";
export { lineageSvg } from "./lineage-svg.js";
