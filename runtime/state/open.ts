import { join, resolve } from "node:path";
import { SqliteStateStore } from "./sqlite.js";
import type { StateStore } from "./store.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The folder of the SQLite state: `FERRY_STATE_DIR` (relative to `cwd`) or `<cwd>/.ferry`. */
export function stateDir(env: Env, cwd: string): string {
  // An empty variable is how shells and CI templates say "unset"; it must not mean the cwd itself.
  const dir = env.FERRY_STATE_DIR;
  return dir !== undefined && dir !== "" ? resolve(cwd, dir) : join(cwd, ".ferry");
}

/** The state store cannot be opened: a path that is not a folder, no permission, a damaged or newer database. */
export class StateStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateStoreError";
  }
}

/** Opens the state store the environment selects: SQLite at `<stateDir>/state.db`. */
export function openStateStore(env: Env, cwd: string): StateStore {
  const url = env.FERRY_DATABASE_URL;
  if (url !== undefined && url !== "") {
    throw new StateStoreError("FERRY_DATABASE_URL is set, but the PostgreSQL state store is not available yet; unset it to use SQLite");
  }
  const path = join(stateDir(env, cwd), "state.db");
  try {
    return SqliteStateStore.open(path);
  } catch (error) {
    const e = error as { message?: unknown; code?: unknown };
    const reason = typeof e.message === "string" ? e.message : String(error);
    const code = typeof e.code === "string" && !reason.includes(e.code) ? ` (${e.code})` : "";
    throw new StateStoreError(`cannot open the state store ${path}: ${reason}${code}; FERRY_STATE_DIR chooses its folder`);
  }
}
