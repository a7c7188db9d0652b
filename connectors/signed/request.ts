/**
 * Building one request of the `signed` protocol from a spec's recipe: the common params, the
 * business params (flat or as one JSON text), the signature, and the body or query as sent. The
 * client sends what this builds; the sandbox rebuilds the signature from what it received with the
 * same recipe, which published SDK vectors pin (test/connectors/signed/recipe.test.ts).
 */
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";
import { signature, wireText, type CommonParam, type SignRecipe, type WireRecipe } from "./recipe.js";

/** A request ready to send. */
export interface BuiltRequest {
  readonly method: "GET" | "POST";
  /** Path and query after the base URL. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** Every param sent, as text, the signature included. */
  readonly params: Readonly<Record<string, string>>;
}

/** The value of a common param at `now`. */
export function commonValue(param: CommonParam, wireName: string, env: (name: string) => string, now: number): string {
  if ("variable" in param) return env(param.variable);
  if ("value" in param) return param.value;
  if ("operation" in param) return wireName;
  switch (param.clock) {
    case "epoch-seconds":
      return String(Math.floor(now / 1000));
    case "epoch-millis":
      return String(now);
    default:
      return formatDateTime(now, param.clock, SHANGHAI_UTC_OFFSET_MINUTES);
  }
}

/** Whether a business value is sent: systems refuse empty params (Wangdiantong) or sign them differently. */
function sent(value: unknown): boolean {
  return value !== null && value !== undefined && value !== "";
}

/**
 * The params of a call, in the order they are written: common params, then the business params
 * (or the one JSON param holding them).
 */
export function requestParams(wire: WireRecipe, wireName: string, business: Readonly<Record<string, unknown>>, env: (name: string) => string, now: number): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, param] of Object.entries(wire.params)) params[name] = commonValue(param, wireName, env, now);
  const own = Object.fromEntries(Object.entries(business).filter(([, v]) => sent(v)));
  if (wire.business === "flat") {
    for (const [name, value] of Object.entries(own)) params[name] = wireText(value);
  } else {
    params[wire.business.json] = JSON.stringify(own, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }
  return params;
}

/** The params and body as sent for `encoding`, signed when the recipe says so. */
export function buildRequest(wire: WireRecipe, method: "GET" | "POST", wireName: string, params: Record<string, string>, secret: string | undefined, bearer: string | undefined): BuiltRequest {
  const path = wire.endpoint.replace("{operation}", wireName);
  const headers: Record<string, string> = { accept: "application/json" };
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  const sign = wire.sign;
  const signed = (body: string): Record<string, string> => (sign && secret !== undefined ? { ...params, [sign.param]: signature(sign, secret, params, body) } : params);
  if (wire.encoding === "json") {
    // The signature covers the body as sent without it, then rides as the body's last key.
    const unsigned = JSON.stringify(params);
    const all = signed(unsigned);
    headers["content-type"] = "application/json; charset=utf-8";
    return { method: "POST", path, headers, body: JSON.stringify(all), params: all };
  }
  const all = signed("");
  const encoded = new URLSearchParams(all).toString();
  if (wire.encoding === "query" || method === "GET") return { method, path: `${path}${path.includes("?") ? "&" : "?"}${encoded}`, headers, body: method === "GET" ? undefined : "", params: all };
  headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
  return { method: "POST", path, headers, body: encoded, params: all };
}

/** Whether `given` is the signature the recipe gives for `params` (and `body` for json bodies). */
export function verifySignature(sign: SignRecipe, secret: string, params: Readonly<Record<string, string>>, body: string): boolean {
  const given = params[sign.param];
  if (given === undefined) return false;
  return signature(sign, secret, params, body) === given;
}
