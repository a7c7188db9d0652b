import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ferry } from "../support/io.js";
import { mappingsCount, ROOT } from "../support/seeds.js";
import { typecheckFolder } from "../support/tsc.js";

const OUT = `${ROOT}test/.out/typecheck`;

describe("generated modules", () => {
  it("compile under tsc --strict --noEmit with zero errors", async () => {
    rmSync(OUT, { recursive: true, force: true });
    const run = await ferry(["build", "mappings", "--out", "test/.out/typecheck"]);
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(OUT, { recursive: true }).filter((f) => String(f).endsWith(".ts")).sort()).toHaveLength(mappingsCount().files);
    mkdirSync(OUT, { recursive: true });
    // A user's strict project: the runtime resolves to ferry's sources, as `ferry/runtime` would.
    expect(typecheckFolder(OUT)).toBe("");
  });
});
