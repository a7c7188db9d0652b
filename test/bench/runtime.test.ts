import { describe, expect, it } from "vitest";
import { gnuTimeKb, statusKb } from "../../bench/children.js";
import { ceilingOf, END_TO_END_FLOW, flowText, MEMORY_FLOW } from "../../bench/runtime.js";
import { selectedSections } from "../../bench/sections.js";
import { compileSource } from "../../compiler/compile.js";
import { loadModule } from "../../compiler/examples.js";
import type { FlowModule } from "../../runtime/index.js";

describe("runtime bench", () => {
  it.each([END_TO_END_FLOW, MEMORY_FLOW])("writes a flow that checks clean and carries its budget ($name)", (shape) => {
    const { code, diagnostics } = compileSource(flowText(shape), `${shape.name}.map`);
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const { spec } = loadModule(code!) as unknown as FlowModule;
    expect(spec.source.page?.size).toBe(shape.pageSize);
    expect(spec.target.batch).toBe(shape.batch);
    expect(spec.source.rate === null ? null : (spec.source.rate.count * 1000) / spec.source.rate.perMs).toBe(shape.sourceRate);
    expect(spec.target.rate === null ? null : (spec.target.rate.count * 1000) / spec.target.rate.perMs).toBe(shape.targetRate);
  });

  it("sets the ceiling by the slower side", () => {
    expect(ceilingOf(END_TO_END_FLOW)).toBe(2000);
    expect(ceilingOf({ ...END_TO_END_FLOW, targetRate: 5 })).toBe(1000);
    expect(() => ceilingOf(MEMORY_FLOW)).toThrow(/no rate limits/);
  });

  it("reads peak RSS from GNU time and /proc status", () => {
    expect(gnuTimeKb("123456\n")).toBe(123456);
    expect(gnuTimeKb("Command exited with non-zero status 1\n98765\n")).toBe(98765);
    expect(gnuTimeKb("")).toBeUndefined();
    const status = "Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
    expect(statusKb(status, "VmHWM")).toBe(204800);
    expect(statusKb(status, "VmRSS")).toBe(102400);
  });

  it("selects sections with FERRY_BENCH_ONLY, all by default, refusing unknown names", () => {
    expect([...selectedSections(undefined)]).toEqual(["check", "build", "transform", "end_to_end", "memory", "memory_cold", "check_scale", "seed_flows", "docs"]);
    expect([...selectedSections("")]).toHaveLength(9);
    expect([...selectedSections("end_to_end, memory")]).toEqual(["end_to_end", "memory"]);
    expect(() => selectedSections("memory,speed")).toThrow(/speed/);
  });
});
