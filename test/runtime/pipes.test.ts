import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkDateFormat, formatDateTime, PipeError, pipes, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/pipes.js";

/** Calls `f` and returns the PipeError it throws, failing the test when it throws nothing else. */
function pipeError(f: () => unknown): PipeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PipeError);
    return e as PipeError;
  }
  throw new Error("expected a PipeError");
}

describe("null propagation", () => {
  const calls: [string, (v: unknown) => unknown][] = [
    ["trim", (v) => pipes.trim(v)],
    ["upper", (v) => pipes.upper(v)],
    ["lower", (v) => pipes.lower(v)],
    ["string", (v) => pipes.string(v)],
    ["number", (v) => pipes.number(v)],
    ["int", (v) => pipes.int(v)],
    ["round", (v) => pipes.round(v, 2)],
    ["date", (v) => pipes.date(v, "yyyy-MM-dd")],
    ["date with inFormat", (v) => pipes.date(v, "yyyy-MM-dd", "yyyyMMdd")],
    ["ref", (v) => pipes.ref(v, "FNumber")],
    ["split", (v) => pipes.split(v, ",")],
    ["join", (v) => pipes.join(v, ",")],
    ["unique", (v) => pipes.unique(v)],
    ["replace", (v) => pipes.replace(v, "a", "b")],
    ["substr", (v) => pipes.substr(v, 0, 2)],
    ["concat", (v) => pipes.concat(v, "x")],
  ];
  it.each(calls.flatMap(([name, f]) => [[name, f, null] as const, [name, f, undefined] as const]))(
    "%s(%s) is null",
    (_, f, v) => {
      expect(f(v)).toBeNull();
    },
  );
});

describe("trim / upper / lower", () => {
  it.each([
    ["  abc  ", "abc"],
    ["\u3000客户名称\u3000", "客户名称"], // ideographic spaces, common in pasted Chinese text
    ["\t管易云\n", "管易云"],
    [42, "42"],
    ["", ""],
  ])("trim(%j) = %j", (v, out) => {
    expect(pipes.trim(v)).toBe(out);
  });

  it.each([
    ["gsh_test", "GSH_TEST", "gsh_test"],
    ["Ab测试Cd", "AB测试CD", "ab测试cd"],
    ["istanbul", "ISTANBUL", "istanbul"], // locale-independent: no Turkish dotted İ
    [1.5, "1.5", "1.5"],
  ])("upper/lower(%j)", (v, up, low) => {
    expect(pipes.upper(v)).toBe(up);
    expect(pipes.lower(v)).toBe(low);
  });

  it.each([true, {}, [1], Symbol("s")])("refuse non-text %s", (v) => {
    for (const f of [pipes.trim, pipes.upper, pipes.lower]) expect(pipeError(() => f(v)).message).toBe("not text");
  });
});

describe("string", () => {
  it.each([
    ["已完成", "已完成"],
    [12.5, "12.5"],
    [0, "0"],
    [true, "true"],
    [false, "false"],
    [10n, "10"],
    [{ FNumber: "100" }, '{"FNumber":"100"}'],
    [[1, "二"], '[1,"二"]'],
    // An instant, shown in Asia/Shanghai whatever the machine's zone.
    [new Date("2024-09-05T16:30:00Z"), "2024-09-06 00:30:00"],
  ])("string(%s) = %j", (v, out) => {
    expect(pipes.string(v)).toBe(out);
  });

  it.each([
    [Number.NaN, "not a finite number"],
    [Number.POSITIVE_INFINITY, "not a finite number"],
    [new Date(Number.NaN), "not a valid date"],
    [Symbol("s"), "cannot be made a string"],
    [() => 1, "cannot be made a string"],
  ])("string(%s) throws %s", (v, reason) => {
    const e = pipeError(() => pipes.string(v));
    expect(e.message).toBe(reason);
    expect(e.value).toBe(v);
  });
});

describe("number / int", () => {
  it.each([
    [12, 12],
    [-0.5, -0.5],
    ["12", 12],
    [" 12.50 ", 12.5],
    ["+3", 3],
    ["-3.", -3],
    [".5", 0.5],
    ["1e3", 1000],
    ["1.5E-2", 0.015],
    ["", null],
    ["   ", null],
    [10n, 10],
  ])("number(%s) = %j", (v, out) => {
    expect(pipes.number(v)).toBe(out);
  });

  it.each([
    ["abc", "not a number"],
    ["1,234.5", "not a number"],
    ["0x10", "not a number"],
    ["12abc", "not a number"],
    ["Infinity", "not a number"],
    ["一百", "not a number"],
    ["1e400", "not a finite number"],
    [Number.NaN, "not a finite number"],
    [Number.NEGATIVE_INFINITY, "not a finite number"],
    [true, "not a number"],
    [false, "not a number"],
    [{}, "not a number"],
    [[1], "not a number"],
    [2n ** 60n, "integer out of range"],
  ])("number(%s) throws %s", (v, reason) => {
    const e = pipeError(() => pipes.number(v));
    expect(e.message).toBe(reason);
    expect(e.value).toBe(v);
  });

  it.each([
    [12.9, 12],
    [-12.9, -12],
    ["-0.4", 0],
    ["55370664060", 55370664060],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [-Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
    ["", null],
  ])("int(%j) = %j", (v, out) => {
    expect(Object.is(pipes.int(v), out)).toBe(true);
  });

  it.each([
    [2 ** 53, "integer out of range"],
    [-(2 ** 53), "integer out of range"],
    ["1e20", "integer out of range"],
    ["abc", "not a number"],
    [true, "not a number"],
  ])("int(%s) throws %s", (v, reason) => {
    expect(pipeError(() => pipes.int(v)).message).toBe(reason);
  });
});

describe("round", () => {
  it.each([
    [1.005, 2, 1.01],
    [1.255, 2, 1.26],
    [-1.005, 2, -1.01],
    [2.5, 0, 3],
    [-2.5, 0, -3],
    [0.125, 2, 0.13],
    [1.45, 1, 1.5],
    ["8.345", 2, 8.35],
    [1e-7, 2, 0],
    [-1e-7, 2, 0],
    [123.456, 0, 123],
    [1e21, 2, 1e21],
    [0.1 + 0.2, 10, 0.3],
    ["", 2, null],
  ])("round(%j, %j) = %j", (v, digits, out) => {
    expect(Object.is(pipes.round(v, digits), out)).toBe(true);
  });

  it.each([
    ["abc", 2, "not a number", "abc"],
    [1, -1, "round digits must be an integer from 0 to 10", -1],
    [1, 11, "round digits must be an integer from 0 to 10", 11],
    [1, 1.5, "round digits must be an integer from 0 to 10", 1.5],
  ])("round(%j, %j) throws %s", (v, digits, reason, value) => {
    const e = pipeError(() => pipes.round(v, digits));
    expect(e.message).toBe(reason);
    expect(e.value).toBe(value);
  });

  it("agrees with exact decimal rounding", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.integer({ min: 0, max: 4 }), (units, digits) => {
        // units/1000 written in decimal, rounded by hand on its digits.
        const n = units / 1000;
        const scaled = Math.abs(units) * 10 ** digits; // exact integer: thousandths × 10^digits
        const q = Math.floor(scaled / 1000);
        const r = scaled % 1000;
        const expected = (r >= 500 ? q + 1 : q) / 10 ** digits;
        const signed = units < 0 && expected !== 0 ? -expected : expected;
        expect(pipes.round(n, digits)).toBe(signed);
      }),
    );
  });
});

describe("date", () => {
  it.each([
    ["2024-09-06", "yyyy-MM-dd HH:mm:ss", undefined, "2024-09-06 00:00:00"],
    ["2024-09-06 13:45:07", "yyyy/MM/dd HH:mm", undefined, "2024/09/06 13:45"],
    ["2024-09-06T13:45:07", "yyyy-MM-dd HH:mm:ss", undefined, "2024-09-06 13:45:07"],
    ["2024-09-06T13:45:07.123", "HH:mm:ss.SSS", undefined, "13:45:07.123"],
    ["2024-09-06T13:45:07.123456", "ss.SSS", undefined, "07.123"],
    ["2024/9/6", "yyyy-MM-dd", undefined, "2024-09-06"],
    ["2024/09/06 8:05:03", "yyyy-MM-dd HH:mm:ss", undefined, "2024-09-06 08:05:03"],
    ["2024-09-06 13:45", "yyyy-MM-dd HH:mm:ss", undefined, "2024-09-06 13:45:00"],
    ["  2024-09-06  ", "yyyyMMdd", undefined, "20240906"],
    // Zoned strings are instants, shown in Asia/Shanghai.
    ["2024-09-06T00:00:00Z", "yyyy-MM-dd HH:mm:ss", undefined, "2024-09-06 08:00:00"],
    ["2024-09-05T20:00:00.5Z", "yyyy-MM-dd HH:mm:ss.SSS", undefined, "2024-09-06 04:00:00.500"],
    ["2024-09-06T10:00:00+08:00", "yyyy-MM-dd HH:mm:ss", undefined, "2024-09-06 10:00:00"],
    ["2024-09-06T20:00:00-0530", "yyyy-MM-dd HH:mm", undefined, "2024-09-07 09:30"],
    ["2024-12-31T23:30:00+00", "yyyy-MM-dd HH:mm", undefined, "2025-01-01 07:30"],
    // Leap days.
    ["2024-02-29", "yyyy-MM-dd", undefined, "2024-02-29"],
    ["2000-02-29", "MM-dd", undefined, "02-29"],
    // Explicit input formats, Chinese literals included.
    ["20240906", "yyyy-MM-dd", "yyyyMMdd", "2024-09-06"],
    ["2024年09月06日 08时", "yyyy-MM-dd HH:mm:ss", "yyyy年MM月dd日 HH时", "2024-09-06 08:00:00"],
    ["06/09/2024", "yyyy-MM-dd", "dd/MM/yyyy", "2024-09-06"],
    ["2024-09", "yyyy-MM-dd", "yyyy-MM", "2024-09-01"],
    ["2024-09-06T13:45:07", "yyyy-MM-dd'T'HH", "yyyy-MM-ddTHH:mm:ss", "2024-09-06T13"],
    ["0099-01-01", "yyyy-MM-dd", undefined, "0099-01-01"],
    // Epoch milliseconds: an instant.
    [Date.UTC(2024, 8, 5, 16, 0, 0), "yyyy-MM-dd HH:mm:ss", undefined, "2024-09-06 00:00:00"],
    [0, "yyyy-MM-dd HH:mm:ss.SSS", undefined, "1970-01-01 08:00:00.000"],
    [new Date(Date.UTC(2024, 1, 28, 16, 0)), "yyyy-MM-dd", undefined, "2024-02-29"],
    ["", "yyyy-MM-dd", undefined, null],
  ])("date(%j, %j, %j) = %j", (v, out, inFormat, expected) => {
    expect(pipes.date(v, out, inFormat)).toBe(expected);
  });

  it.each([
    ["2024-02-30", undefined, "not a date"],
    ["2023-02-29", undefined, "not a date"],
    ["1900-02-29", undefined, "not a date"],
    ["2024-04-31", undefined, "not a date"],
    ["2024-13-01", undefined, "not a date"],
    ["2024-00-10", undefined, "not a date"],
    ["0000-00-00 00:00:00", undefined, "not a date"],
    ["2024-09-06 24:00:00", undefined, "not a date"],
    ["2024-09-06 23:60:00", undefined, "not a date"],
    ["2024-09-06 23:59:60", undefined, "not a date"],
    ["2024-09-06T10:00:00+24:00", undefined, "not a date"],
    ["2024-09-06+08:00", undefined, "not a date"],
    ["2024-09/06", undefined, "not a date"],
    ["24-09-06", undefined, "not a date"],
    ["1725552000000", undefined, "not a date"],
    ["明天", undefined, "not a date"],
    ["2024-09-06", "yyyyMMdd", 'not a date in format "yyyyMMdd"'],
    ["20240230", "yyyyMMdd", 'not a date in format "yyyyMMdd"'],
    ["2024-09-06x", "yyyy-MM-dd", 'not a date in format "yyyy-MM-dd"'],
    ["2024-9-6", "yyyy-MM-dd", 'not a date in format "yyyy-MM-dd"'],
  ])("date(%j, _, %j) throws %s", (v, inFormat, reason) => {
    const e = pipeError(() => pipes.date(v, "yyyy-MM-dd", inFormat));
    expect(e.message).toBe(reason);
    expect(e.value).toBe(v);
  });

  it.each([
    [true, "not a date"],
    [{ year: 2024 }, "not a date"],
    [Number.NaN, "not a valid date"],
    [1e20, "not a valid date"],
    [new Date(Number.NaN), "not a valid date"],
    [Date.UTC(10000, 0, 1), "year 10000 is outside 0000-9999"],
  ])("date(%s) throws %s", (v, reason) => {
    expect(pipeError(() => pipes.date(v, "yyyy-MM-dd")).message).toBe(reason);
  });

  it.each([
    ["YYYY-MM-DD", 'unknown letter "Y"'],
    ["yyyy-MM-dd hh:mm", 'unknown letter "h"'],
    ["yy-MM-dd", 'unknown letter "y"'],
    ["yyyy-MM-dd'", "unterminated quote"],
    ["", "empty date format"],
  ])("a bad format %j is a PipeError and a checkDateFormat message", (format, reason) => {
    expect(checkDateFormat(format)).toContain(reason);
    expect(pipeError(() => pipes.date("2024-09-06", format)).message).toContain(reason);
    expect(pipeError(() => pipes.date("2024-09-06", "yyyy", format)).message).toContain(reason);
  });

  it.each(["yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss.SSS", "yyyy年MM月dd日", "'week' yyyy", "HH'h'mm", "yyyy''MM"])(
    "accepts the format %j",
    (format) => {
      expect(checkDateFormat(format)).toBeUndefined();
    },
  );

  it("does not depend on the machine's time zone", () => {
    const before = process.env["TZ"];
    const results: (string | null)[] = [];
    try {
      for (const tz of ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]) {
        process.env["TZ"] = tz;
        results.push(
          [
            pipes.date("2024-03-10 02:30:00", "yyyy-MM-dd HH:mm:ss"), // a DST gap in New York
            pipes.date(Date.UTC(2024, 2, 10, 7, 30), "yyyy-MM-dd HH:mm"),
            pipes.string(new Date(Date.UTC(2024, 9, 27, 1))),
            formatDateTime(Date.UTC(2024, 9, 27, 1), "yyyy-MM-dd HH:mm", 480),
          ].join("|"),
        );
      }
    } finally {
      if (before === undefined) delete process.env["TZ"];
      else process.env["TZ"] = before;
    }
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toBe("2024-03-10 02:30:00|2024-03-10 15:30|2024-10-27 09:00:00|2024-10-27 09:00");
  });

  // Instants whose Shanghai wall clock lies within years 0000-9999.
  const instant = fc.integer({
    min: Date.parse("0000-01-01T00:00:00Z"),
    max: Date.parse("9999-12-31T15:59:59.999Z"),
  });

  it("round-trips formatDateTime through date (property)", () => {
    fc.assert(
      fc.property(instant, (ms) => {
        const wall = formatDateTime(ms, "yyyy-MM-dd HH:mm:ss.SSS", SHANGHAI_UTC_OFFSET_MINUTES);
        expect(pipes.date(wall, "yyyy-MM-dd HH:mm:ss.SSS")).toBe(wall);
        expect(pipes.date(wall, "yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss.SSS")).toBe(wall);
        expect(pipes.date(ms, "yyyy-MM-dd HH:mm:ss.SSS")).toBe(wall);
        // The same instant written in UTC with a zone lands on the same Shanghai wall clock.
        const utc = formatDateTime(ms, "yyyy-MM-ddTHH:mm:ss.SSS", 0) + "Z";
        expect(pipes.date(utc, "yyyy-MM-dd HH:mm:ss.SSS")).toBe(wall);
      }),
    );
  });

  it.each([
    ["yyyy''MM", "2024'09"],
    ["'Q'yyyy", "Q2024"],
  ])("formats quoted literals: %j", (format, out) => {
    expect(pipes.date("2024-09-06", format)).toBe(out);
  });

  it("formats the same fields as Date's UTC getters (property)", () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -14 * 60, max: 14 * 60 }), (ms, offset) => {
        const iso = new Date(ms + offset * 60_000).toISOString(); // yyyy-MM-ddTHH:mm:ss.SSSZ for years 0-9999
        fc.pre(!iso.startsWith("-") && !iso.startsWith("+")); // outside 0000-9999 after the offset
        expect(formatDateTime(ms, "yyyy-MM-ddTHH:mm:ss.SSS", offset) + "Z").toBe(iso);
      }),
    );
  });
});

describe("formatDateTime", () => {
  it.each([
    [Date.UTC(2024, 8, 5, 16, 0, 0), "yyyy-MM-dd HH:mm:ss", 480, "2024-09-06 00:00:00"],
    [Date.UTC(2024, 8, 5, 16, 0, 0), "yyyy-MM-dd HH:mm:ss", 0, "2024-09-05 16:00:00"],
    [Date.UTC(2024, 1, 29, 23, 59, 59, 7), "yyyyMMddHHmmssSSS", 0, "20240229235959007"],
    [Date.UTC(2024, 1, 29, 23, 0), "yyyy-MM-dd HH:mm", -60, "2024-02-29 22:00"],
  ])("formatDateTime(%j, %j, %j) = %j", (ms, format, offset, out) => {
    expect(formatDateTime(ms, format, offset)).toBe(out);
  });

  it.each([
    [Number.NaN, "yyyy"],
    [0, "YYYY"],
    [Date.UTC(9999, 11, 31, 20), "yyyy"],
  ])("formatDateTime(%j, %j) throws RangeError", (ms, format) => {
    expect(() => formatDateTime(ms, format, 480)).toThrow(RangeError);
  });
});

describe("ref", () => {
  it.each([
    ["100", "FNumber", { FNumber: "100" }],
    [100, "FNumber", { FNumber: 100 }],
    ["总部", "FName", { FName: "总部" }],
  ])("ref(%j, %j)", (v, key, out) => {
    expect(pipes.ref(v, key)).toEqual(out);
  });

  it("makes an own property even for __proto__", () => {
    const r = pipes.ref("x", "__proto__") as Record<string, unknown>;
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.keys(r)).toEqual(["__proto__"]);
    expect(JSON.stringify(r)).toBe('{"__proto__":"x"}');
  });
});

describe("split / join / unique", () => {
  it.each([
    ["a,b,,c", ",", ["a", "b", "", "c"]],
    ["红色、蓝色", "、", ["红色", "蓝色"]],
    ["", ",", []],
    ["a😀b", "", ["a", "😀", "b"]],
    [123, "2", ["1", "3"]],
    ["a.b", ".", ["a", "b"]], // literal, not a regex
  ])("split(%j, %j) = %j", (v, sep, out) => {
    expect(pipes.split(v, sep)).toEqual(out);
  });

  it.each([
    [["a", "b"], ",", "a,b"],
    [["a", null, undefined, "b"], "-", "a---b"],
    [[1, true, "三"], "/", "1/true/三"],
    [[{ a: 1 }], "", '{"a":1}'],
    [[], ",", ""],
  ])("join(%j, %j) = %j", (v, sep, out) => {
    expect(pipes.join(v, sep)).toBe(out);
  });

  it.each([
    [["b", "a", "b", "c", "a"], ["b", "a", "c"]],
    [[1, "1", 1], [1, "1"]],
    [[Number.NaN, Number.NaN, 0, -0], [Number.NaN, 0]],
    [[-0, 0], [-0]],
    [["货号", "货号"], ["货号"]],
    [[], []],
  ])("unique(%j) = %j", (v, out) => {
    expect(pipes.unique(v)).toEqual(out);
  });

  it.each([
    ["split", () => pipes.split(true, ","), "not text"],
    ["split", () => pipes.split({}, ","), "not text"],
    ["join", () => pipes.join("a,b", ","), "not a list"],
    ["join", () => pipes.join([Symbol("s")], ","), "cannot be made a string"],
    ["join", () => pipes.join([Number.NaN], ","), "not a finite number"],
    ["unique", () => pipes.unique("abc"), "not a list"],
    ["unique", () => pipes.unique({ length: 1 }), "not a list"],
  ])("%s throws %s", (_, f, reason) => {
    expect(pipeError(f).message).toBe(reason);
  });

  it("unique is idempotent and keeps first occurrences (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom("a", "b", "甲", Number.NaN, -0))), (xs) => {
        const once = pipes.unique(xs)!;
        expect(pipes.unique(once)).toEqual(once);
        expect(once.every((x) => xs.some((y) => Object.is(x, y) || (x === 0 && y === 0)))).toBe(true);
        // Order of first occurrence is preserved.
        const firsts = xs.filter((x, i) => xs.findIndex((y) => y === x || (Number.isNaN(x) && Number.isNaN(y))) === i);
        expect(once).toEqual(firsts);
      }),
    );
  });
});

describe("default", () => {
  it.each([
    [null, "x", "x"],
    [undefined, "x", "x"],
    ["", "x", "x"],
    [" ", "x", " "],
    [0, 5, 0],
    [false, true, false],
    ["客户", "x", "客户"],
    [null, null, null],
  ])("default(%j, %j) = %j", (v, d, out) => {
    expect(pipes.default(v, d)).toBe(out);
  });
});

describe("replace", () => {
  it.each([
    ["a-b-c", "-", "_", "a_b_c"],
    ["1.2.3", ".", "", "123"],
    ["a+b", "+", "$&$&", "a$&$&b"], // no replacement patterns
    ["(x)(x)", "(x)", "y", "yy"], // no regex
    ["有限公司有限公司", "有限公司", "", ""],
    ["abc", "", "-", "abc"],
    ["aaa", "aa", "b", "ba"],
    [2024, "0", "o", "2o24"],
  ])("replace(%j, %j, %j) = %j", (v, a, b, out) => {
    expect(pipes.replace(v, a, b)).toBe(out);
  });

  it("refuses non-text", () => {
    expect(pipeError(() => pipes.replace([1], "1", "2")).message).toBe("not text");
  });
});

describe("substr", () => {
  it.each([
    ["管易云ERP", 0, 3, "管易云"],
    ["管易云ERP", 3, undefined, "ERP"],
    ["a😀b😀c", 1, 3, "😀b😀"],
    ["😀😀😀", 2, 5, "😀"],
    ["𠮷野家", 0, 1, "𠮷"], // a CJK character outside the BMP
    ["abcdef", -2, undefined, "ef"],
    ["abcdef", -10, 2, "ab"],
    ["abc", 5, 1, ""],
    ["abc", 1, 0, ""],
    [12345, 1, 2, "23"],
  ])("substr(%j, %j, %j) = %j", (v, start, length, out) => {
    expect(pipes.substr(v, start, length)).toBe(out);
  });

  it.each([
    [() => pipes.substr("abc", 1.5), "substr start must be an integer", 1.5],
    [() => pipes.substr("abc", Number.NaN), "substr start must be an integer", Number.NaN],
    [() => pipes.substr("abc", 0, 1.5), "substr length must be an integer", 1.5],
    [() => pipes.substr("abc", 0, -1), "substr length must not be negative", -1],
    [() => pipes.substr(true, 0), "not text", true],
  ])("throws %s", (f, reason, value) => {
    const e = pipeError(f);
    expect(e.message).toBe(reason);
    expect(e.value).toBe(value);
  });
});

describe("concat", () => {
  it.each([
    ["客户", ["-", "C001"], "客户-C001"],
    ["a", [null, undefined, "b"], "ab"],
    ["n", [1, true], "n1true"],
    [0, ["x"], "0x"],
    ["", [], ""],
  ])("concat(%j, ...%j) = %j", (v, parts, out) => {
    expect(pipes.concat(v, ...parts)).toBe(out);
  });

  it("refuses unconvertible parts", () => {
    expect(pipeError(() => pipes.concat("a", Number.NaN)).message).toBe("not a finite number");
  });
});

describe("the pipes object", () => {
  it("is frozen", () => {
    expect(Object.isFrozen(pipes)).toBe(true);
  });

  it("PipeError carries its value and name", () => {
    const e = new PipeError("not a number", "abc");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("PipeError");
    expect(e.value).toBe("abc");
  });
});
