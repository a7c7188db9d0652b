/**
 * The Guanyi shop → Kingdee customer mapping as one JSONata expression, equivalent to the compiled
 * flow and to bench/handwritten.ts: a null or absent note leaves FDescription out (a conditional without
 * `else` yields nothing, and JSONata drops keys whose value is nothing).
 */
export const GUANYI_JSONATA = `{
  "FName": name,
  "FNumber": code,
  "FCreateOrgId": { "FNumber": "100" },
  "FUseOrgId": { "FNumber": "100" },
  "FCustTypeId": { "FNumber": (
    $t := $lookup({ "天猫": "KHLB001_SYS", "京东": "KHLB001_SYS", "门店": "KHLB002_SYS" }, $string(type_name));
    $exists($t) ? $t : "KHLB001_SYS"
  ) },
  "FDescription": note != null ? note
}`;
