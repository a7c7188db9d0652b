import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ferry } from "../support/io.js";
import { ROOT } from "../support/seeds.js";

const OUT = `${ROOT}test/.out/typecheck`;

describe("generated modules", () => {
  it("compile under tsc --strict --noEmit with zero errors", async () => {
    rmSync(OUT, { recursive: true, force: true });
    const run = await ferry(["build", "mappings", "--out", "test/.out/typecheck"]);
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(OUT).sort()).toEqual(["banniu-task-barcodes.ts", "guanyi-shops-to-kingdee-customers.ts"]);
    mkdirSync(OUT, { recursive: true });
    // A user's strict project: the runtime resolves to ferry's sources, as `ferry/runtime` would.
    writeFileSync(
      `${OUT}/tsconfig.json`,
      JSON.stringify({
        compilerOptions: {
          strict: true, noEmit: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext",
          noUnusedLocals: true, noUnusedParameters: true, noImplicitReturns: true, skipLibCheck: true, types: ["node"],
          paths: { "ferry/runtime": ["../../../runtime/index.ts"] },
        },
        include: ["*.ts"],
      }),
    );
    let output = "";
    try {
      execFileSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, "-p", OUT], { encoding: "utf8" });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe("");
  });
});
