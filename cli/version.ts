import { readFileSync } from "node:fs";

function readVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "ferry" && pkg.version) return pkg.version;
    } catch {
      // try the next location: sources and dist/ sit at different depths
    }
  }
  return "0.0.0";
}

/** ferry's version, from package.json. */
export const VERSION = readVersion();
