import { readFileSync } from "node:fs";
import { join } from "node:path";
import { suggest } from "../compiler/suggest.js";

/** The project file alerts are configured in, in the working folder. */
export const CONFIG_FILE = "ferry.config.json";

/** Webhook payload formats. */
export const TARGET_TYPES = ["dingtalk", "wecom", "feishu", "json"] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

/** Target types whose webhooks can sign requests with a `secret`. */
const SIGNING_TYPES: ReadonlySet<TargetType> = new Set(["dingtalk", "feishu"]);

/**
 * What a rule watches:
 * - `run-failed`: the flow's last run failed;
 * - `dead-letters`: unresolved dead letters over `threshold` (default 0);
 * - `error-rate`: failed attempts (retried or not) over `threshold` % (default 10) of the attempts
 *   to one system operation in the runs that ended in the last `windowMinutes` (default 60);
 * - `no-success`: no successful run for `hours` (default 24);
 * - `quality`: rows that failed a `check` rule in the last run over `threshold` (default 0);
 * - `anomaly`: data-quality anomalies of the last run over `threshold` (default 0);
 * - `row-count`: rows read by the last successful run differ from the median of the 10 before it by
 *   more than `threshold` % (default 50), given at least 3 of them.
 */
export const RULE_KINDS = ["run-failed", "dead-letters", "error-rate", "no-success", "quality", "anomaly", "row-count", "drift"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** Where a webhook goes. `url` and `secret` may be `env:NAME` references, resolved when sending. */
export interface AlertTarget {
  readonly name: string;
  readonly type: TargetType;
  readonly url: string;
  readonly secret: string | null;
}

export interface AlertRule {
  readonly name: string;
  readonly kind: RuleKind;
  /** A flow name, or `*` for every flow with state. */
  readonly flow: string;
  /** The limit the measured value must exceed (a count, or a percent for error-rate and row-count); for no-success, `hours`. */
  readonly threshold: number;
  /** error-rate: the span of runs looked at. */
  readonly windowMinutes: number;
  /** Names of the targets to notify. */
  readonly targets: readonly string[];
}

/** When a run's data counts as a sharp change (see alerts/quality.ts). */
export interface AnomalySettings {
  /** A field's null rate rising by more than this many percentage points. */
  readonly nullRatePoints: number;
  /** A field's empty rate rising by more than this many percentage points. */
  readonly emptyRatePoints: number;
  /** Rows mapped differing from the baseline by more than this percent, up or down. */
  readonly rowCountPercent: number;
  /** Earlier runs the baseline (their median) is taken from. */
  readonly history: number;
  /** Fewer earlier runs than this: no baseline, no anomaly. */
  readonly minHistory: number;
}

export const DEFAULT_ANOMALY_SETTINGS: AnomalySettings = {
  nullRatePoints: 20,
  emptyRatePoints: 20,
  rowCountPercent: 50,
  history: 10,
  minHistory: 3,
};

export interface AlertsConfig {
  readonly targets: readonly AlertTarget[];
  readonly rules: readonly AlertRule[];
  readonly anomalies: AnomalySettings;
}

/** What loading found: no file (`config` null, no errors), a valid file, or errors (one line each). */
export interface LoadedConfig {
  readonly found: boolean;
  readonly config: AlertsConfig | null;
  /** Each line names the file and the path of the mistake, e.g. `ferry.config.json: alerts.rules[2].kind: …`. */
  readonly errors: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const ENV_REF = /^env:(.*)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Which optional keys each kind takes, with their defaults; anything else is a mistake. */
const KIND_KEYS: Readonly<Record<RuleKind, { readonly threshold?: number; readonly windowMinutes?: number; readonly hours?: number }>> = {
  "run-failed": {},
  "dead-letters": { threshold: 0 },
  "error-rate": { threshold: 10, windowMinutes: 60 },
  "no-success": { hours: 24 },
  quality: { threshold: 0 },
  anomaly: { threshold: 0 },
  "row-count": { threshold: 50 },
  drift: {},
};
const PERCENT_KINDS: ReadonlySet<RuleKind> = new Set(["error-rate", "row-count"]);

const TOP_KEYS = ["alerts"];
const ALERTS_KEYS = ["targets", "rules", "anomalies"];
const TARGET_KEYS = ["name", "type", "url", "secret"];
const RULE_KEYS = ["name", "kind", "flow", "threshold", "windowMinutes", "hours", "targets"];
const ANOMALY_KEYS = Object.keys(DEFAULT_ANOMALY_SETTINGS);

/**
 * Reads and validates `ferry.config.json` in `dir`. A missing file means no alerts. With `env`,
 * `env:NAME` references must name a variable that is set (values are not kept: they are read again
 * when sending, so a config object never holds a secret).
 */
export function loadAlertsConfig(dir: string, env?: Env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(join(dir, CONFIG_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { found: false, config: null, errors: [] };
    return { found: true, config: null, errors: [`${CONFIG_FILE}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`] };
  }
  return parseAlertsConfig(text, env);
}

/** Validates the text of a `ferry.config.json`; see {@link loadAlertsConfig}. Every mistake is reported, not only the first. */
export function parseAlertsConfig(text: string, env?: Env, file = CONFIG_FILE): LoadedConfig {
  let json: unknown;
  // Editors on Windows may save a byte-order mark, which JSON.parse refuses; it carries no meaning.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    json = JSON.parse(text);
  } catch {
    return { found: true, config: null, errors: [`${file}: not valid JSON: ${jsonProblem(text)}`] };
  }
  const errors: string[] = [];
  const at = (path: string, message: string) => errors.push(`${file}: ${path ? `${path}: ` : ""}${message}`);
  const config = validate(json, env, at);
  return { found: true, config: errors.length === 0 ? config : null, errors };
}

/**
 * Where and why JSON.parse refused `text`. V8's own message quotes the text around the mistake,
 * which may be a secret, and gives a position only sometimes; this small scanner finds the first
 * mistake itself and names at most one character of the file.
 */
function jsonProblem(text: string): string {
  let i = 0;
  class Stop {
    constructor(readonly problem: string) {}
  }
  const fail = (problem?: string): never => {
    if (problem !== undefined) throw new Stop(problem);
    const c = text[i];
    throw new Stop(c === undefined ? "unexpected end of the file" : `unexpected ${JSON.stringify(c)}`);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const digits = () => {
    const from = i;
    while (i < text.length && (text[i] as string) >= "0" && (text[i] as string) <= "9") i++;
    if (i === from) fail();
  };
  const string = () => {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail("unterminated string");
      if (c === '"') break;
      if ((c as string) < " ") fail("a line break or control character inside a string (write \\n)");
      if (c === "\\") {
        i++;
        const e = text[i];
        if (e === "u") {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? "")) fail("a bad \\u escape in a string");
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) fail("a bad escape in a string");
      }
      i++;
    }
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(text[i] === "}" ? "a comma before }" : undefined);
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      if (c === "-") i++;
      if (text[i] === "0") i++;
      else digits();
      if (text[i] === ".") {
        i++;
        digits();
      }
      if (text[i] === "e" || text[i] === "E") {
        i++;
        if (text[i] === "+" || text[i] === "-") i++;
        digits();
      }
      return;
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return "not valid JSON";
  } catch (stop) {
    if (!(stop instanceof Stop)) throw stop;
    const before = text.slice(0, i).split("\n");
    const column = Array.from(before[before.length - 1] ?? "").length + 1;
    return `${stop.problem} at line ${before.length}, column ${column}`;
  }
}

type At = (path: string, message: string) => void;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const quote = (s: string) => JSON.stringify(s);

function hint(word: string, candidates: readonly string[]): string {
  const match = suggest(word, candidates);
  return match === undefined ? "" : ` (did you mean ${quote(match)}?)`;
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, at: At): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) at(path, `unknown key ${quote(key)}${hint(key, allowed) || `; expected ${allowed.join(", ")}`}`);
  }
}

function validate(json: unknown, env: Env | undefined, at: At): AlertsConfig {
  const empty: AlertsConfig = { targets: [], rules: [], anomalies: DEFAULT_ANOMALY_SETTINGS };
  if (!isObject(json)) {
    at("", "must hold a JSON object, e.g. {\"alerts\": {\"targets\": [], \"rules\": []}}");
    return empty;
  }
  // Other sections may belong to other parts of ferry; only a near miss of "alerts" is a mistake here.
  for (const key of Object.keys(json)) {
    if (!TOP_KEYS.includes(key) && suggest(key, TOP_KEYS) !== undefined) at("", `unknown section ${quote(key)}${hint(key, TOP_KEYS)}`);
  }
  const alerts = json.alerts;
  if (alerts === undefined) return empty;
  if (!isObject(alerts)) {
    at("alerts", "must be an object with \"targets\" and \"rules\"");
    return empty;
  }
  checkKeys(alerts, ALERTS_KEYS, "alerts", at);
  const rawTargets = list(alerts.targets, "alerts.targets", at);
  const targets = rawTargets.map((t, i) => target(t, `alerts.targets[${i}]`, env, at));
  // Names of targets with other mistakes still count, so a rule naming one gets no second error.
  const names = new Set<string>();
  for (const [i, t] of rawTargets.entries()) {
    const name = isObject(t) && typeof t.name === "string" && t.name.trim() !== "" ? t.name : undefined;
    if (name === undefined) continue;
    if (names.has(name)) at(`alerts.targets[${i}].name`, `duplicate target name ${quote(name)}`);
    names.add(name);
  }
  const ruleNames = new Set<string>();
  const rules = list(alerts.rules, "alerts.rules", at).map((r, i) => rule(r, `alerts.rules[${i}]`, [...names], at));
  for (const [i, r] of rules.entries()) {
    if (r === null || r.name === "") continue;
    if (ruleNames.has(r.name)) at(`alerts.rules[${i}].name`, `duplicate rule name ${quote(r.name)}`);
    ruleNames.add(r.name);
  }
  return {
    targets: targets.filter((t): t is AlertTarget => t !== null),
    rules: rules.filter((r): r is AlertRule => r !== null),
    anomalies: anomalySettings(alerts.anomalies, "alerts.anomalies", at),
  };
}

function list(value: unknown, path: string, at: At): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    at(path, "must be an array");
    return [];
  }
  return value;
}

function text(obj: Record<string, unknown>, key: string, path: string, at: At, required: boolean): string | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) at(path, `missing ${quote(key)}`);
    return undefined;
  }
  if (typeof v !== "string" || v.trim() === "") {
    at(`${path}.${key}`, "must be a non-empty string");
    return undefined;
  }
  return v;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string, path: string, at: At): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  at(path, `unknown ${what} ${quote(value)}${hint(value, allowed) || `; expected one of ${allowed.join(", ")}`}`);
  return undefined;
}

/** Checks a value that may be `env:NAME`; the message never repeats the value, which may be a secret. */
function secretish(value: string, path: string, env: Env | undefined, at: At): string | undefined {
  const ref = ENV_REF.exec(value);
  if (!ref) return value;
  const name = ref[1] ?? "";
  if (!ENV_NAME.test(name)) {
    at(path, `${quote(`env:${name}`)} does not name an environment variable (letters, digits and _)`);
    return undefined;
  }
  if (env === undefined) return undefined;
  const resolved = env[name];
  if (resolved === undefined || resolved === "") {
    at(path, `environment variable ${name} is not set`);
    return undefined;
  }
  return resolved;
}

function target(value: unknown, path: string, env: Env | undefined, at: At): AlertTarget | null {
  if (!isObject(value)) {
    at(path, "must be an object with \"name\", \"type\" and \"url\"");
    return null;
  }
  checkKeys(value, TARGET_KEYS, path, at);
  const name = text(value, "name", path, at, true);
  const type = oneOf(text(value, "type", path, at, true), TARGET_TYPES, "type", `${path}.type`, at);
  const url = text(value, "url", path, at, true);
  if (url !== undefined) {
    const resolved = secretish(url, `${path}.url`, env, at);
    if (resolved !== undefined && !isHttpUrl(resolved)) at(`${path}.url`, "must be an http:// or https:// URL");
  }
  const secret = text(value, "secret", path, at, false);
  if (secret !== undefined) {
    if (type !== undefined && !SIGNING_TYPES.has(type)) at(`${path}.secret`, `${type} targets do not sign requests; only dingtalk and feishu take a secret`);
    else secretish(secret, `${path}.secret`, env, at);
  }
  if (name === undefined || type === undefined || url === undefined) return null;
  return { name, type, url, secret: secret ?? null };
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

function numberAt(obj: Record<string, unknown>, key: string, path: string, at: At, min: number, max: number): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    at(`${path}.${key}`, max === Infinity ? `must be a number of at least ${min}` : `must be a number from ${min} to ${max}`);
    return undefined;
  }
  return v;
}

function rule(value: unknown, path: string, targetNames: readonly string[], at: At): AlertRule | null {
  if (!isObject(value)) {
    at(path, "must be an object with \"name\", \"kind\" and \"targets\"");
    return null;
  }
  checkKeys(value, RULE_KEYS, path, at);
  const name = text(value, "name", path, at, true);
  const kind = oneOf(text(value, "kind", path, at, true), RULE_KINDS, "kind", `${path}.kind`, at);
  const flow = text(value, "flow", path, at, false) ?? "*";
  let threshold: number | undefined;
  let windowMinutes: number | undefined;
  let hours: number | undefined;
  if (kind !== undefined) {
    const takes = KIND_KEYS[kind];
    for (const key of ["threshold", "windowMinutes", "hours"] as const) {
      if (value[key] !== undefined && takes[key] === undefined) {
        const which = RULE_KINDS.filter((k) => KIND_KEYS[k][key] !== undefined).map(quote).join(", ");
        at(`${path}.${key}`, `a ${quote(kind)} rule takes no ${key} (only ${which} rules do)`);
      }
    }
    if (takes.threshold !== undefined) threshold = numberAt(value, "threshold", path, at, 0, PERCENT_KINDS.has(kind) ? 100 : Infinity) ?? takes.threshold;
    if (takes.windowMinutes !== undefined) windowMinutes = numberAt(value, "windowMinutes", path, at, 1, Infinity) ?? takes.windowMinutes;
    if (takes.hours !== undefined) hours = numberAt(value, "hours", path, at, 0.01, Infinity) ?? takes.hours;
  }
  const targets: string[] = [];
  const rawTargets = value.targets;
  if (rawTargets === undefined) at(path, `missing "targets" (names from alerts.targets)`);
  else if (!Array.isArray(rawTargets) || rawTargets.length === 0) at(`${path}.targets`, "must be a non-empty array of target names");
  else {
    for (const [i, t] of rawTargets.entries()) {
      if (typeof t !== "string") at(`${path}.targets[${i}]`, "must be a target name (a string)");
      else if (!targetNames.includes(t)) at(`${path}.targets[${i}]`, `unknown target ${quote(t)}${hint(t, targetNames) || (targetNames.length ? `; alerts.targets has ${targetNames.map(quote).join(", ")}` : "; alerts.targets is empty")}`);
      else if (!targets.includes(t)) targets.push(t);
    }
  }
  if (name === undefined || kind === undefined) return null;
  return { name, kind, flow, threshold: kind === "no-success" ? (hours ?? 24) : (threshold ?? 0), windowMinutes: windowMinutes ?? 0, targets };
}

function anomalySettings(value: unknown, path: string, at: At): AnomalySettings {
  if (value === undefined) return DEFAULT_ANOMALY_SETTINGS;
  if (!isObject(value)) {
    at(path, "must be an object");
    return DEFAULT_ANOMALY_SETTINGS;
  }
  checkKeys(value, ANOMALY_KEYS, path, at);
  const d = DEFAULT_ANOMALY_SETTINGS;
  const history = numberAt(value, "history", path, at, 1, 1000) ?? d.history;
  const minHistory = numberAt(value, "minHistory", path, at, 1, 1000) ?? d.minHistory;
  for (const key of ["history", "minHistory"] as const) {
    if (value[key] !== undefined && !Number.isInteger(value[key])) at(`${path}.${key}`, "must be a whole number");
  }
  if (minHistory > history) at(`${path}.minHistory`, `must not exceed history (${history})`);
  return {
    nullRatePoints: numberAt(value, "nullRatePoints", path, at, 0, 100) ?? d.nullRatePoints,
    emptyRatePoints: numberAt(value, "emptyRatePoints", path, at, 0, 100) ?? d.emptyRatePoints,
    rowCountPercent: numberAt(value, "rowCountPercent", path, at, 0, Infinity) ?? d.rowCountPercent,
    history,
    minHistory,
  };
}

/**
 * The value of a target's `url` or `secret`: itself, or for `env:NAME` the variable's value.
 * Throws (without the value) when the variable is not set.
 */
export function resolveSetting(value: string, env: Env, what: string): string {
  const ref = ENV_REF.exec(value);
  if (!ref) return value;
  const resolved = env[ref[1] ?? ""];
  if (resolved === undefined || resolved === "") throw new Error(`${what}: environment variable ${ref[1] ?? ""} is not set`);
  return resolved;
}
