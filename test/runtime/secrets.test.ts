import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FRAGMENT_CHARS, MASK, SecretMasker, secretsOfEnv } from "../../runtime/secrets.js";

/** Whether `text` holds `FRAGMENT_CHARS` or more consecutive characters of `secret`. */
export function leaks(text: string, secret: string): boolean {
  for (let at = 0; at + FRAGMENT_CHARS <= secret.length; at++) if (text.includes(secret.slice(at, at + FRAGMENT_CHARS))) return true;
  return false;
}

const TOKEN = "sandbox-token-0123456789";

describe("SecretMasker", () => {
  it.each([
    ["a whole secret", `token=${TOKEN}&x=1`, `token=${MASK}&x=1`],
    ["the part of a secret before a cut", `said "…${TOKEN.slice(0, 20)}…"`, `said "…${MASK}…"`],
    ["the part after a cut", `${TOKEN.slice(7)} and more`, `${MASK} and more`],
    ["a fragment of exactly six characters", "x ox-tok y", `x ${MASK} y`],
    ["two fragments apart", `${TOKEN.slice(0, 8)} / ${TOKEN.slice(-8)}`, `${MASK} / ${MASK}`],
    ["its URL-encoded spelling", `a=${encodeURIComponent("p@ss word+secret")}`, `a=${MASK}`],
    ["its JSON-escaped spelling", JSON.stringify({ t: 'say "hi" secret' }), `{"t":"${MASK}"}`],
  ])("masks %s", (_, text, masked) => {
    expect(new SecretMasker([TOKEN, "p@ss word+secret", 'say "hi" secret']).mask(text)).toBe(masked);
  });

  it.each([
    ["five characters of a secret", "x sandb y"],
    ["text without secrets", "nothing to hide here"],
    ["text shorter than a fragment", "sand"],
  ])("leaves %s alone", (_, text) => {
    expect(new SecretMasker([TOKEN]).mask(text)).toBe(text);
  });

  it("masks a secret shorter than a fragment only where it occurs whole, and not in pages", () => {
    const masker = new SecretMasker(["k3y9", "abc"]);
    expect(masker.mask("key k3y9 and k3y")).toBe(`key ${MASK} and k3y`);
    expect(masker.mask("abc")).toBe("abc");
    expect(masker.maskFragments("<b>k3y9</b>")).toBe("<b>k3y9</b>");
  });

  it("skips unset settings and masks nothing when it has no secrets", () => {
    expect(new SecretMasker([undefined, null, ""]).isEmpty).toBe(true);
    expect(SecretMasker.none.mask(TOKEN)).toBe(TOKEN);
    expect(new SecretMasker([]).with([TOKEN]).mask(TOKEN)).toBe(MASK);
  });

  it("takes the values of secret variables from the environment", () => {
    expect(secretsOfEnv({ FERRY_HTTP_TOKEN: " t-123456 ", FERRY_HTTP_URL: "http://x", FERRY_GUANYI_APPKEY: "k-1234", OTHER_TOKEN: "no" })).toEqual([
      " t-123456 ",
      "t-123456",
      "k-1234",
    ]);
  });

  it("never lets 6 consecutive characters of any secret through, wherever it sits in any text", () => {
    const chars = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=:%\"' 中文") });
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 48 }), { minLength: 1, maxLength: 3 }), chars, chars, fc.nat(), (secrets, before, after, cut) => {
        const masker = new SecretMasker(secrets);
        const text = `${before}${secrets.join(before.slice(0, 3))}${after}`;
        const masked = masker.mask(text);
        for (const s of secrets) expect(leaks(masked, s), `${JSON.stringify(s)} in ${JSON.stringify(masked)}`).toBe(false);
        // Cutting after masking cannot bring a fragment back.
        const short = masked.slice(0, cut % (masked.length + 1));
        for (const s of secrets) expect(leaks(short, s)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("leaves every character that is not part of a secret's fragment in place", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 6, maxLength: 30 }), fc.string({ maxLength: 40 }), (secret, text) => {
        fc.pre(!leaks(text, secret) && !text.includes(MASK));
        expect(new SecretMasker([secret]).maskFragments(text)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
