import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/compile.js";
import { DIAGNOSTICS } from "../../compiler/diagnostics.js";
import { mutate, seed, SEED_FILES } from "../support/seeds.js";

describe("MAP3011: a target that cannot confirm a write is at-least-once", () => {
  it.each([
    ["guanyi", "  idcheck FNumber\n", "Kingdee", "ExecuteBillQuery"],
    ["banniu", "  idcheck task_id\n", "Banniu", "task.getTask"],
  ] as const)("warns on the %s seed flow without idcheck, naming how its target confirms", (name, idcheck, _system, by) => {
    const result = checkSource(mutate(seed(name), idcheck, ""), SEED_FILES[name]);
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([["MAP3011", "warning"]]);
    const [warning] = result.diagnostics;
    expect(warning?.message).toContain("at-least-once");
    expect(warning?.message).toContain(by);
    expect(warning?.hint).toMatch(/idcheck/);
    // A warning: the flow still compiles and runs.
    expect(result.model).toBeDefined();
  });

  it("says nothing for a target with idcheck that can confirm", () => {
    for (const name of ["guanyi", "banniu"] as const) expect(checkSource(seed(name), SEED_FILES[name]).diagnostics).toEqual([]);
  });

  it("is explained", () => {
    expect(DIAGNOSTICS.MAP3011.explanation).toMatch(/at-least-once/);
  });
});
