/**
 * The seed flows end to end against the sandboxes, with the seeds' own limits: records per second of
 * the real `ferry run` (a child process) against `ferry sandbox`'s emulators (in this process), as a
 * fraction of the ceiling the rate limits set. Banniu's limit (2 calls a second, one task per update)
 * makes its ceiling 2 records/s; Guanyi and Kingdee publish no limits, so that flow has no ceiling
 * and its figure is plain records per second.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { banniuGoods } from "../connectors/banniu/sandbox.js";
import { startSandboxes } from "../connectors/sandbox/server.js";
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../runtime/datetime.js";
import { openStateStore } from "../runtime/state/open.js";
import { runFerry } from "./children.js";

const GOODS = "a97d423e-52f5-3d6f-9f94-39a9f43f2bd5";

interface FlowCase {
  readonly file: string;
  /** Calls per second × rows per call of the limiting side, or null when no limit is published. */
  readonly ceiling: number | null;
}

const CASES: Record<string, FlowCase> = {
  guanyi_shops_to_kingdee_customers: { file: "mappings/guanyi-shops-to-kingdee-customers.map", ceiling: null },
  // Source 2 calls/s × 100 per page; target 2 calls/s × 1 task per update.
  banniu_task_barcodes: { file: "mappings/banniu-task-barcodes.map", ceiling: Math.min(2 * 100, 2 * 1) },
};

export async function benchSeedFlows(root: string): Promise<Record<string, unknown>> {
  const sandboxes = await startSandboxes({ seed: 2, shops: 5000, tasks: 60 });
  const dir = mkdtempSync(join(tmpdir(), "ferry-bench-seed-"));
  try {
    const env = { ...sandboxes.env, FERRY_STATE_DIR: join(dir, "state"), FERRY_CACHE_DIR: join(dir, "cache") };
    const store = openStateStore(env, dir);
    await store.loadCollection(GOODS, banniuGoods(2), true);
    await store.close();
    const from = formatDateTime(Date.now() - 3 * 86_400_000, "yyyy-MM-dd HH:mm:ss", SHANGHAI_UTC_OFFSET_MINUTES);
    const out: Record<string, unknown> = {};
    for (const [name, c] of Object.entries(CASES)) {
      process.stderr.write(`bench: ${name} against the sandboxes…\n`);
      const run = await runFerry(root, { flow: join(root, c.file), args: ["--from", from], cwd: dir, env, rssFile: join(dir, `${name}.rss`), okCodes: [0, 3] });
      const s = run.summary;
      const rps = s.written / (s.elapsedMs / 1000);
      out[name] = {
        read: s.read,
        written: s.written,
        dead_lettered: s.deadLettered,
        elapsed_ms: s.elapsedMs,
        rps: Math.round(rps * 10) / 10,
        ceiling_rps: c.ceiling,
        fraction_of_ceiling: c.ceiling === null ? null : Math.round((rps / c.ceiling) * 1000) / 1000,
        target: c.ceiling === null ? null : 0.9,
        meets_target: c.ceiling === null ? null : rps / c.ceiling >= 0.9,
        calls: Object.fromEntries(s.calls.map((k) => [`${k.system} ${k.operation}`, { calls: k.calls, p95_ms: Math.round(k.p95Ms), rate_limit_wait_ms: Math.round(k.rateLimitWaitMs) }])),
        note: c.ceiling === null ? "no published rate limits: no ceiling" : "rate-limited by the seed's 2 calls a second",
      };
    }
    return out;
  } finally {
    await sandboxes.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
