import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/compile.js";

const flow = (params: string, window = "window  step 1d") => `mapping m
source kingdee "executeBillQuery" {
  params {
${params}
  }
  ${window}
  page    offset StartRow size Limit 500
  records rows
  id      FMATERIALID
}
target http "/x" { idcheck code }
fields {
  code : string? <- FNumber
  org  : string? <- FUseOrgId.FNumber
}
`;

describe("a window carried by the params that use its bounds", () => {
  it("checks when a param uses window.start or window.end, and leaves the window's params unnamed", () => {
    const result = checkSource(flow(`    FormId <- "BD_MATERIAL"\n    FilterString <- "FModifyDate >= '" + window.start + "'"`), "m.map");
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.model?.source.window).toMatchObject({ startParam: null, endParam: null, stepMs: 86_400_000 });
  });

  it("is refused when no param carries it (MAP2017)", () => {
    const result = checkSource(flow(`    FormId <- "BD_MATERIAL"`), "m.map");
    expect(result.diagnostics.map((d) => [d.code, d.span.line])).toContainEqual(["MAP2017", 6]);
  });
});

describe("FieldKeys of ExecuteBillQuery", () => {
  it("is the record paths the flow reads when the flow gives none, the id included", () => {
    const result = checkSource(flow(`    FormId <- "BD_MATERIAL"\n    FilterString <- "FModifyDate >= '" + window.start + "'"`), "m.map");
    const keys = result.model?.source.paramValues.find((p) => p.name === "FieldKeys")?.value;
    expect(keys).toMatchObject({ k: "literal", value: "FNumber,FUseOrgId.FNumber,FMATERIALID" });
  });

  it("is the flow's own when it gives one", () => {
    const result = checkSource(flow(`    FormId <- "BD_MATERIAL"\n    FieldKeys <- "FNumber,FMATERIALID"\n    FilterString <- window.start`), "m.map");
    expect(result.model?.source.paramValues.filter((p) => p.name === "FieldKeys")).toEqual([expect.objectContaining({ value: expect.objectContaining({ value: "FNumber,FMATERIALID" }) })]);
  });
});
