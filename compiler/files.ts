import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";

/** A path argument that is not there or holds no `.map` file: a usage problem, not a mapping one. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}


/**
 * The `.map` files named by paths: files as given, folders searched recursively (sorted, so output
 * order is stable). Throws UsageError for a missing path or a folder without `.map` files.
 */
export function findMapFiles(paths: readonly string[], cwd: string): { file: string; outName: string }[] {
  const found: { file: string; outName: string }[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let stat;
    try {
      stat = statSync(abs);
    } catch {
      throw new UsageError(`no such file or folder: ${p}`);
    }
    if (stat.isFile()) {
      found.push({ file: display(abs, cwd), outName: basename(abs).replace(/\.map$/, "") });
      continue;
    }
    if (!stat.isDirectory()) throw new UsageError(`${p} is neither a file nor a folder`);
    const inFolder = walk(abs, cwd).filter((f) => f.endsWith(".map"));
    if (inFolder.length === 0) throw new UsageError(`no .map files in ${p}`);
    for (const f of inFolder) found.push({ file: display(f, cwd), outName: relative(abs, f).replace(/\.map$/, "") });
  }
  const unique = new Map(found.map((f) => [f.file, f]));
  return [...unique.values()];
}

function walk(dir: string, cwd: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the folder ${display(dir, cwd)}${code ? ` (${code})` : ""}`);
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full, cwd));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

export function display(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel.startsWith("..") ? abs : rel.split("\\").join("/");
}


/**
 * The `.map` file a command names: a path, or the name of a flow (its `mapping` line) in the
 * `mappings/` folder.
 */
export function resolveFlowFile(pathOrName: string, cwd: string): { file: string; outName: string } {
  const abs = resolve(cwd, pathOrName);
  try {
    if (statSync(abs).isFile()) return { file: display(abs, cwd), outName: basename(abs).replace(/\.map$/, "") };
  } catch {
    // not a path: look for a flow of that name below
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(pathOrName)) {
    let candidates: { file: string; outName: string }[] = [];
    try {
      candidates = findMapFiles(["mappings"], cwd);
    } catch {
      candidates = [];
    }
    const named = new RegExp(`^\\s*mapping\\s+${pathOrName}\\b`, "m");
    const hit = candidates.find((c) => named.test(readFileSync(resolve(cwd, c.file), "utf8")));
    if (hit) return hit;
  }
  throw new UsageError(`no such flow: ${pathOrName} (give a .map file, or the name of a flow in mappings/)`);
}
