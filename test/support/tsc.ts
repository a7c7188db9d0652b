import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { ROOT } from "./seeds.js";

/**
 * Typechecks the `.ts` files of `dir` (three levels under the repository, as test/.out/x is) the way
 * a user's strict project would, with `ferry/runtime` resolving to ferry's sources. Returns tsc's
 * output: empty when there is no error.
 */
export function typecheckFolder(dir: string, options: Readonly<Record<string, unknown>> = {}): string {
  writeFileSync(
    `${dir}/tsconfig.json`,
    JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext",
        noUnusedLocals: true, noUnusedParameters: true, noImplicitReturns: true, skipLibCheck: true, types: ["node"],
        paths: { "ferry/runtime": ["../../../runtime/index.ts"] },
        ...options,
      },
      include: ["**/*.ts"],
    }),
  );
  try {
    execFileSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, "-p", dir], { encoding: "utf8" });
    return "";
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}
