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

/** Opens the state store the environment selects: SQLite at `<stateDir>/state.db`. */
export function openStateStore(env: Env, cwd: string): StateStore {
  const url = env.FERRY_DATABASE_URL;
  if (url !== undefined && url !== "") {
    throw new Error("FERRY_DATABASE_URL is set, but the PostgreSQL state store is not available yet; unset it to use SQLite");
  }
  return SqliteStateStore.open(join(stateDir(env, cwd), "state.db"));
}
