import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, suggest } from "../../compiler/suggest.js";

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
