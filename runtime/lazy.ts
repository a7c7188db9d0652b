import { createRequire } from "node:module";
import type * as Mingo from "mingo";
import type JsonataModule from "jsonata";

/**
 * Libraries only some flows need, loaded on first use: a flow without lookups or JSONata should not
 * pay their start-up time on every scheduled run.
 */
const require = createRequire(import.meta.url);

let mingo: typeof Mingo | undefined;
export function mingoQuery(): typeof Mingo.Query {
  mingo ??= require("mingo") as typeof Mingo;
  return mingo.Query;
}

let jsonataFn: typeof JsonataModule | undefined;
export function jsonata(expression: string): ReturnType<typeof JsonataModule> {
  jsonataFn ??= require("jsonata") as typeof JsonataModule;
  return jsonataFn(expression);
}
