#!/usr/bin/env node
// Entry point of the `ferry` command. The program itself is compiled to dist/ by `npm install`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("ferry: not built yet — run `npm install` (or `npm run build`) in the ferry folder first.\n");
  process.exit(2);
}
await import(main.href);
