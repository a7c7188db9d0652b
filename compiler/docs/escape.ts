/**
 * The only ways text from a `.map` file reaches generated docs. Labels, titles, doc comments, field
 * names, strings and example values are all user data: each renderer sends every piece of it through
 * exactly one of these functions, so a label such as `<script>` shows as text and never as markup.
 */

const HTML: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for HTML and SVG, in element content and in double- or single-quoted attributes alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML[c] ?? c);
}

// Characters with a meaning anywhere in a line (code spans, emphasis, links, HTML, table cells,
// strikethrough). The backslash itself too: a trailing one would swallow the `|` that ends a cell.
const MARKDOWN_INLINE = /[\\`*_[\]<>|~]/g;
// Characters that only mean something at the start of a line: headings, list items, setext
// underlines, ordered lists. A backslash before ASCII punctuation is always a literal in CommonMark.
const MARKDOWN_LINE_START = /^(\s*)([#+=-]|\d+[.)])/;

/**
 * Text for Markdown, safe inside a table cell and inline anywhere: markup characters are
 * backslash-escaped, `&` becomes `&amp;` (so `&lt;` in a label stays literally `&lt;`) and line breaks
 * become `<br>` (a table row must stay on one line).
 */
export function escapeMarkdown(text: string): string {
  return text
    .split(/\r\n|\r|\n|\u2028|\u2029/)
    .map((line) =>
      line
        .replace(/&/g, "&amp;")
        .replace(MARKDOWN_INLINE, (c) => `\\${c}`)
        .replace(MARKDOWN_LINE_START, (_, space: string, mark: string) => `${space}${mark.replace(/[#+=.)-]$/, (c) => `\\${c}`)}`),
    )
    .join("<br>");
}

/**
 * JSON for a `<script type="application/json">` element. `<` becomes `\u003c`, so a label holding
 * `</script>` or `<!--` cannot end or confuse the element; U+2028/U+2029 are escaped for old parsers.
 * `JSON.parse` of the element's text gives back exactly the value.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * A relative path as a URL: each segment percent-encoded (spaces, `#`, `?`, `%`, parentheses), `/`
 * kept. The result still goes through escapeHtml in HTML; in Markdown link targets it needs nothing
 * more, since no `(`, `)`, `<`, `>` or space is left.
 */
export function pathToUrl(path: string): string {
  return path
    .split("/")
    .map((segment) => (segment === ".." || segment === "." ? segment : encodeURIComponent(segment).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)))
    .join("/");
}
