import { CallError } from "../../runtime/faults.js";
import { quote } from "./answer.js";

/** What to tell the user when the base URL carries what belongs elsewhere. */
export interface BaseUrlHints {
  /** e.g. "https://host[:port][/prefix]". */
  readonly example: string;
  /** Where credentials go instead of `user:password@`. */
  readonly credentials: string;
  /** Why a query or fragment cannot be part of it. */
  readonly query: string;
}

/**
 * Checks a connector's base URL once, so every call can append its path: http(s) only, no
 * `user:password@`, no query or fragment. Never echoes the URL itself, the one place a user might
 * have pasted a secret. Returns origin and path without a trailing slash.
 */
export function checkBaseUrl(system: string, variable: string, raw: string, hints: BaseUrlHints): string {
  const bad = (why: string) => new CallError(system, "credentials", `${variable} ${why}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad(`is not a URL: expected ${hints.example}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw bad(`must start with http:// or https://, not ${quote(url.protocol)}//`);
  if (url.username || url.password) throw bad(`must not carry a user or password${hints.credentials ? `: ${hints.credentials}` : ""}`);
  if (url.search || url.hash) throw bad(`must not have a query or fragment: ${hints.query}`);
  return url.origin + url.pathname.replace(/\/+$/, "");
}
