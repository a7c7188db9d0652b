import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_ANOMALY_SETTINGS, loadAlertsConfig, parseAlertsConfig, resolveSetting } from "../../alerts/config.js";

const GOOD = {
  alerts: {
    targets: [
      { name: "ops", type: "dingtalk", url: "https://oapi.dingtalk.com/robot/send?access_token=abc", secret: "env:DING_SECRET" },
      { name: "wx", type: "wecom", url: "env:WECOM_URL" },
      { name: "fs", type: "feishu", url: "https://open.feishu.cn/open-apis/bot/v2/hook/x", secret: "inline-secret" },
      { name: "hook", type: "json", url: "http://127.0.0.1:9000/alerts" },
    ],
    rules: [
      { name: "失败", kind: "run-failed", targets: ["ops"] },
      { name: "letters", kind: "dead-letters", flow: "shops", threshold: 5, targets: ["ops", "wx", "ops"] },
      { name: "errors", kind: "error-rate", threshold: 20, windowMinutes: 15, targets: ["hook"] },
      { name: "stale", kind: "no-success", hours: 6, targets: ["fs"] },
      { name: "checks", kind: "quality", targets: ["ops"] },
      { name: "odd", kind: "anomaly", targets: ["ops"] },
      { name: "volume", kind: "row-count", flow: "*", targets: ["ops"] },
    ],
    anomalies: { nullRatePoints: 30, history: 5 },
  },
  serve: { port: 8080 },
};

const ENV = { DING_SECRET: "s3cr3t", WECOM_URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k" };

describe("parseAlertsConfig: a good file", () => {
  it("reads targets, rules with their defaults, and anomaly settings; leaves other sections alone", () => {
    const loaded = parseAlertsConfig(JSON.stringify(GOOD), ENV);
    expect(loaded.errors).toEqual([]);
    const config = loaded.config!;
    expect(config.targets.map((t) => [t.name, t.type, t.secret])).toEqual([
      ["ops", "dingtalk", "env:DING_SECRET"],
      ["wx", "wecom", null],
      ["fs", "feishu", "inline-secret"],
      ["hook", "json", null],
    ]);
    // References stay references: the config object never holds a secret from the environment.
    expect(JSON.stringify(config)).not.toContain("s3cr3t");
    expect(config.rules.map((r) => [r.name, r.kind, r.flow, r.threshold, r.windowMinutes, r.targets])).toEqual([
      ["失败", "run-failed", "*", 0, 0, ["ops"]],
      ["letters", "dead-letters", "shops", 5, 0, ["ops", "wx"]],
      ["errors", "error-rate", "*", 20, 15, ["hook"]],
      ["stale", "no-success", "*", 6, 0, ["fs"]],
      ["checks", "quality", "*", 0, 0, ["ops"]],
      ["odd", "anomaly", "*", 0, 0, ["ops"]],
      ["volume", "row-count", "*", 50, 0, ["ops"]],
    ]);
    expect(config.anomalies).toEqual({ ...DEFAULT_ANOMALY_SETTINGS, nullRatePoints: 30, history: 5 });
  });

  it.each([
    ["an empty object", "{}"],
    ["an alerts section without rules", '{"alerts": {"targets": []}}'],
    ["a file saved with a byte-order mark", '\ufeff{"alerts": {}}'],
  ])("accepts %s as no rules", (_, text) => {
    expect(parseAlertsConfig(text)).toMatchObject({ found: true, errors: [], config: { targets: [], rules: [] } });
  });

  it("does not check env references without an environment (ferry alerts --check passes it one)", () => {
    expect(parseAlertsConfig(JSON.stringify(GOOD)).errors).toEqual([]);
  });
});

/** A file with one rule and one target, changed by `patch`. */
function withRule(rule: Record<string, unknown>, targets: unknown[] = [{ name: "ops", type: "json", url: "http://h/x" }]): string {
  return JSON.stringify({ alerts: { targets, rules: [{ name: "r", kind: "dead-letters", targets: ["ops"] }, { name: "r1", kind: "run-failed", targets: ["ops"] }, rule] } });
}

describe("parseAlertsConfig: mistakes", () => {
  it.each([
    {
      mistake: "a misspelt kind",
      text: withRule({ name: "x", kind: "run-faild", targets: ["ops"] }),
      errors: ['ferry.config.json: alerts.rules[2].kind: unknown kind "run-faild" (did you mean "run-failed"?)'],
    },
    {
      mistake: "a kind far from any",
      text: withRule({ name: "x", kind: "explode", targets: ["ops"] }),
      errors: ['ferry.config.json: alerts.rules[2].kind: unknown kind "explode"; expected one of run-failed, dead-letters, error-rate, no-success, quality, anomaly, row-count, drift'],
    },
    {
      mistake: "a misspelt key",
      text: withRule({ name: "x", kind: "dead-letters", treshold: 3, targets: ["ops"] }),
      errors: ['ferry.config.json: alerts.rules[2]: unknown key "treshold" (did you mean "threshold"?)'],
    },
    {
      mistake: "a key the kind does not take",
      text: withRule({ name: "x", kind: "run-failed", hours: 3, targets: ["ops"] }),
      errors: ['ferry.config.json: alerts.rules[2].hours: a "run-failed" rule takes no hours (only "no-success" rules do)'],
    },
    {
      mistake: "a threshold that is not a number",
      text: withRule({ name: "x", kind: "dead-letters", threshold: "5", targets: ["ops"] }),
      errors: ["ferry.config.json: alerts.rules[2].threshold: must be a number of at least 0"],
    },
    {
      mistake: "a percent over 100",
      text: withRule({ name: "x", kind: "error-rate", threshold: 150, targets: ["ops"] }),
      errors: ["ferry.config.json: alerts.rules[2].threshold: must be a number from 0 to 100"],
    },
    {
      mistake: "an unknown target",
      text: withRule({ name: "x", kind: "quality", targets: ["opps"] }),
      errors: ['ferry.config.json: alerts.rules[2].targets[0]: unknown target "opps" (did you mean "ops"?)'],
    },
    {
      mistake: "no targets",
      text: withRule({ name: "x", kind: "quality", targets: [] }),
      errors: ["ferry.config.json: alerts.rules[2].targets: must be a non-empty array of target names"],
    },
    {
      mistake: "a missing name and kind",
      text: withRule({ targets: ["ops"] }),
      errors: ['ferry.config.json: alerts.rules[2]: missing "name"', 'ferry.config.json: alerts.rules[2]: missing "kind"'],
    },
    {
      mistake: "a duplicate rule name",
      text: withRule({ name: "r", kind: "quality", targets: ["ops"] }),
      errors: ['ferry.config.json: alerts.rules[2].name: duplicate rule name "r"'],
    },
    {
      mistake: "a misspelt target type",
      text: withRule({ name: "x", kind: "quality", targets: ["ops"] }, [{ name: "ops", type: "dingtlak", url: "http://h/x" }]),
      errors: ['ferry.config.json: alerts.targets[0].type: unknown type "dingtlak" (did you mean "dingtalk"?)'],
    },
    {
      mistake: "a URL that is not http",
      text: withRule({ name: "x", kind: "quality", targets: ["ops"] }, [{ name: "ops", type: "json", url: "ftp://files/secret-token" }]),
      errors: ["ferry.config.json: alerts.targets[0].url: must be an http:// or https:// URL"],
    },
    {
      mistake: "a secret on a target that cannot sign",
      text: withRule({ name: "x", kind: "quality", targets: ["ops"] }, [{ name: "ops", type: "wecom", url: "http://h/x", secret: "s" }]),
      errors: ["ferry.config.json: alerts.targets[0].secret: wecom targets do not sign requests; only dingtalk and feishu take a secret"],
    },
    {
      mistake: "a duplicate target name",
      text: withRule({ name: "x", kind: "quality", targets: ["ops"] }, [{ name: "ops", type: "json", url: "http://h/x" }, { name: "ops", type: "json", url: "http://h/y" }]),
      errors: ['ferry.config.json: alerts.targets[1].name: duplicate target name "ops"'],
    },
    {
      mistake: "an env reference to an unset variable",
      text: withRule({ name: "x", kind: "quality", targets: ["ops"] }, [{ name: "ops", type: "dingtalk", url: "env:DING_URL", secret: "env:DING_SECRET" }]),
      errors: ["ferry.config.json: alerts.targets[0].url: environment variable DING_URL is not set", "ferry.config.json: alerts.targets[0].secret: environment variable DING_SECRET is not set"],
    },
    {
      mistake: "an env reference that names no variable",
      text: withRule({ name: "x", kind: "quality", targets: ["ops"] }, [{ name: "ops", type: "json", url: "env:1-bad" }]),
      errors: ['ferry.config.json: alerts.targets[0].url: "env:1-bad" does not name an environment variable (letters, digits and _)'],
    },
    {
      mistake: "rules that are not an array",
      text: '{"alerts": {"targets": [], "rules": {}}}',
      errors: ["ferry.config.json: alerts.rules: must be an array"],
    },
    {
      mistake: "a misspelt section",
      text: '{"alrets": {}}',
      errors: ['ferry.config.json: unknown section "alrets" (did you mean "alerts"?)'],
    },
    {
      mistake: "a misspelt key of alerts",
      text: '{"alerts": {"targets": [], "rule": []}}',
      errors: ['ferry.config.json: alerts: unknown key "rule" (did you mean "rules"?)'],
    },
    {
      mistake: "bad anomaly settings",
      text: '{"alerts": {"anomalies": {"history": 2, "minHistory": 3, "nullRate": 1}}}',
      errors: [
        'ferry.config.json: alerts.anomalies: unknown key "nullRate"; expected nullRatePoints, emptyRatePoints, rowCountPercent, history, minHistory',
        "ferry.config.json: alerts.anomalies.minHistory: must not exceed history (2)",
      ],
    },
    {
      mistake: "a file that is not an object",
      text: "[]",
      errors: ['ferry.config.json: must hold a JSON object, e.g. {"alerts": {"targets": [], "rules": []}}'],
    },
    {
      mistake: "broken JSON",
      text: '{\n  "alerts": {\n    "rules": [,]\n  }\n}',
      errors: ['ferry.config.json: not valid JSON: unexpected "," at line 3, column 15'],
    },
    {
      mistake: "a trailing comma in an object",
      text: '{"alerts": {"rules": [],}}',
      errors: ["ferry.config.json: not valid JSON: a comma before } at line 1, column 25"],
    },
    {
      mistake: "an unterminated string (without quoting it: it may be a secret)",
      text: '{"alerts": {"targets": [{"secret": "SEC-very-secret',
      errors: ["ferry.config.json: not valid JSON: unterminated string at line 1, column 52"],
    },
    {
      mistake: "a line break in a string",
      text: '{"a": "x\ny"}',
      errors: ["ferry.config.json: not valid JSON: a line break or control character inside a string (write \\n) at line 1, column 9"],
    },
    {
      mistake: "a missing end",
      text: '{"alerts": {}',
      errors: ["ferry.config.json: not valid JSON: unexpected end of the file at line 1, column 14"],
    },

  ])("reports $mistake", ({ text, errors }) => {
    const loaded = parseAlertsConfig(text, {});
    expect(loaded.config).toBeNull();
    expect(loaded.errors).toEqual(errors);
  });

  it("reports every mistake at once, and never repeats a secret", () => {
    const text = JSON.stringify({
      alerts: {
        targets: [{ name: "ops", type: "json", url: "ftp://token-XYZ@host", secret: "very-secret" }],
        rules: [{ name: "a", kind: "run-faild", targets: ["ops"] }, { name: "b", kind: "quality", targets: ["nope"] }],
      },
    });
    const { errors } = parseAlertsConfig(text, {});
    expect(errors).toHaveLength(4);
    expect(errors.join("\n")).not.toMatch(/token-XYZ|very-secret/);
  });
});

describe("loadAlertsConfig", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("means no alerts when the file is missing", () => {
    dir = mkdtempSync(join(tmpdir(), "ferry-config-"));
    expect(loadAlertsConfig(dir)).toEqual({ found: false, config: null, errors: [] });
  });

  it("reads ferry.config.json from the folder", () => {
    dir = mkdtempSync(join(tmpdir(), "ferry-config-"));
    writeFileSync(join(dir, "ferry.config.json"), JSON.stringify(GOOD));
    expect(loadAlertsConfig(dir, ENV)).toMatchObject({ found: true, errors: [], config: { rules: expect.any(Array) } });
  });
});

describe("resolveSetting", () => {
  it.each([
    ["a plain value", "http://h/x", {}, "http://h/x"],
    ["an env reference", "env:URL", { URL: "http://h/y" }, "http://h/y"],
  ])("resolves %s", (_, value, env, expected) => {
    expect(resolveSetting(value, env, "target")).toBe(expected);
  });

  it("names the variable, not a value, when it is missing", () => {
    expect(() => resolveSetting("env:MISSING", { MISSING: "" }, 'target "ops" secret')).toThrow('target "ops" secret: environment variable MISSING is not set');
  });
});
