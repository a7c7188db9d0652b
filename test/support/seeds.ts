import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const SEED_FILES = {
  guanyi: "mappings/guanyi-shops-to-kingdee-customers.map",
  banniu: "mappings/banniu-task-barcodes.map",
} as const;

/** The text of a seed flow of mappings/. */
export function seed(name: keyof typeof SEED_FILES): string {
  return readFileSync(`${ROOT}${SEED_FILES[name]}`, "utf8");
}

/** Replaces exactly one occurrence of `from` (fails loudly when the seed changed under the test). */
export function mutate(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`mutation target must occur exactly once: ${from}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The flows under mappings/ (the seeds and mappings/examples/), and how many examples they hold. */
export function mappingsCount(): { readonly files: number; readonly examples: number } {
  const files = (readdirSync(`${ROOT}mappings`, { recursive: true }) as string[]).filter((f) => f.endsWith(".map"));
  const examples = files.reduce((n, f) => n + (readFileSync(`${ROOT}mappings/${f}`, "utf8").match(/^example "/gm)?.length ?? 0), 0);
  return { files: files.length, examples };
}
