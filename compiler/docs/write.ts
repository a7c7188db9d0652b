/**
 * Renders the docs site for checked files and writes it, or compares it with what is on disk
 * (`ferry docs --check`, for CI). Output depends only on the `.map` files: no timestamps, sorted.
 */
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { display } from "../files.js";
import type { FileResult } from "../project.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { compare } from "./order.js";
import { buildSite, type DocsInput } from "./site-model.js";

/** `html`: a static site for a browser (works from file://). `md`: Markdown for git hosting. */
export type DocsFormat = "html" | "md";

export const DOCS_FORMATS: readonly DocsFormat[] = ["html", "md"];

export function isDocsFormat(value: string): value is DocsFormat {
  return (DOCS_FORMATS as readonly string[]).includes(value);
}

/** What `--check` found different: a file whose content differs, one not written yet, or a stale one. */
export interface DocsChange {
  /** Path relative to the working folder. */
  readonly file: string;
  readonly change: "changed" | "missing" | "extra";
}

// `flows/` holds one page per flow and nothing else, so a page there that no flow produces any more
// is stale: writing removes it and checking reports it. Files elsewhere in the folder are left alone.
const FLOWS_DIR = "flows";
const PAGE_EXTENSIONS = /\.(html|md|svg)$/;

/**
 * The files of the docs site for the checked files that have a model, by path relative to `outDir`
 * (forward slashes), sorted. `outDir` and the files are relative to `cwd`; links to `.map` lines are
 * relative from the pages to the files.
 */
export function renderDocs(results: readonly FileResult[], outDir: string, format: DocsFormat, cwd: string): Map<string, string> {
  const inputs: DocsInput[] = [];
  for (const r of results) if (r.model) inputs.push({ file: r.file, outName: r.outName, model: r.model });
  const site = buildSite(inputs, { outDir, cwd });
  const files = format === "html" ? renderHtml(site) : renderMarkdown(site);
  return new Map([...files.entries()].sort(([a], [b]) => compare(a, b)));
}

/**
 * Writes the site into `outDir`: files whose content is already right are not touched, stale pages
 * in `flows/` are removed. Returns the paths written and removed, relative to `cwd`.
 */
export function writeDocs(
  results: readonly FileResult[],
  outDir: string,
  format: DocsFormat,
  cwd: string,
): { written: string[]; unchanged: string[]; removed: string[] } {
  const root = resolve(cwd, outDir);
  const files = renderDocs(results, outDir, format, cwd);
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const [path, content] of files) {
    const target = join(root, path);
    if (readOrUndefined(target) === content) {
      unchanged.push(display(target, cwd));
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    written.push(display(target, cwd));
  }
  const removed: string[] = [];
  for (const path of stalePages(root, files)) {
    unlinkSync(join(root, path));
    removed.push(display(join(root, path), cwd));
  }
  return { written, unchanged, removed };
}

/**
 * Compares the site the sources would generate with the one in `outDir`. `differences` lists the
 * paths (relative to `cwd`) that differ, are missing or are stale, sorted; `changes` says which.
 */
export function checkDocs(
  results: readonly FileResult[],
  outDir: string,
  format: DocsFormat,
  cwd: string,
): { differences: string[]; changes: DocsChange[]; files: number } {
  const root = resolve(cwd, outDir);
  const files = renderDocs(results, outDir, format, cwd);
  const changes: DocsChange[] = [];
  for (const [path, content] of files) {
    const current = readOrUndefined(join(root, path));
    if (current !== content) changes.push({ file: display(join(root, path), cwd), change: current === undefined ? "missing" : "changed" });
  }
  for (const path of stalePages(root, files)) changes.push({ file: display(join(root, path), cwd), change: "extra" });
  changes.sort((a, b) => compare(a.file, b.file));
  return { differences: changes.map((c) => c.file), changes, files: files.size };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Pages in `<root>/flows/` that the site does not contain, relative to root, sorted. */
function stalePages(root: string, files: ReadonlyMap<string, string>): string[] {
  let names: string[];
  try {
    names = readdirSync(join(root, FLOWS_DIR));
  } catch {
    return [];
  }
  return names
    .filter((n) => PAGE_EXTENSIONS.test(n) && !files.has(`${FLOWS_DIR}/${n}`))
    .sort(compare)
    .map((n) => `${FLOWS_DIR}/${n}`);
}
