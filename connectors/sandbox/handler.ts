import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultDice } from "./faults.js";

/**
 * One system's emulator inside `ferry sandbox`. All sandboxes share one loopback HTTP server; each
 * answers the paths of its system (Guanyi `/rest/erp_open`, Kingdee `/K3Cloud/…`, Banniu
 * `/gateway/api/miniAPI`), so a client needs only a base URL to talk to either the sandbox or production.
 */
export interface SandboxHandler {
  readonly system: string;
  /** Whether this request belongs to this system (by path). */
  owns(path: string): boolean;
  /** Answers the request. `body` is the whole request body. Never throws: bad requests get the system's own error answer. */
  handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void>;
  /** Counters for tests and `ferry sandbox` output (calls per operation, saves, …). */
  stats(): Record<string, unknown>;
}

export interface SandboxContext {
  /** Seed for generated data. */
  readonly seed: number;
  /** How many records the source systems hold. */
  readonly records: number;
  readonly dice: FaultDice;
  /** The time the sandbox treats as now (ms); tests inject it. */
  readonly now: () => number;
}

/** Fixed credentials the sandboxes accept; `ferry sandbox` prints them as environment variables. */
export const SANDBOX_CREDENTIALS = {
  guanyi: { FERRY_GUANYI_APPKEY: "sandbox-appkey", FERRY_GUANYI_SESSIONKEY: "sandbox-session", FERRY_GUANYI_SECRET: "sandbox-secret" },
  kingdee: {
    FERRY_KINGDEE_ACCT_ID: "sandbox-acct",
    FERRY_KINGDEE_USERNAME: "sandbox-user",
    FERRY_KINGDEE_APP_ID: "sandbox-app_id",
    FERRY_KINGDEE_APP_SECRET: "sandbox-app-secret",
    FERRY_KINGDEE_PASSWORD: "sandbox-password",
    FERRY_KINGDEE_LCID: "2052",
  },
  banniu: { FERRY_BANNIU_APP_KEY: "sandbox-app-key", FERRY_BANNIU_APP_SECRET: "sandbox-app-secret", FERRY_BANNIU_ACCESS_TOKEN: "sandbox-token", FERRY_BANNIU_APP_ID: "sandbox-app" },
} as const;
