import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { didYouMean, editDistance, NameIndex, suggest } from "../../compiler/suggest.js";

const SOURCE_FIELDS = ["id", "nick", "code", "name", "create_date", "modify_date", "note", "type_name"];
const TARGET_FIELDS = ["FNumber", "FName", "FCreateOrgId", "FUseOrgId", "FDescription"];
const PIPES = ["trim", "upper", "lower", "string", "number", "int", "round", "date", "ref", "map"];
const CONNECTORS = ["guanyi", "kingdee", "banniu"];
const FORMS = ["BD_Customer", "BD_Supplier", "BD_MATERIAL"];

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["", "abc", 3],
    ["abc", "", 3],
    ["name", "name", 0],
    ["nmae", "name", 1], // adjacent transposition costs one
    ["kitten", "sitting", 3],
    ["ca", "abc", 3], // optimal string alignment: no edits inside a transposed pair
    ["uppr", "upper", 1],
    ["Name", "name", 1], // case-sensitive
    ["名称", "名字", 1], // code points, not UTF-16 units
    ["😀a", "a😀", 1],
  ])("%j → %j is %i", (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });
});

describe("suggest", () => {
  it.each([
    ["nmae", SOURCE_FIELDS, "name"],
    ["FNmae", TARGET_FIELDS, "FName"],
    ["fname", TARGET_FIELDS, "FName"], // case alone
    ["uppr", PIPES, "upper"],
    ["guanyl", CONNECTORS, "guanyi"],
    ["BD_Customr", FORMS, "BD_Customer"],
    ["bd_material", FORMS, "BD_MATERIAL"],
    ["creat_date", SOURCE_FIELDS, "create_date"],
    ["typename", SOURCE_FIELDS, "type_name"],
    ["xyz", SOURCE_FIELDS, undefined],
    ["xyz", ["name"], undefined],
    ["nm", SOURCE_FIELDS, undefined], // two edits are too many for a short word
    ["kingde", CONNECTORS, "kingdee"],
    ["", SOURCE_FIELDS, undefined],
    ["name", ["name"], undefined], // the same text is no suggestion
    ["nam", [], undefined],
  ] as const)("%s among %j → %s", (word, candidates, expected) => {
    expect(suggest(word, candidates)).toBe(expected);
  });

  it.each([
    ["cat", ["bat", "cut", "car"], "bat"],
    ["cat", ["car", "bat"], "car"],
    ["nmae", ["nam", "name"], "name"], // closer wins over earlier
  ])("%s among %j: ties go to iteration order → %s", (word, candidates, expected) => {
    expect(suggest(word, candidates)).toBe(expected);
  });

  it("accepts any iterable", () => {
    expect(suggest("nmae", new Set(SOURCE_FIELDS))).toBe("name");
    expect(suggest("nmae", new Map(SOURCE_FIELDS.map((f) => [f, 1])).keys())).toBe("name");
  });

  it("gives up on absurdly long words instead of spending quadratic time", () => {
    const long = "a".repeat(100_000);
    expect(suggest(long, [long + "b"])).toBeUndefined();
  });
});

describe("didYouMean", () => {
  it.each([
    ["nmae", SOURCE_FIELDS, "did you mean `name`?"],
    ["FNmae", TARGET_FIELDS, "did you mean `FName`?"],
    ["xyz", SOURCE_FIELDS, undefined],
  ] as const)("%s → %s", (word, candidates, expected) => {
    expect(didYouMean(word, candidates)).toBe(expected);
  });
});

describe("NameIndex", () => {
  it("answers as suggest does over short lists", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 30 }), (word, names) => {
        expect(new NameIndex(names).suggest(word)).toBe(suggest(word, names));
      }),
      { numRuns: 300 },
    );
  });

  const LONG = [...Array.from({ length: 10_000 }, (_, i) => `field_${i}`), "create_date", "FNumber"];
  const index = new NameIndex(LONG);

  it.each([
    ["fiedl_77", "field_77"], // two swapped
    ["field_7x7", "field_77"], // one added
    ["create_date", undefined], // the same text
    ["fild_4242", "field_4242"], // one dropped
    ["FIELD_12", "field_12"], // case alone
    ["creat_date", "create_date"],
    ["fnumbr", "FNumber"],
    ["xyz", undefined],
    ["crate_dat", undefined], // two slips: too far for a long list
  ] as const)("over 10,002 names, %s → %s", (word, expected) => {
    expect(index.suggest(word)).toBe(expected);
  });

  it("agrees with suggest on every one-slip misspelling of a long list's names", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: LONG.length - 1 }), fc.integer({ min: 0, max: 30 }), (n, at) => {
        const name = LONG[n] as string;
        const i = at % name.length;
        const word = name.slice(0, i) + "Q" + name.slice(i + 1); // one changed character
        expect(index.suggest(word)).toBe(suggest(word, LONG));
      }),
      { numRuns: 200 },
    );
  });

  it("lists the first names and how many there are", () => {
    expect(index.list(3)).toBe("field_0, field_1, field_2, … (10002 in all)");
    expect(new NameIndex(["a", "b"]).list()).toBe("a, b");
  });
});
