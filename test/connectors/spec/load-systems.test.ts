import { describe, expect, it } from "vitest";
import { loadSystems } from "../../../connectors/spec/load-systems.js";

const project = (text: string, path = "systems/shop.yaml") => loadSystems([{ path, text }]);

const minimal = `system: shop
title: 小店
protocol: http
defaults:
  retry: { attempts: 3, backoff: 1s..30s }
  timeout: 10s
operations:
  orders.get:
    kind: read
    description: orders
    params:
      page: { type: int, description: page }
      start_time: { type: datetime, description: from }
      end_time: { type: datetime, description: to }
    record:
      fields:
        "27963": { type: string, label: 商品编号 }
        id: { type: int, required: true }
        details:
          type: array
          fields:
            qty: { type: number }
    response: { records: data.orders, total: data.total }
    paging: { kind: number, param: page, from: 1, maxSize: 50 }
    window: { start: start_time, end: end_time, maxSpan: 1h }
`;

describe("project system specs", () => {
  it("add a system, keeping fields in the order written (numeric keys included)", () => {
    const loaded = project(minimal);
    expect(loaded.problems).toEqual([]);
    const shop = loaded.catalogs.find((c) => c.name === "shop");
    expect(shop?.defaults).toEqual({ retry: { attempts: 3, minMs: 1000, maxMs: 30000 }, timeoutMs: 10000 });
    const op = shop?.operations[0];
    expect(op?.record?.fields.map((f) => f.name)).toEqual(["27963", "id", "details"]);
    expect(op?.record?.fields[2]?.fields?.[0]).toMatchObject({ name: "qty", type: "number" });
    expect(op?.response).toEqual({ records: "data.orders", total: "data.total", paths: ["data.orders", "data.total"] });
    expect(op?.record?.fields[1]?.origin).toEqual({ file: "systems/shop.yaml", line: 18, column: 9 });
    expect(op?.limits).toEqual({ maxWindowMs: 3_600_000, maxPageSize: 50 });
    expect(op?.window).toEqual({ startParam: "start_time", endParam: "end_time" });
    expect(op?.paging).toEqual({ kind: "number", param: "page", from: 1 });
  });

  it("extend a built-in form with a tenant's custom field and the built-in system with an operation", () => {
    const loaded = project(
      `extends: kingdee
operations:
  batchSave:
    forms:
      BD_Customer:
        fields:
          F_abc_Level: { type: string, label: 客户等级 }
  view:
    kind: read
    description: read one bill
    response: { records: Result.Result }
`,
      "systems/kingdee.yaml",
    );
    expect(loaded.problems).toEqual([]);
    const kingdee = loaded.catalogs.find((c) => c.name === "kingdee")!;
    const form = kingdee.operations.find((o) => o.name === "batchSave")?.forms?.find((f) => f.id === "BD_Customer");
    expect(form?.row.fields.at(-1)).toMatchObject({ name: "F_abc_Level", origin: { file: "systems/kingdee.yaml", line: 7 } });
    expect(form?.row.fields[0]?.origin?.file).toMatch(/systems[/\\]kingdee\.yaml$/);
    expect(kingdee.operations.map((o) => o.name)).toContain("view");
    expect(kingdee.files?.at(-1)).toBe("systems/kingdee.yaml");
  });

  it.each([
    ["not YAML", "system: shop\ntitle: [unclosed\nprotocol: http\n", "MAP5001", 3, /not valid YAML/],
    ["a duplicate key", minimal.replace("    kind: read\n", "    kind: read\n    kind: write\n"), "MAP5001", 10, /not valid YAML/],
    ["an unknown key", minimal.replace("    kind: read\n", "    kind: read\n    recrods: x\n"), "MAP5002", 10, /unknown key `recrods`/],
    ["a field type misspelt", minimal.replace("{ type: number }", "{ type: nmuber }"), "MAP5002", 22, /not one of string, int/],
    ["a bad duration", minimal.replace("timeout: 10s", "timeout: 10 seconds"), "MAP5002", 6, /does not fit: a duration/],
    ["a missing description", minimal.replace("    description: orders\n", ""), "MAP5002", 8, /missing `description`/],
    ["refKey on a string", minimal.replace("{ type: string, label: 商品编号 }", "{ type: string, refKey: FNumber }"), "MAP5005", 17, /`refKey` belongs to ref fields/],
    ["a bad pattern", minimal.replace("    record:\n      fields:", "    record:\n      openKeys: { pattern: '[', type: string, description: d }\n      fields:"), "MAP5005", 16, /not a regular expression/],
    ["both system and extends", `extends: kingdee\n${minimal}`, "MAP5002", 1, /exactly one of `system`/],
    ["a built-in defined again", minimal.replace("system: shop", "system: guanyi"), "MAP5004", 1, /already defined in .*guanyi\.yaml/],
    ["extends of an unknown system", "extends: kingde\noperations: {}\n", "MAP5003", 1, /names no system/],
    ["a built-in field redefined", "extends: kingdee\noperations:\n  batchSave:\n    forms:\n      BD_Customer:\n        fields:\n          FName: { type: string }\n", "MAP5004", 7, /field `FName` is already defined in .*kingdee\.yaml:\d+:\d+/],
    ["a window naming no param", minimal.replace("start: start_time", "start: begin_time"), "MAP5003", 25, /`window.start` names `begin_time`/],
    ["a built-in setting changed", "extends: kingdee\noperations:\n  batchSave:\n    method: GET\n", "MAP5004", 4, /`method` of operation `batchSave` is defined in/],
  ])("report %s at its place", (_, text, code, line, message) => {
    const loaded = project(text);
    expect(loaded.problems.length, JSON.stringify(loaded.problems)).toBeGreaterThan(0);
    const problem = loaded.problems[0]!;
    expect(problem.code).toBe(code);
    expect(problem.message).toMatch(message);
    expect(problem.file).toBe("systems/shop.yaml");
    expect(problem.span.line).toBe(line);
  });

  it("suggests the intended word for a misspelt key or value", () => {
    const problem = project(minimal.replace("    kind: read\n", "    kind: read\n    recrods: x\n")).problems[0]!;
    expect(problem.got).toBe("recrods");
    expect(problem.expected).toContain("record");
  });

  it("leave the other systems usable when one spec is wrong", () => {
    const loaded = project(minimal.replace("timeout: 10s", "timeout: soon"));
    expect(loaded.catalogs.map((c) => c.name)).toEqual(expect.arrayContaining(["guanyi", "kingdee", "banniu", "http"]));
    expect(loaded.catalogs.find((c) => c.name === "shop")).toBeUndefined();
  });
});
