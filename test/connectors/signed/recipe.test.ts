import { describe, expect, it } from "vitest";
import { formatPair, signature, type SignRecipe } from "../../../connectors/signed/recipe.js";

/**
 * Vectors published with the systems' own SDKs, not computed by ferry:
 * - Wangdiantong 企业版: the sign guide's example (open.wangdian.cn/open/guide?path=guide_signsf), as
 *   quoted in treelab/wangdiantong-go-sdk client_test.go TestSignRequest.
 * - Jushuitan open platform: ieu/jst-java jst-core/src/test/java/io/github/ieu/jst/DefaultJstDigestTest.java
 *   (also Srien11/jst-purchase-alert tests/test_jushuitan_mapping.py test_official_signature_vector).
 */
const wangdiantong: SignRecipe = { param: "sign", hash: "md5", secret: "FERRY_WDT_APPSECRET", case: "lower", pairs: { format: "{key.length:2}-{key}:{value.length:4}-{value}", join: ";", lengths: "chars" }, text: "{pairs}{secret}" };
const jushuitan: SignRecipe = { param: "sign", hash: "md5", secret: "FERRY_JST_APP_SECRET", case: "lower", pairs: { format: "{key}{value}", join: "", lengths: "chars" }, text: "{secret}{pairs}" };

describe("signed protocol recipes", () => {
  it("reproduce Wangdiantong's published sign example", () => {
    const params = { appkey: "test2-xx", page_no: "0", end_time: "2016-08-01 13:00:00", start_time: "2016-08-01 12:00:00", page_size: "40", sid: "test2", timestamp: "1470042310" };
    expect(signature(wangdiantong, "12345", params)).toBe("ad4e6fe037ea6e3ba4768317be9d1309");
    // The signature itself is never signed.
    expect(signature(wangdiantong, "12345", { ...params, sign: "x" })).toBe("ad4e6fe037ea6e3ba4768317be9d1309");
  });

  it("reproduce Jushuitan's published business and token vectors", () => {
    const secret = "e9c5ca33fecb404b8e6cdbd0ef4a6d25";
    const business = { app_key: "5b53060f23d84ddf9703056e84fa5a2d", access_token: "d7b01bf0842a4742a9450e21ffd95f60", timestamp: "1639128407", version: "2", charset: "utf-8", biz: '{"page_index":"1","page_size":"100","nicks":["老板"]}' };
    expect(signature(jushuitan, secret, business)).toBe("395f5a78b446be465ac03a02491296c7");
    const token = { app_key: "5b53060f23d84ddf9703056e84fa5a2d", timestamp: "1639128407", grant_type: "authorization_code", charset: "utf-8", code: "123456" };
    expect(signature(jushuitan, secret, token)).toBe("05e3a51e19e0883afd1882ccd309e0b9");
  });

  it.each([
    ["chars", "04-name:0004-测试01"],
    ["bytes", "04-name:0008-测试01"],
  ] as const)("count lengths in %s", (lengths, expected) => {
    expect(formatPair("{key.length:2}-{key}:{value.length:4}-{value}", "name", "测试01", lengths)).toBe(expected);
  });

  it("widen a length past its minimum width instead of cutting it", () => {
    expect(formatPair("{value.length:1}", "k", "x".repeat(12), "chars")).toBe("12");
  });
});
