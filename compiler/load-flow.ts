import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FlowModule } from "../runtime/types.js";
import { evaluateModule } from "./examples.js";
import { resolveFlowFile, UsageError } from "./files.js";
import type { FileResult } from "./project.js";

/** A flow ready to run; `module` is undefined when the file has errors (see `result.diagnostics`). */
export interface LoadedFlow {
  readonly file: string;
  readonly result: FileResult | undefined;
  readonly module: FlowModule | undefined;
}

/** Changes whenever ferry is rebuilt, so a cached module never outlives the compiler that made it. */
function compilerStamp(): string {
  try {
    return String(statSync(fileURLToPath(import.meta.url)).mtimeMs);
  } catch {
    return "";
  }
}

/**
 * Reads, checks and compiles one flow for running (`ferry run`, `ferry replay`). A flow compiled
 * before is loaded from `cacheDir` (keyed by its text and the compiler build), which spares the
 * parser and TypeScript on every scheduled run.
 */
export async function loadFlow(pathOrName: string, cwd: string, cacheDir?: string): Promise<LoadedFlow> {
  const { file, outName } = resolveFlowFile(pathOrName, cwd);
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const key = createHash("sha256").update(`${compilerStamp()}\u0000${file}\u0000${text}`).digest("hex").slice(0, 40);
  const cached = cacheDir ? join(cacheDir, `${key}.js`) : undefined;
  if (cached) {
    try {
      const module = evaluateModule(readFileSync(cached, "utf8"));
      // An empty or cut-off file (a crash while a cache was copied) evaluates to nothing usable.
      if (isFlowModule(module)) return { file, result: undefined, module };
    } catch {
      // not cached yet (or unreadable): compile below
    }
  }
  const { checkFiles } = await import("./project.js");
  const [result] = checkFiles([{ file, outName }], cwd);
  if (!result?.model) return { file, result, module: undefined };
  const { emitModule } = await import("./emit/module.js");
  const { transpileModule } = await import("./examples.js");
  const js = transpileModule(emitModule(result.model));
  if (cached && cacheDir) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      // Written aside and renamed, so a concurrent run never reads half a file.
      const part = `${cached}.${process.pid}.part`;
      writeFileSync(part, js);
      renameSync(part, cached);
    } catch {
      // A read-only state folder only costs the next run a compile.
    }
  }
  return { file, result, module: evaluateModule(js) };
}

/** Whether an evaluated module has what the runtime calls: a spec and the generated functions. */
function isFlowModule(module: Partial<FlowModule> | undefined): module is FlowModule {
  return (
    typeof module === "object" &&
    module !== null &&
    typeof module.spec === "object" &&
    module.spec !== null &&
    typeof module.spec.name === "string" &&
    typeof module.map === "function" &&
    typeof module.check === "function" &&
    typeof module.params === "function" &&
    typeof module.lookupKeys === "function"
  );
}
