import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The environment a command sees: the process environment over the `.env` file of the working
 * folder, when there is one. `.env` holds KEY=VALUE lines; `#` starts a comment; values may be quoted.
 * Variables already set in the environment win, so CI secrets override a developer's file.
 */
export function loadEnv(cwd: string, env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(join(cwd, ".env"), "utf8");
  } catch {
    return { ...env };
  }
  const fromFile: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2] ?? "";
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? (quoted[2] ?? "").replace(/\\n/g, "\n").replace(/\\"/g, '"') : (quoted[2] ?? "");
    else value = value.replace(/\s+#.*$/, "");
    fromFile[m[1]!] = value;
  }
  return { ...fromFile, ...env };
}
