/**
 * What the console reads from the state database, as read-only SQL over the store's own connection.
 * Every text that leaves this module has passed the masker, so no page or metric can forget to.
 * The alerting and data-quality tables (anomalies, …) come from a later migration and may be absent:
 * they are looked up in sqlite_master on every read and their columns discovered, never assumed.
 */
import { describeDrift, type DriftReport } from "../runtime/drift.js";
import type Database from "better-sqlite3";
import { readJson, writeJson } from "../runtime/json.js";
import type { CallStats, DeadLetter, DeadLetterStage, RunRecord } from "../runtime/state/store.js";
import {
  CALL_LATENCY_SQL,
  CALL_TOTALS_SQL,
  toCallStats,
  toDeadLetter,
  toRun,
  type CallLatencyRow,
  type CallTotalsRow,
  type DeadLetterRow,
  type RunRow,
} from "../runtime/state/sqlite.js";
import { MASK, SECRET_KEY, type Masker } from "./security.js";

type Db = Database.Database;

/** One run as the console shows it. */
/** A run as the console shows it: the store's record, with text masked. */
export type RunView = RunRecord;

/** How a flow is doing, worst first: its last run failed, rows need attention, it has not run lately. */
export type Health = "failed" | "dead letters" | "stale" | "ok" | "never run";

/** A flow as the overview shows it: its newest run, health, open dead letters and checkpoint. */
export interface FlowSummary {
  readonly flow: string;
  /** The newest run, whatever its status. */
  readonly lastRun: RunView | null;
  /** The newest run when it is still going. */
  readonly running: RunView | null;
  readonly health: Health;
  readonly openDeadLetters: number;
  readonly checkpoint: string | null;
  readonly runs: number;
}

/** A dead letter as the store reads it, with its texts and payloads masked. */
/** A letter with every failure of its row, oldest first (the letter itself shows the latest). */
export type DeadLetterView = DeadLetter & { readonly attempts: readonly { readonly at: number; readonly stage: string; readonly reason: string; readonly runId: number }[] };

/** Hours in the usage charts. */
export const USAGE_HOURS = 48;
const HOUR_MS = 3_600_000;

/** Calls to one system operation over all flows and runs; p50/p95 over all their attempts. */
export interface OperationUsage extends CallStats {
  /** Calls per clock hour, oldest first; the last entry is the current hour. */
  readonly hourly: readonly number[];
}

/** One flow's calls to one operation over the usage hours (for quota use against the flow's rate). */
export interface FlowOperationUsage {
  readonly flow: string;
  readonly system: string;
  readonly operation: string;
  readonly calls: number;
  readonly busiestHour: number;
  /** Start of the busiest hour, or null without calls. */
  readonly busiestAt: number | null;
}

/** What the API usage page shows: totals per operation and, per flow, the last hours' calls. */
export interface UsageReport {
  /** Start of the first hour of `hourly`. */
  readonly since: number;
  readonly operations: readonly OperationUsage[];
  readonly flows: readonly FlowOperationUsage[];
}

/** Dead letters sharing a flow, stage and reason: a data-quality rule and how often rows broke it. */
export interface QualityGroup {
  readonly flow: string;
  readonly stage: DeadLetterStage;
  readonly reason: string;
  readonly total: number;
  readonly open: number;
  readonly lastAt: number;
}

/** Rows of a table whose columns are discovered at read time (tables of later migrations). */
export interface TableRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** The statuses a run ends with. */
export const FINAL_STATUSES = ["ok", "dead-letters", "failed"] as const;

/** What /metrics exposes, read in one go. */
export interface MetricsSnapshot {
  /** Per flow that has runs, finished runs by final status (every final status, 0 included). */
  readonly runs: readonly { readonly flow: string; readonly status: string; readonly count: number }[];
  /** Per flow that has runs, how many are running now (0 included). */
  readonly running: readonly { readonly flow: string; readonly count: number }[];
  readonly rows: readonly { readonly flow: string; readonly read: number; readonly written: number; readonly unchanged: number; readonly deadLettered: number }[];
  readonly calls: readonly CallStats[];
  readonly openDeadLetters: readonly { readonly flow: string; readonly count: number }[];
  /** Per flow and final status, when a run with that status last ended. */
  readonly lastRuns: readonly { readonly flow: string; readonly status: string; readonly at: number }[];
}

/** Tables of the alerting migration the console shows when they exist. */
export type OptionalTable = "anomalies" | "incidents" | "field_stats" | "notifications";

/** Columns that say when a row happened, in order of preference, for newest-first listings. */
const TIME_COLUMNS = ["detected_at", "created_at", "opened_at", "at", "time", "ts", "updated_at"];

/**
 * Statements are prepared once; `prepare` refuses any that writes, so this module can only read
 * whatever a later edit adds to it.
 */
function readOnly<P extends unknown[], R>(db: Db, sql: string): Database.Statement<P, R> {
  const statement = db.prepare<P, R>(sql);
  if (!statement.readonly) throw new Error(`the console only reads the state database: ${sql}`);
  return statement;
}

function prepareAll(db: Db) {
  return {
    ping: readOnly<[], number>(db, "SELECT 1").pluck(),
    flows: readOnly<[], string>(db, "SELECT flow FROM runs UNION SELECT flow FROM checkpoints UNION SELECT flow FROM dead_letters ORDER BY flow").pluck(),
    lastRuns: readOnly<[], RunRow>(db, "SELECT * FROM runs WHERE id IN (SELECT MAX(id) FROM runs GROUP BY flow)"),
    runCounts: readOnly<[], { flow: string; n: number }>(db, "SELECT flow, COUNT(*) AS n FROM runs GROUP BY flow"),
    openCounts: readOnly<[], { flow: string; n: number }>(db, "SELECT flow, COUNT(*) AS n FROM dead_letters WHERE resolved_at IS NULL GROUP BY flow"),
    checkpoints: readOnly<[], { flow: string; value: string }>(db, "SELECT flow, value FROM checkpoints"),
    run: readOnly<[number], RunRow>(db, "SELECT * FROM runs WHERE id = ?"),
    runsOfFlow: readOnly<[string, number], RunRow>(db, "SELECT * FROM runs WHERE flow = ? ORDER BY id DESC LIMIT ?"),
    openLetters: readOnly<[string, number], DeadLetterRow>(db, "SELECT * FROM dead_letters WHERE flow = ? AND resolved_at IS NULL ORDER BY id LIMIT ?"),
    attempts: readOnly<[number], { at: number; stage: string; reason: string; run_id: number }>(db, "SELECT at, stage, reason, run_id FROM dead_letter_attempts WHERE letter_id = ? ORDER BY rowid"),
    drift: readOnly<[string], { run_id: number; report: string }>(
      db,
      "SELECT d.run_id, d.report FROM run_drift d WHERE d.flow = ? AND d.run_id = (SELECT MAX(id) FROM runs WHERE flow = d.flow AND dry_run = 0 AND status <> 'running')",
    ),
    resolvedLetters: readOnly<[string, number], DeadLetterRow>(
      db,
      "SELECT * FROM dead_letters WHERE flow = ? AND resolved_at IS NOT NULL ORDER BY resolved_at DESC, id DESC LIMIT ?",
    ),
    // The store's own statements, so the console and `ferry status` agree.
    callTotals: readOnly<[string | null, string | null], CallTotalsRow>(db, CALL_TOTALS_SQL),
    callLatency: readOnly<[string | null, string | null], CallLatencyRow>(db, CALL_LATENCY_SQL),
    // A run's calls are dated by its start: call_stats holds per-run totals, not per-call times.
    // The CAST: a bound JS number may arrive as REAL, and a fractional bucket would miss its hour.
    hourly: readOnly<[number, number, number], { system: string; operation: string; flow: string; bucket: number; calls: number }>(
      db,
      `SELECT c.system, c.operation, c.flow, CAST((r.started_at - ?) / ${HOUR_MS} AS INTEGER) AS bucket, SUM(c.calls) AS calls
       FROM call_stats c JOIN runs r ON r.id = c.run_id
       WHERE r.started_at >= ? AND r.started_at < ?
       GROUP BY c.system, c.operation, c.flow, bucket`,
    ),
    quality: readOnly<[string | null, string | null], { flow: string; stage: DeadLetterStage; reason: string; total: number; open: number; last_at: number }>(
      db,
      `SELECT flow, stage, reason, COUNT(*) AS total, SUM(resolved_at IS NULL) AS open, MAX(created_at) AS last_at
       FROM dead_letters WHERE stage IN ('check', 'map') AND (? IS NULL OR flow = ?)
       GROUP BY flow, stage, reason ORDER BY flow, stage, open DESC, total DESC, reason`,
    ),
    // A run counts once it has ended, under the status it ended with: a counter never goes down,
    // and no series stands for a state a run passes through.
    runsByStatus: readOnly<[], { flow: string; status: string; n: number }>(
      db,
      "SELECT flow, status, COUNT(*) AS n FROM runs WHERE status != 'running' GROUP BY flow, status ORDER BY flow, status",
    ),
    runningByFlow: readOnly<[], { flow: string; n: number }>(db, "SELECT flow, SUM(status = 'running') AS n FROM runs GROUP BY flow ORDER BY flow"),
    rowTotals: readOnly<[], { flow: string; read: number; written: number; unchanged: number; dead_lettered: number }>(
      db,
      `SELECT flow, SUM(read) AS read, SUM(written) AS written, SUM(unchanged) AS unchanged, SUM(dead_lettered) AS dead_lettered
       FROM runs WHERE dry_run = 0 GROUP BY flow ORDER BY flow`,
    ),
    lastByStatus: readOnly<[], { flow: string; status: string; at: number }>(
      db,
      "SELECT flow, status, MAX(ended_at) AS at FROM runs WHERE status != 'running' AND ended_at IS NOT NULL GROUP BY flow, status ORDER BY flow, status",
    ),
    tableExists: readOnly<[string], number>(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?").pluck(),
  };
}

/** Read-only queries of the console over an open state database. */
export class ConsoleQueries {
  private readonly st: ReturnType<typeof prepareAll>;

  constructor(
    private readonly db: Db,
    private readonly mask: Masker,
  ) {
    this.st = prepareAll(db);
  }

  /** Whether the database answers (for /healthz). */
  healthy(): boolean {
    try {
      return this.db.open && this.st.ping.get() === 1;
    } catch {
      return false;
    }
  }

  private toRun(r: RunRow): RunView {
    const run = toRun(r);
    return { ...run, flow: this.mask.text(run.flow), error: run.error === null ? null : this.mask.text(run.error) };
  }

  private toLetter(r: DeadLetterRow): DeadLetterView {
    const letter = toDeadLetter(r);
    const mask = this.mask;
    const attempts = this.st.attempts.all(letter.id).map((a) => ({ at: a.at, stage: a.stage, reason: mask.text(a.reason), runId: a.run_id }));
    return { ...letter, flow: mask.text(letter.flow), sourceId: mask.text(letter.sourceId), reason: mask.text(letter.reason), record: mask.value(letter.record), row: mask.value(letter.row), attempts };
  }

  /** How the flow's latest run's records differed from the spec, in one masked line; null when they did not. */
  drift(flow: string): { readonly runId: number; readonly text: string } | null {
    const row = this.st.drift.get(flow);
    if (!row) return null;
    try {
      return { runId: row.run_id, text: this.mask.text(describeDrift(JSON.parse(row.report) as DriftReport)) };
    } catch {
      return null;
    }
  }

  /** Flows with any state, sorted; names as stored (use for lookups, never for display unmasked). */
  flowNames(): string[] {
    return this.st.flows.all();
  }

  /**
   * Every flow with its last run and health. A flow is stale when its newest run started more than
   * `staleAfterMs` before `now`: a schedule that stopped is as much a problem as a run that failed.
   */
  flows(now: number, staleAfterMs: number, only?: string): FlowSummary[] {
    const last = new Map(this.st.lastRuns.all().map((r) => [r.flow, r]));
    const runs = new Map(this.st.runCounts.all().map((r) => [r.flow, r.n]));
    const open = new Map(this.st.openCounts.all().map((r) => [r.flow, r.n]));
    const checkpoints = new Map(this.st.checkpoints.all().map((r) => [r.flow, r.value]));
    const names = this.flowNames().filter((f) => only === undefined || f === only);
    return names.map((flow) => {
      const row = last.get(flow);
      const lastRun = row ? this.toRun(row) : null;
      const openDeadLetters = open.get(flow) ?? 0;
      const checkpoint = checkpoints.get(flow);
      return {
        flow: this.mask.text(flow),
        lastRun,
        running: lastRun?.status === "running" ? lastRun : null,
        health: healthOf(lastRun, openDeadLetters, now, staleAfterMs),
        openDeadLetters,
        checkpoint: checkpoint === undefined ? null : this.mask.text(checkpoint),
        runs: runs.get(flow) ?? 0,
      };
    });
  }

  /** One flow's summary, or undefined when the store knows nothing of it. */
  flow(name: string, now: number, staleAfterMs: number): FlowSummary | undefined {
    return this.flows(now, staleAfterMs, name)[0];
  }

  run(id: number): RunView | undefined {
    const r = this.st.run.get(id);
    return r ? this.toRun(r) : undefined;
  }

  /** Newest first. */
  runs(flow: string, limit: number): RunView[] {
    return this.st.runsOfFlow.all(flow, limit).map((r) => this.toRun(r));
  }

  /** Letters that need attention (oldest first) and the latest replayed ones (newest first). */
  deadLetters(flow: string, limit: number): { readonly open: DeadLetterView[]; readonly resolved: DeadLetterView[] } {
    return {
      open: this.st.openLetters.all(flow, limit).map((r) => this.toLetter(r)),
      resolved: this.st.resolvedLetters.all(flow, Math.min(limit, 50)).map((r) => this.toLetter(r)),
    };
  }

  /** API usage per system and operation, all time, with calls per hour over the last USAGE_HOURS. */
  usage(now: number, flow?: string): UsageReport {
    // Clock hours, so a bar is "14:00–15:00" and not an hour that slides with every page load.
    const since = (Math.floor(now / HOUR_MS) - (USAGE_HOURS - 1)) * HOUR_MS;
    const until = since + USAGE_HOURS * HOUR_MS;
    const hourly = new Map<string, number[]>();
    const perFlow = new Map<string, { flow: string; system: string; operation: string; buckets: number[] }>();
    for (const h of this.st.hourly.all(since, since, until)) {
      if (flow !== undefined && h.flow !== flow) continue;
      const key = JSON.stringify([h.system, h.operation]);
      const bars = hourly.get(key) ?? new Array<number>(USAGE_HOURS).fill(0);
      bars[h.bucket] = (bars[h.bucket] ?? 0) + h.calls;
      hourly.set(key, bars);
      const fkey = JSON.stringify([h.flow, h.system, h.operation]);
      const entry = perFlow.get(fkey) ?? { flow: h.flow, system: h.system, operation: h.operation, buckets: new Array<number>(USAGE_HOURS).fill(0) };
      entry.buckets[h.bucket] = (entry.buckets[h.bucket] ?? 0) + h.calls;
      perFlow.set(fkey, entry);
    }
    const operations = this.calls(flow).map((c) => ({
      ...c,
      system: this.mask.text(c.system),
      operation: this.mask.text(c.operation),
      hourly: hourly.get(JSON.stringify([c.system, c.operation])) ?? new Array<number>(USAGE_HOURS).fill(0),
    }));
    const flows = [...perFlow.values()]
      .map((e) => {
        const busiestHour = Math.max(...e.buckets);
        const at = e.buckets.indexOf(busiestHour);
        return {
          flow: this.mask.text(e.flow),
          system: this.mask.text(e.system),
          operation: this.mask.text(e.operation),
          calls: e.buckets.reduce((a, b) => a + b, 0),
          busiestHour,
          busiestAt: busiestHour > 0 ? since + at * HOUR_MS : null,
        };
      })
      .sort((a, b) => a.flow.localeCompare(b.flow) || a.system.localeCompare(b.system) || a.operation.localeCompare(b.operation));
    return { since, operations, flows };
  }

  /** Rows refused by `check` rules or the mapping, grouped by flow, stage and reason. */
  quality(flow?: string): QualityGroup[] {
    const f = flow ?? null;
    return this.st.quality.all(f, f).map((q) => ({
      flow: this.mask.text(q.flow),
      stage: q.stage,
      reason: this.mask.text(q.reason),
      total: q.total,
      open: q.open,
      lastAt: q.last_at,
    }));
  }

  /** Whether a table of a later migration exists in this database. */
  hasTable(name: OptionalTable): boolean {
    return this.st.tableExists.get(name) === 1;
  }

  /**
   * The newest rows of an optional table (null when it does not exist), columns as found; filtered
   * to `flow` when the table has a `flow` column. Cells are masked like payloads.
   */
  optionalTable(name: OptionalTable, limit: number, flow?: string): TableRows | null {
    if (!this.hasTable(name)) return null;
    // `name` is one of the OptionalTable literals, never a request value, so it may be spliced in.
    const columns = this.db.prepare<[], { name: string }>(`PRAGMA table_info(${name})`).all().map((c) => c.name);
    const byFlow = flow !== undefined && columns.includes("flow");
    const where = byFlow ? "WHERE flow = ?" : "";
    const args = byFlow ? [flow, limit] : [limit];
    const timeColumn = TIME_COLUMNS.find((c) => columns.includes(c));
    let rows: Record<string, unknown>[];
    try {
      const order = timeColumn ? `ORDER BY "${timeColumn}" DESC` : "ORDER BY rowid DESC";
      rows = readOnly<unknown[], Record<string, unknown>>(this.db, `SELECT * FROM ${name} ${where} ${order} LIMIT ?`).all(...args);
    } catch {
      // A WITHOUT ROWID table has no rowid to order by; its rows are then shown in table order.
      rows = readOnly<unknown[], Record<string, unknown>>(this.db, `SELECT * FROM ${name} ${where} LIMIT ?`).all(...args);
    }
    return {
      columns: columns.map((c) => this.mask.text(c)),
      rows: rows.map((r) => columns.map((c) => (SECRET_KEY.test(c) ? MASK : this.cell(r[c])))),
    };
  }

  /** A cell of an optional table: JSON text is masked like a payload, other text like a reason. */
  private cell(value: unknown): unknown {
    if (typeof value === "string") {
      const t = value.trim();
      if (t.startsWith("{") || t.startsWith("[")) {
        try {
          return writeJson(this.mask.value(readJson(t)));
        } catch {
          // not JSON after all: plain text below
        }
      }
      return this.mask.text(value);
    }
    if (Buffer.isBuffer(value)) return `(${value.length} bytes)`;
    return this.mask.value(value);
  }

  /** Calls per system and operation of one flow's runs (or all), latency over all their attempts; names as stored. */
  private calls(flow?: string): CallStats[] {
    const f = flow ?? null;
    return toCallStats(this.st.callTotals.all(f, f), this.st.callLatency.all(f, f));
  }

  /** Everything /metrics exposes. */
  metrics(): MetricsSnapshot {
    const open = new Map(this.st.openCounts.all().map((r) => [r.flow, r.n]));
    const finished = new Map(this.st.runsByStatus.all().map((r) => [JSON.stringify([r.flow, r.status]), r.n]));
    const running = this.st.runningByFlow.all();
    return {
      runs: running.flatMap((r) => FINAL_STATUSES.map((status) => ({ flow: this.mask.text(r.flow), status, count: finished.get(JSON.stringify([r.flow, status])) ?? 0 }))),
      running: running.map((r) => ({ flow: this.mask.text(r.flow), count: r.n })),
      rows: this.st.rowTotals.all().map((r) => ({
        flow: this.mask.text(r.flow),
        read: r.read,
        written: r.written,
        unchanged: r.unchanged,
        deadLettered: r.dead_lettered,
      })),
      calls: this.calls().map((c) => ({ ...c, system: this.mask.text(c.system), operation: this.mask.text(c.operation) })),
      // Every flow gets a sample, 0 included, so an alert on it sees the flow at all.
      openDeadLetters: this.flowNames().map((flow) => ({ flow: this.mask.text(flow), count: open.get(flow) ?? 0 })),
      lastRuns: this.st.lastByStatus.all().map((r) => ({ flow: this.mask.text(r.flow), status: r.status, at: r.at })),
    };
  }
}

/** The health rule of the overview, worst first. */
export function healthOf(lastRun: RunView | null, openDeadLetters: number, now: number, staleAfterMs: number): Health {
  if (lastRun === null) return openDeadLetters > 0 ? "dead letters" : "never run";
  if (lastRun.status === "failed") return "failed";
  if (openDeadLetters > 0) return "dead letters";
  if (now - lastRun.startedAt > staleAfterMs) return "stale";
  return "ok";
}
