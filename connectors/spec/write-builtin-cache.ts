/**
 * `npm run build`'s last step: checks ferry's built-in system specs and writes their cache
 * (dist/systems/builtin.json). A problem in a built-in spec fails the build, naming it.
 */
import { BUILTIN_CACHE_FILE, writeBuiltinCache } from "./load-systems.js";

const problems = writeBuiltinCache();
if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`${p.file}:${p.span.line}:${p.span.column}: error[${p.code}]: ${p.message}\n`);
  process.exitCode = 1;
} else {
  process.stderr.write(`built-in system specs cached in ${BUILTIN_CACHE_FILE}\n`);
}
