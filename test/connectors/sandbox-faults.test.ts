import { describe, expect, it } from "vitest";
import { FaultDice, FaultSpecError, parseFaultSpec } from "../../connectors/sandbox/faults.js";

describe("fault specs", () => {
  it("reads the documented example", () => {
    expect(parseFaultSpec("kingdee.batchSave:500@5%,guanyi:timeout@2%,banniu:throttle@3%,kingdee:session-lost@1%")).toEqual([
      { system: "kingdee", operation: "batchSave", fault: "500", probability: 0.05 },
      { system: "guanyi", operation: undefined, fault: "timeout", probability: 0.02 },
      { system: "banniu", operation: undefined, fault: "throttle", probability: 0.03 },
      { system: "kingdee", operation: undefined, fault: "session-lost", probability: 0.01 },
    ]);
  });

  it.each([
    ["kingdee:500", /write system\[\.operation\]:fault@percent%/],
    ["oracle:500@5%", /unknown system "oracle"/],
    ["kingdee:explode@5%", /unknown fault "explode"/],
    ["kingdee:500@150%", /above 100/],
  ])("refuses %j", (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });
});

describe("fault dice", () => {
  it("injects close to the asked rate, independently, and the same way for the same seed", () => {
    const rules = parseFaultSpec("kingdee.batchSave:500@5%");
    const rolls = (seed: number) => {
      const dice = new FaultDice(rules, seed);
      return Array.from({ length: 10_000 }, () => dice.roll("kingdee", "BatchSave") !== null);
    };
    const a = rolls(7);
    expect(rolls(7)).toEqual(a);
    expect(rolls(8)).not.toEqual(a);
    const hits = a.filter(Boolean).length;
    expect(hits).toBeGreaterThan(400);
    expect(hits).toBeLessThan(600);
    // Independence: a fault right after a fault is about as likely as any fault.
    const afterHit = a.slice(1).filter((x, i) => x && a[i]).length / Math.max(1, a.slice(0, -1).filter(Boolean).length);
    expect(afterHit).toBeLessThan(0.12);
  });

  it("matches operations case-insensitively and leaves other systems alone", () => {
    const dice = new FaultDice(parseFaultSpec("kingdee.batchSave:500@100%"), 1);
    expect(dice.roll("kingdee", "BatchSave")).toBe("500");
    expect(dice.roll("kingdee", "ExecuteBillQuery")).toBeNull();
    expect(dice.roll("guanyi", "gy.erp.shop.get")).toBeNull();
    expect(dice.stats()).toEqual({ "kingdee.BatchSave:500": 1 });
  });
});
