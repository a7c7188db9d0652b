import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { Histogram } from "../call-meter.js";
import { storableJson } from "./storable.js";
import { readJson } from "../json.js";
import type {
  Anomaly,
  AnomalyInput,
  AnomalyKind,
  CallStats,
  CommitUnit,
  DeadLetter,
  DeadLetterAttempt,
  DeadLetterStage,
  FieldHistoryEntry,
  FieldStat,
  FlowCallStats,
  FlowLock,
  Incident,
  IncidentInput,
  LatencyHistogram,
  NotificationEvent,
  NotificationInput,
  NotificationRecord,
  PendingWrite,
  RunCounts,
  RunRecord,
  RunsFilter,
  RunStatus,
  StateStore,
  WrittenEntry,
} from "./store.js";

type Db = Database.Database;

/**
 * Schema migrations: entry i takes the database from version i to i + 1 (PRAGMA user_version).
 * Append new steps; never edit a released one, databases in the field have already run it.
 *
 * The write record holds one row per source id with two parts, because a source id can have both:
 * the done part (target_id, hash, …: what the target last confirmed, which `written` answers and
 * `idcheck` compares against; NULL hash = never confirmed) and the pending part (pending_*: a newer
 * write in flight, which `pending` answers; NULL pending_hash = none). One row rather than a row per
 * state makes markPending and commit one in-place upsert per source id instead of an insert, then a
 * delete and an upsert: about 30% faster on the hot path. The partial index is the (flow, state)
 * index for `pending(flow)`: it holds only rows with a write in flight, so it stays tiny.
 *
 * Step 2 (data quality and alerts): `field_stats` per run and target field; `anomalies`, unique per
 * run, kind and field (an expression index, as row-count anomalies have no field) so detection can
 * run again over the same run without adding anything; `incidents`, with a partial unique index
 * that allows one open incident per key, so two processes evaluating at once cannot open two; and
 * `notifications`, the delivery ledger, which says per target whether a notice was delivered.
 *
 * Step 4 (call stats that tell failures and latency apart): `failed_attempts`, attempts that failed
 * whether retried or not, next to `errors` (calls that failed after their retries). Until then every
 * retry followed a failed attempt and every failed call ended with one, so the backfill
 * retries + errors is exact. `latency` holds the run's histogram of attempt latencies, its buckets
 * as JSON (`{"<upper bound µs>": count, …}`), and `latency_sum_ms`/`_min_ms`/`_max_ms` its sum and
 * extremes, so percentiles over any set of runs come from merged buckets. `call_latency` holds those
 * buckets merged over every run of a flow, kept in step by recordCalls in the same transaction, so
 * the all-time percentiles the console and `ferry status` show read a few hundred rows, not a
 * histogram per run ever made. Older runs have no histogram (NULL) and add nothing to latencies.
 *
 * Step 6: `run_drift`, per run, how the records read differed from the spec (fields it lacks, fields
 * that never came, changes of kind), as JSON: only runs that found drift have a row.
 *
 * Step 5: `flow_locks.started`, the holder's process start time, so a pid reused after a crash is
 * not taken for the holder; `dead_letter_attempts`, every failure of a letter's row (the letter
 * itself keeps the latest), filled with one attempt per existing letter.
 */
const MIGRATIONS: readonly ((db: Db) => void)[] = [
  (db) =>
    db.exec(`
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        flow TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'dead-letters', 'failed')),
        dry_run INTEGER NOT NULL,
        error TEXT,
        read INTEGER NOT NULL DEFAULT 0,
        written INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        dead_lettered INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX runs_flow ON runs (flow, id);

      CREATE TABLE checkpoints (
        flow TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs (id),
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE write_record (
        flow TEXT NOT NULL,
        source_id TEXT NOT NULL,
        target_id TEXT,
        hash TEXT,
        key TEXT,
        run_id INTEGER REFERENCES runs (id),
        updated_at INTEGER,
        pending_target_id TEXT,
        pending_hash TEXT,
        pending_key TEXT,
        pending_row TEXT,
        pending_run_id INTEGER REFERENCES runs (id),
        pending_at INTEGER,
        PRIMARY KEY (flow, source_id),
        CHECK (hash IS NOT NULL OR pending_hash IS NOT NULL)
      );
      CREATE INDEX write_record_pending ON write_record (flow) WHERE pending_hash IS NOT NULL;

      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        flow TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs (id),
        source_id TEXT NOT NULL,
        stage TEXT NOT NULL CHECK (stage IN ('map', 'check', 'write')),
        reason TEXT NOT NULL,
        record TEXT,
        row TEXT,
        created_at INTEGER NOT NULL,
        resolved_at INTEGER
      );
      CREATE INDEX dead_letters_open ON dead_letters (flow, resolved_at);
      CREATE INDEX dead_letters_source ON dead_letters (flow, source_id) WHERE resolved_at IS NULL;

      CREATE TABLE call_stats (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        flow TEXT NOT NULL,
        system TEXT NOT NULL,
        operation TEXT NOT NULL,
        calls INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        retries INTEGER NOT NULL,
        total_ms REAL NOT NULL,
        p50_ms REAL NOT NULL,
        p95_ms REAL NOT NULL,
        rate_limit_wait_ms REAL NOT NULL,
        PRIMARY KEY (run_id, system, operation)
      );
      CREATE INDEX call_stats_flow ON call_stats (flow);

      CREATE TABLE collections (
        name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (name, seq)
      );
    `),
  (db) =>
    db.exec(`
      CREATE TABLE field_stats (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        flow TEXT NOT NULL,
        field TEXT NOT NULL,
        rows INTEGER NOT NULL,
        nulls INTEGER NOT NULL,
        empties INTEGER NOT NULL,
        PRIMARY KEY (run_id, field)
      );
      CREATE INDEX field_stats_flow ON field_stats (flow, run_id);

      CREATE TABLE anomalies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES runs (id),
        flow TEXT NOT NULL,
        field TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('null-rate', 'empty-rate', 'row-count')),
        value REAL NOT NULL,
        baseline REAL NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX anomalies_once ON anomalies (run_id, kind, COALESCE(field, ''));
      CREATE INDEX anomalies_flow ON anomalies (flow, id);

      CREATE TABLE incidents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        rule TEXT NOT NULL,
        flow TEXT NOT NULL,
        detail TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        resolved_at INTEGER,
        notified_at INTEGER,
        resolve_notified_at INTEGER
      );
      CREATE UNIQUE INDEX incidents_open ON incidents (key) WHERE resolved_at IS NULL;

      CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        target TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('firing', 'resolved')),
        attempts INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        error TEXT,
        at INTEGER NOT NULL
      );
      CREATE INDEX notifications_incident ON notifications (incident_id, id);
    `),
  (db) =>
    db.exec(`
      CREATE TABLE flow_locks (
        flow TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        since INTEGER NOT NULL,
        beat INTEGER NOT NULL
      );
    `),
  (db) =>
    db.exec(`
      ALTER TABLE call_stats ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
      UPDATE call_stats SET failed_attempts = retries + errors;
      ALTER TABLE call_stats ADD COLUMN latency TEXT;
      ALTER TABLE call_stats ADD COLUMN latency_sum_ms REAL;
      ALTER TABLE call_stats ADD COLUMN latency_min_ms REAL;
      ALTER TABLE call_stats ADD COLUMN latency_max_ms REAL;
      CREATE TABLE call_latency (
        flow TEXT NOT NULL,
        system TEXT NOT NULL,
        operation TEXT NOT NULL,
        up_to_us INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (flow, system, operation, up_to_us)
      ) WITHOUT ROWID;
    `),
  (db) =>
    db.exec(`
      ALTER TABLE flow_locks ADD COLUMN started TEXT;

      CREATE TABLE dead_letter_attempts (
        letter_id INTEGER NOT NULL REFERENCES dead_letters (id),
        at INTEGER NOT NULL,
        stage TEXT NOT NULL CHECK (stage IN ('map', 'check', 'write')),
        reason TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs (id)
      );
      CREATE INDEX dead_letter_attempts_letter ON dead_letter_attempts (letter_id);
      INSERT INTO dead_letter_attempts (letter_id, at, stage, reason, run_id)
        SELECT id, created_at, stage, reason, run_id FROM dead_letters ORDER BY id;
    `),
  (db) =>
    db.exec(`
      CREATE TABLE run_drift (
        run_id INTEGER PRIMARY KEY REFERENCES runs (id),
        flow TEXT NOT NULL,
        report TEXT NOT NULL
      );
      CREATE INDEX run_drift_flow ON run_drift (flow, run_id);
    `),
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to SCHEMA_VERSION; refuses a database written by a newer ferry. */
function migrate(db: Db): void {
  db.transaction(() => {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `state database ${db.name} has schema version ${current}, but this ferry knows only up to ${SCHEMA_VERSION}; upgrade ferry`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) MIGRATIONS[v]?.(db);
    // PRAGMA takes no bound parameters; the value is our own integer.
    if (current !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Rows larger than this many ids go to several `written` statements; SQLite caps bound variables. */
const IN_CHUNK = 500;

/** Options of {@link SqliteStateStore.open}. */
export interface SqliteStoreOptions {
  /** The clock for times the interface does not pass in (commit, dead letters). Default `Date.now`. */
  readonly now?: () => number;
}

/** A `runs` row as SQLite returns it (the console reads the same table). */
export interface RunRow {
  id: number;
  flow: string;
  started_at: number;
  ended_at: number | null;
  status: RunStatus;
  dry_run: number;
  error: string | null;
  read: number;
  written: number;
  unchanged: number;
  dead_lettered: number;
}

interface EntryRow {
  source_id: string;
  target_id: string | null;
  hash: string;
  key: string | null;
  row: string | null;
  updated_at: number;
}

/** A `dead_letters` row as stored (the console reads it too). */
export interface DeadLetterRow {
  id: number;
  flow: string;
  run_id: number;
  source_id: string;
  stage: DeadLetterStage;
  reason: string;
  record: string | null;
  row: string | null;
  created_at: number;
  resolved_at: number | null;
}

/** Call totals of one system operation (and flow, for the per-flow queries), as summed by SQL. */
export interface CallTotalsRow {
  flow?: string;
  system: string;
  operation: string;
  calls: number;
  errors: number;
  retries: number;
  failed_attempts: number;
  total_ms: number;
  rate_limit_wait_ms: number;
  latency_sum_ms: number | null;
  latency_min_ms: number | null;
  latency_max_ms: number | null;
}

/** One merged latency bucket of one system operation (and flow). */
export interface CallLatencyRow {
  flow?: string;
  system: string;
  operation: string;
  up_to_us: number;
  count: number;
}

const TOTALS = `SUM(c.calls) AS calls, SUM(c.errors) AS errors, SUM(c.retries) AS retries,
  SUM(c.failed_attempts) AS failed_attempts, SUM(c.total_ms) AS total_ms, SUM(c.rate_limit_wait_ms) AS rate_limit_wait_ms,
  SUM(c.latency_sum_ms) AS latency_sum_ms, MIN(c.latency_min_ms) AS latency_min_ms, MAX(c.latency_max_ms) AS latency_max_ms`;

/**
 * Call totals per system and operation over one flow's runs, or every run when both parameters
 * are null; with {@link CALL_LATENCY_SQL} (same parameters) for the merged latency buckets. The
 * console reads the same statements, so both show the same numbers.
 */
export const CALL_TOTALS_SQL = `SELECT c.system, c.operation, ${TOTALS}
  FROM call_stats c WHERE (? IS NULL OR c.flow = ?) GROUP BY c.system, c.operation ORDER BY c.system, c.operation`;
export const CALL_LATENCY_SQL = `SELECT system, operation, up_to_us, SUM(count) AS count
  FROM call_latency WHERE (? IS NULL OR flow = ?) GROUP BY system, operation, up_to_us`;
/** Per flow, system and operation, over the runs that ended at or after the parameter. */
const CALLS_SINCE_SQL = `SELECT c.flow, c.system, c.operation, ${TOTALS}
  FROM call_stats c JOIN runs r ON r.id = c.run_id WHERE r.ended_at >= ?
  GROUP BY c.flow, c.system, c.operation ORDER BY c.flow, c.system, c.operation`;
const LATENCY_SINCE_SQL = `SELECT c.flow, c.system, c.operation, CAST(b.key AS INTEGER) AS up_to_us, SUM(b.value) AS count
  FROM call_stats c JOIN runs r ON r.id = c.run_id, json_each(c.latency) b WHERE r.ended_at >= ?
  GROUP BY c.flow, c.system, c.operation, up_to_us`;

/**
 * Call stats from SQL totals and merged latency buckets: the percentiles are computed over every
 * attempt of the runs summed, not taken from any one run.
 */
export function toCallStats(totals: readonly CallTotalsRow[], latency: readonly CallLatencyRow[]): CallStats[] {
  const key = (r: { flow?: string; system: string; operation: string }) => JSON.stringify([r.flow ?? null, r.system, r.operation]);
  const buckets = new Map<string, [number, number][]>();
  for (const b of latency) {
    const list = buckets.get(key(b)) ?? [];
    list.push([b.up_to_us, b.count]);
    buckets.set(key(b), list);
  }
  return totals.map((t) => {
    const histogram = Histogram.of({
      sumMs: t.latency_sum_ms ?? 0,
      ...(t.latency_min_ms === null ? {} : { minMs: t.latency_min_ms }),
      ...(t.latency_max_ms === null ? {} : { maxMs: t.latency_max_ms }),
      buckets: (buckets.get(key(t)) ?? []).sort((a, b) => a[0] - b[0]),
    });
    return {
      ...(t.flow === undefined ? {} : { flow: t.flow }),
      system: t.system,
      operation: t.operation,
      calls: t.calls,
      errors: t.errors,
      retries: t.retries,
      failedAttempts: t.failed_attempts,
      totalMs: t.total_ms,
      p50Ms: histogram.quantile(0.5),
      p95Ms: histogram.quantile(0.95),
      rateLimitWaitMs: t.rate_limit_wait_ms,
      latency: histogram.toStored(),
    };
  });
}

/** The buckets of a histogram as the `latency` column stores them. */
function bucketsJson(latency: LatencyHistogram): string {
  const buckets: Record<string, number> = {};
  for (const [upToUs, count] of latency.buckets) buckets[String(upToUs)] = count;
  return JSON.stringify(buckets);
}

/** Stored buckets back as pairs; a damaged value counts as none. */
function bucketsOf(text: string | null | undefined): [number, number][] {
  const value = text ? fromJson(text) : null;
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => (typeof v === "number" ? [[Number(k), v] as [number, number]] : []));
}

interface FieldHistoryRow {
  run_id: number;
  started_at: number;
  field: string;
  rows: number;
  nulls: number;
  empties: number;
}

interface AnomalyRow {
  id: number;
  run_id: number;
  flow: string;
  field: string | null;
  kind: AnomalyKind;
  value: number;
  baseline: number;
  created_at: number;
}

interface IncidentRow {
  id: number;
  key: string;
  rule: string;
  flow: string;
  detail: string;
  opened_at: number;
  resolved_at: number | null;
  notified_at: number | null;
  resolve_notified_at: number | null;
}

interface NotificationRow {
  id: number;
  incident_id: number;
  target: string;
  event: NotificationEvent;
  attempts: number;
  ok: number;
  error: string | null;
  at: number;
}

/** A run that finished without failing and wrote for real: what "a successful run" means to alerts. */
const SUCCEEDED = "status IN ('ok', 'dead-letters') AND dry_run = 0";
/** A run that mapped rows through the flow and so has field stats: a `ferry run`, not a replay. */
const MAPPED = "EXISTS (SELECT 1 FROM field_stats WHERE field_stats.run_id = runs.id)";

interface LockRow {
  token: string;
  pid: number;
  host: string;
  since: number;
  beat: number;
  started: string | null;
}

function toLock(r: LockRow): FlowLock {
  const { started, ...lock } = r;
  return started === null ? lock : { ...lock, started };
}

/** Stored JSON back as a value; text that is not JSON (a damaged row) comes back as the text itself. */
function fromJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return readJson(text);
  } catch {
    return text;
  }
}

/** Flows of a table through a loose index scan: one seek per distinct flow, not a scan of every row. */
function distinctFlows(table: string): string {
  return `SELECT flow FROM (
    WITH RECURSIVE f(flow) AS (
      SELECT MIN(flow) FROM ${table}
      UNION ALL
      SELECT (SELECT MIN(flow) FROM ${table} WHERE flow > f.flow) FROM f WHERE f.flow IS NOT NULL
    ) SELECT flow FROM f WHERE flow IS NOT NULL)`;
}

function prepareAll(db: Db) {
  return {
    flowLock: db.prepare<[string], LockRow>("SELECT token, pid, host, since, beat, started FROM flow_locks WHERE flow = ?"),
    takeFlowLock: db.prepare<[string, string, number, string, number, number, string | null]>(
      "INSERT OR REPLACE INTO flow_locks (flow, token, pid, host, since, beat, started) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    beatFlowLock: db.prepare<[number, string, string]>("UPDATE flow_locks SET beat = ? WHERE flow = ? AND token = ?"),
    dropFlowLock: db.prepare<[string, string]>("DELETE FROM flow_locks WHERE flow = ? AND token = ?"),
    startRun: db.prepare<[string, number, number]>(
      "INSERT INTO runs (flow, started_at, status, dry_run) VALUES (?, ?, 'running', ?)",
    ),
    progressRun: db.prepare<[number, number, number, number, number]>(
      "UPDATE runs SET read = ?, written = ?, unchanged = ?, dead_lettered = ? WHERE id = ? AND status = 'running'",
    ),
    finishRun: db.prepare<[number, RunStatus, string | null, number, number, number, number, number]>(
      `UPDATE runs SET ended_at = ?, status = ?, error = ?, read = ?, written = ?, unchanged = ?, dead_lettered = ?
       WHERE id = ?`,
    ),
    runsOfFlow: db.prepare<[string, number], RunRow>("SELECT * FROM runs WHERE flow = ? ORDER BY id DESC LIMIT ?"),
    runsAll: db.prepare<[number], RunRow>("SELECT * FROM runs ORDER BY id DESC LIMIT ?"),

    flows: db
      .prepare<[], string>(
        `SELECT flow FROM runs UNION SELECT flow FROM checkpoints
         UNION ${distinctFlows("write_record")} UNION ${distinctFlows("dead_letters")} ORDER BY flow`,
      )
      .pluck(),
    checkpoint: db.prepare<[string], string>("SELECT value FROM checkpoints WHERE flow = ?").pluck(),
    setCheckpoint: db.prepare<[string, string, number, number]>(
      `INSERT INTO checkpoints (flow, value, run_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (flow) DO UPDATE SET value = excluded.value, run_id = excluded.run_id, updated_at = excluded.updated_at`,
    ),
    markPending: db.prepare<[string, string, string | null, string, string | null, string | null, number, number]>(
      `INSERT INTO write_record (flow, source_id, pending_target_id, pending_hash, pending_key, pending_row, pending_run_id, pending_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (flow, source_id) DO UPDATE SET pending_target_id = excluded.pending_target_id,
         pending_hash = excluded.pending_hash, pending_key = excluded.pending_key, pending_row = excluded.pending_row,
         pending_run_id = excluded.pending_run_id, pending_at = excluded.pending_at`,
    ),
    markDone: db.prepare<[string, string, string | null, string, string | null, number, number]>(
      `INSERT INTO write_record (flow, source_id, target_id, hash, key, run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (flow, source_id) DO UPDATE SET target_id = excluded.target_id, hash = excluded.hash,
         key = excluded.key, run_id = excluded.run_id, updated_at = excluded.updated_at,
         pending_target_id = NULL, pending_hash = NULL, pending_key = NULL, pending_row = NULL,
         pending_run_id = NULL, pending_at = NULL`,
    ),
    // A source id that was never confirmed has nothing left once its pending write is settled.
    dropUnconfirmed: db.prepare<[string, string]>(
      "DELETE FROM write_record WHERE flow = ? AND source_id = ? AND hash IS NULL",
    ),
    clearPending: db.prepare<[string, string]>(
      `UPDATE write_record SET pending_target_id = NULL, pending_hash = NULL, pending_key = NULL, pending_row = NULL,
         pending_run_id = NULL, pending_at = NULL
       WHERE flow = ? AND source_id = ? AND pending_hash IS NOT NULL`,
    ),
    pending: db.prepare<[string], EntryRow>(
      `SELECT source_id, pending_target_id AS target_id, pending_hash AS hash, pending_key AS key, pending_row AS row,
         pending_at AS updated_at
       FROM write_record WHERE flow = ? AND pending_hash IS NOT NULL ORDER BY pending_at, source_id`,
    ),
    insertDeadLetter: db.prepare<[string, number, string, DeadLetterStage, string, string | null, string | null, number]>(
      `INSERT INTO dead_letters (flow, run_id, source_id, stage, reason, record, row, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // A row that fails again replaces its open letter: one letter per row needing attention.
    refreshDeadLetter: db
      .prepare<[number, DeadLetterStage, string, string | null, string | null, number, string, string], number>(
        `UPDATE dead_letters SET run_id = ?, stage = ?, reason = ?, record = ?, row = ?, created_at = ?
         WHERE flow = ? AND source_id = ? AND resolved_at IS NULL RETURNING id`,
      )
      .pluck(),
    insertAttempt: db.prepare<[number, number, DeadLetterStage, string, number]>(
      "INSERT INTO dead_letter_attempts (letter_id, at, stage, reason, run_id) VALUES (?, ?, ?, ?, ?)",
    ),
    attempts: db.prepare<[number], { at: number; stage: DeadLetterStage; reason: string; run_id: number }>(
      "SELECT at, stage, reason, run_id FROM dead_letter_attempts WHERE letter_id = ? ORDER BY rowid",
    ),
    // A row written at last (a fixed source record, a fixed mapping) settles its open letter.
    resolveBySource: db.prepare<[number, string, string]>(
      "UPDATE dead_letters SET resolved_at = ? WHERE flow = ? AND source_id = ? AND resolved_at IS NULL",
    ),
    resolve: db.prepare<[number, string, number]>(
      "UPDATE dead_letters SET resolved_at = ? WHERE flow = ? AND id = ? AND resolved_at IS NULL",
    ),
    deadLetters: db.prepare<[string, number, string | null, string | null], DeadLetterRow>(
      `SELECT * FROM dead_letters WHERE flow = ? AND (? = 0 OR resolved_at IS NULL) AND (? IS NULL OR source_id = ?)
       ORDER BY id`,
    ),
    countDeadLetters: db
      .prepare<[string, string | null, string | null, number | null, number | null], number>(
        `SELECT COUNT(*) FROM dead_letters WHERE flow = ? AND resolved_at IS NULL
           AND (? IS NULL OR stage = ?) AND (? IS NULL OR run_id = ?)`,
      )
      .pluck(),
    recordCalls: db.prepare<
      [number, string, string, string, number, number, number, number, number, number, number, number, string, number | null, number | null, number | null]
    >(
      `INSERT INTO call_stats (run_id, flow, system, operation, calls, errors, retries, failed_attempts, total_ms, p50_ms, p95_ms,
         rate_limit_wait_ms, latency, latency_sum_ms, latency_min_ms, latency_max_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, system, operation) DO UPDATE SET calls = excluded.calls, errors = excluded.errors,
         retries = excluded.retries, failed_attempts = excluded.failed_attempts, total_ms = excluded.total_ms,
         p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, rate_limit_wait_ms = excluded.rate_limit_wait_ms,
         latency = excluded.latency, latency_sum_ms = excluded.latency_sum_ms, latency_min_ms = excluded.latency_min_ms,
         latency_max_ms = excluded.latency_max_ms`,
    ),
    runLatency: db.prepare<[number, string, string], string | null>("SELECT latency FROM call_stats WHERE run_id = ? AND system = ? AND operation = ?").pluck(),
    addLatency: db.prepare<[string, string, string, number, number]>(
      `INSERT INTO call_latency (flow, system, operation, up_to_us, count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (flow, system, operation, up_to_us) DO UPDATE SET count = count + excluded.count`,
    ),
    dropEmptyLatency: db.prepare<[string, string, string]>("DELETE FROM call_latency WHERE flow = ? AND system = ? AND operation = ? AND count <= 0"),
    callStats: db.prepare<[string | null, string | null], CallTotalsRow>(CALL_TOTALS_SQL),
    callLatency: db.prepare<[string | null, string | null], CallLatencyRow>(CALL_LATENCY_SQL),
    callsSince: db.prepare<[number], CallTotalsRow & { flow: string }>(CALLS_SINCE_SQL),
    latencySince: db.prepare<[number], CallLatencyRow>(LATENCY_SINCE_SQL),
    dropFieldStats: db.prepare<[number]>("DELETE FROM field_stats WHERE run_id = ?"),
    recordDrift: db.prepare<[number, string, string]>("INSERT INTO run_drift (run_id, flow, report) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET report = excluded.report"),
    latestDrift: db.prepare<[string], { run_id: number; report: string }>(
      "SELECT d.run_id, d.report FROM run_drift d WHERE d.flow = ? AND d.run_id = (SELECT MAX(id) FROM runs WHERE flow = d.flow AND dry_run = 0 AND status <> 'running')",
    ),
    insertFieldStat: db.prepare<[number, string, string, number, number, number]>(
      "INSERT INTO field_stats (run_id, flow, field, rows, nulls, empties) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    // The runs are picked first (newest `limit` with stats, not failed, finished), then their fields.
    fieldHistory: db.prepare<[string, string | null, string | null, number, string | null, string | null], FieldHistoryRow>(
      `SELECT f.run_id, r.started_at, f.field, f.rows, f.nulls, f.empties
       FROM field_stats f JOIN runs r ON r.id = f.run_id
       WHERE f.run_id IN (
         SELECT DISTINCT s.run_id FROM field_stats s JOIN runs sr ON sr.id = s.run_id
         WHERE s.flow = ? AND sr.status IN ('ok', 'dead-letters') AND (? IS NULL OR s.field = ?)
         ORDER BY s.run_id DESC LIMIT ?)
       AND (? IS NULL OR f.field = ?)
       ORDER BY f.run_id DESC, f.rowid`,
    ),
    insertAnomaly: db.prepare<[number, string, string | null, AnomalyKind, number, number, number]>(
      `INSERT INTO anomalies (run_id, flow, field, kind, value, baseline, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    anomaliesOfFlow: db.prepare<[string, number], AnomalyRow>("SELECT * FROM anomalies WHERE flow = ? ORDER BY id DESC LIMIT ?"),
    anomaliesAll: db.prepare<[number], AnomalyRow>("SELECT * FROM anomalies ORDER BY id DESC LIMIT ?"),
    openIncidentByKey: db.prepare<[string], IncidentRow>("SELECT * FROM incidents WHERE key = ? AND resolved_at IS NULL"),
    incidentById: db.prepare<[number], IncidentRow>("SELECT * FROM incidents WHERE id = ?"),
    insertIncident: db.prepare<[string, string, string, string, number]>(
      "INSERT INTO incidents (key, rule, flow, detail, opened_at) VALUES (?, ?, ?, ?, ?)",
    ),
    refreshIncident: db.prepare<[string, number]>("UPDATE incidents SET detail = ? WHERE id = ?"),
    resolveIncident: db.prepare<[number, number]>("UPDATE incidents SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL"),
    openIncidents: db.prepare<[], IncidentRow>("SELECT * FROM incidents WHERE resolved_at IS NULL ORDER BY id"),
    incidents: db.prepare<[number], IncidentRow>("SELECT * FROM incidents ORDER BY id DESC LIMIT ?"),
    insertNotification: db.prepare<[number, string, NotificationEvent, number, number, string | null, number]>(
      "INSERT INTO notifications (incident_id, target, event, attempts, ok, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    stampNotified: db.prepare<[number, number]>(
      "UPDATE incidents SET notified_at = COALESCE(notified_at, ?) WHERE id = ?",
    ),
    stampResolveNotified: db.prepare<[number, number]>(
      "UPDATE incidents SET resolve_notified_at = COALESCE(resolve_notified_at, ?) WHERE id = ?",
    ),
    notificationsAll: db.prepare<[number], NotificationRow>("SELECT * FROM notifications ORDER BY id DESC LIMIT ?"),
    notificationsOf: db.prepare<[number, number], NotificationRow>(
      "SELECT * FROM notifications WHERE incident_id = ? ORDER BY id DESC LIMIT ?",
    ),
    dropCollection: db.prepare<[string]>("DELETE FROM collections WHERE name = ?"),
    nextSeq: db.prepare<[string], number>("SELECT COALESCE(MAX(seq), 0) + 1 FROM collections WHERE name = ?").pluck(),
    insertDocument: db.prepare<[string, number, string]>("INSERT INTO collections (name, seq, doc) VALUES (?, ?, ?)"),
    countCollection: db.prepare<[string], number>("SELECT COUNT(*) FROM collections WHERE name = ?").pluck(),
    collections: db.prepare<[], { name: string; count: number }>(
      "SELECT name, COUNT(*) AS count FROM collections GROUP BY name ORDER BY name",
    ),
    collection: db.prepare<[string], string>("SELECT doc FROM collections WHERE name = ? ORDER BY seq").pluck(),
  };
}

type Statements = ReturnType<typeof prepareAll>;

/** A `runs` row as the store's RunRecord. */
export function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    flow: r.flow,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    status: r.status,
    dryRun: r.dry_run !== 0,
    error: r.error,
    read: r.read,
    written: r.written,
    unchanged: r.unchanged,
    deadLettered: r.dead_lettered,
  };
}

function toEntry(r: EntryRow): WrittenEntry {
  return { sourceId: r.source_id, targetId: r.target_id, hash: r.hash, key: r.key, updatedAt: r.updated_at };
}

export function toDeadLetter(r: DeadLetterRow): DeadLetter {
  return {
    id: r.id,
    flow: r.flow,
    runId: r.run_id,
    sourceId: r.source_id,
    stage: r.stage,
    reason: r.reason,
    record: fromJson(r.record),
    row: fromJson(r.row),
    createdAt: r.created_at,
    resolvedAt: r.resolved_at,
  };
}

function toIncident(r: IncidentRow): Incident {
  return {
    id: r.id,
    key: r.key,
    rule: r.rule,
    flow: r.flow,
    detail: fromJson(r.detail),
    openedAt: r.opened_at,
    resolvedAt: r.resolved_at,
    notifiedAt: r.notified_at,
    resolveNotifiedAt: r.resolve_notified_at,
  };
}

function toNotification(r: NotificationRow): NotificationRecord {
  return {
    id: r.id,
    incidentId: r.incident_id,
    target: r.target,
    event: r.event,
    attempts: r.attempts,
    ok: r.ok !== 0,
    error: r.error,
    at: r.at,
  };
}

/**
 * The state store in one SQLite file (WAL). Every statement is prepared once per store, and every
 * multi-row change runs in one transaction, so a batch costs one commit however many rows it holds.
 */
export class SqliteStateStore implements StateStore {
  private readonly st: Statements;
  /** `written` statements by IN-list length; batches repeat a few sizes, so this stays small. */
  private readonly writtenBySize = new Map<number, Database.Statement<unknown[], EntryRow>>();
  /** `runs` statements per filter combination (four at most). */
  private readonly runsFiltered = new Map<string, Database.Statement<unknown[], RunRow>>();
  private readonly markPendingTx: (flow: string, runId: number, rows: readonly PendingWrite[]) => void;
  private readonly commitTx: (flow: string, unit: CommitUnit) => void;
  private readonly recordCallsTx: (runId: number, flow: string, stats: readonly CallStats[]) => void;
  private readonly loadTx: (name: string, documents: readonly unknown[], replace: boolean) => number;
  private readonly fieldStatsTx: (runId: number, flow: string, stats: readonly FieldStat[]) => void;
  private readonly anomaliesTx: (runId: number, flow: string, anomalies: readonly AnomalyInput[], at: number) => number;
  private readonly openIncidentTx: Database.Transaction<(input: IncidentInput, at: number) => { incident: Incident; opened: boolean }>;
  private readonly notificationTx: (input: NotificationInput) => NotificationRecord;

  private constructor(
    private readonly db: Db,
    readonly location: string,
    private readonly now: () => number,
  ) {
    const st = (this.st = prepareAll(db));
    this.markPendingTx = db.transaction((flow: string, runId: number, rows: readonly PendingWrite[]) => {
      for (const r of rows) {
        st.markPending.run(flow, r.sourceId, r.targetId, r.hash, r.key, storableJson(r.row), runId, r.updatedAt);
      }
    });
    this.commitTx = db.transaction((flow: string, unit: CommitUnit) => {
      const at = this.now();
      for (const d of unit.done) {
        st.markDone.run(flow, d.sourceId, d.targetId, d.hash, d.key, unit.runId, at);
        st.resolveBySource.run(at, flow, d.sourceId);
      }
      for (const id of unit.cleared) {
        st.dropUnconfirmed.run(flow, id);
        st.clearPending.run(flow, id);
      }
      for (const l of unit.deadLetters) {
        const record = storableJson(l.record);
        const row = storableJson(l.row);
        const id =
          st.refreshDeadLetter.get(unit.runId, l.stage, l.reason, record, row, at, flow, l.sourceId) ??
          Number(st.insertDeadLetter.run(flow, unit.runId, l.sourceId, l.stage, l.reason, record, row, at).lastInsertRowid);
        st.insertAttempt.run(id, at, l.stage, l.reason, unit.runId);
      }
      for (const id of unit.resolved ?? []) st.resolve.run(at, flow, id);
      if (unit.checkpoint !== undefined) st.setCheckpoint.run(flow, unit.checkpoint, unit.runId, at);
    });
    this.recordCallsTx = db.transaction((runId: number, flow: string, stats: readonly CallStats[]) => {
      for (const s of stats) {
        // The flow's merged buckets lose the run's previous snapshot and gain this one.
        const before = bucketsOf(st.runLatency.get(runId, s.system, s.operation));
        for (const [upToUs, count] of before) st.addLatency.run(flow, s.system, s.operation, upToUs, -count);
        const { latency } = s;
        st.recordCalls.run(
          runId, flow, s.system, s.operation, s.calls, s.errors, s.retries, s.failedAttempts, s.totalMs, s.p50Ms, s.p95Ms,
          s.rateLimitWaitMs, bucketsJson(latency), latency.buckets.length ? latency.sumMs : null, latency.minMs ?? null, latency.maxMs ?? null,
        );
        for (const [upToUs, count] of latency.buckets) st.addLatency.run(flow, s.system, s.operation, upToUs, count);
        if (before.length) st.dropEmptyLatency.run(flow, s.system, s.operation);
      }
    });
    this.loadTx = db.transaction((name: string, documents: readonly unknown[], replace: boolean) => {
      if (replace) st.dropCollection.run(name);
      let seq = st.nextSeq.get(name) ?? 1;
      for (const doc of documents) st.insertDocument.run(name, seq++, JSON.stringify(doc));
      return st.countCollection.get(name) ?? 0;
    });
    this.fieldStatsTx = db.transaction((runId: number, flow: string, stats: readonly FieldStat[]) => {
      st.dropFieldStats.run(runId);
      for (const s of stats) st.insertFieldStat.run(runId, flow, s.field, s.rows, s.nulls, s.empties);
    });
    this.anomaliesTx = db.transaction((runId: number, flow: string, anomalies: readonly AnomalyInput[], at: number) => {
      let added = 0;
      for (const a of anomalies) added += st.insertAnomaly.run(runId, flow, a.field, a.kind, a.value, a.baseline, at).changes;
      return added;
    });
    this.openIncidentTx = db.transaction((input: IncidentInput, at: number) => {
      const detail = JSON.stringify(input.detail ?? null);
      const open = st.openIncidentByKey.get(input.key);
      if (open) {
        st.refreshIncident.run(detail, open.id);
        return { incident: toIncident({ ...open, detail }), opened: false };
      }
      const id = Number(st.insertIncident.run(input.key, input.rule, input.flow, detail, at).lastInsertRowid);
      return { incident: toIncident(st.incidentById.get(id) as IncidentRow), opened: true };
    });
    this.notificationTx = db.transaction((n: NotificationInput) => {
      const id = Number(
        st.insertNotification.run(n.incidentId, n.target, n.event, n.attempts, n.ok ? 1 : 0, n.error, n.at).lastInsertRowid,
      );
      if (n.ok) (n.event === "firing" ? st.stampNotified : st.stampResolveNotified).run(n.at, n.incidentId);
      return { ...n, id };
    });
  }

  /** Opens (creating it and its folders if needed) and migrates the state database at `path`. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStateStore {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: 5000 });
    try {
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new Error(`state database ${path} cannot use WAL journaling (got "${String(mode)}")`);
      // In WAL mode NORMAL syncs at checkpoints, not at each commit. A commit is in the WAL file
      // (the OS page cache) before it returns, so a killed process (even SIGKILL) loses nothing
      // committed; only a power loss or OS crash can drop the last commits, and never tears one.
      db.pragma("synchronous = NORMAL");
      // better-sqlite3 defaults to a 16 MB page cache. The write record is read by key in batches,
      // so a large cache buys little, while it grows with the database and shows up in every long
      // run's memory. 4 MB is enough.
      db.pragma("cache_size = -4000");
      db.pragma("busy_timeout = 5000");
      db.pragma("foreign_keys = ON");
      migrate(db);
      return new SqliteStateStore(db, path, options.now ?? Date.now);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  async startRun(flow: string, at: number, dryRun: boolean): Promise<number> {
    return Number(this.st.startRun.run(flow, at, dryRun ? 1 : 0).lastInsertRowid);
  }

  async progress(runId: number, counts: RunCounts): Promise<void> {
    this.st.progressRun.run(counts.read, counts.written, counts.unchanged, counts.deadLettered, runId);
  }

  /** The open database, for read-only queries of the console (`ferry serve`). */
  get database(): Db {
    return this.db;
  }

  async finishRun(runId: number, at: number, status: RunStatus, counts: RunCounts, error: string | null): Promise<void> {
    const r = this.st.finishRun.run(
      at, status, error, counts.read, counts.written, counts.unchanged, counts.deadLettered, runId,
    );
    if (r.changes === 0) throw new Error(`run ${runId} does not exist in ${this.location}`);
  }

  async runs(flow: string | undefined, limit: number, options: RunsFilter = {}): Promise<RunRecord[]> {
    if (!options.succeeded && !options.mapped) {
      return (flow === undefined ? this.st.runsAll.all(limit) : this.st.runsOfFlow.all(flow, limit)).map(toRun);
    }
    const cacheKey = `${flow === undefined ? "all" : "flow"}:${options.succeeded ? 1 : 0}:${options.mapped ? 1 : 0}`;
    let statement = this.runsFiltered.get(cacheKey);
    if (statement === undefined) {
      const where = [flow === undefined ? "1" : "flow = ?", options.succeeded ? SUCCEEDED : "1", options.mapped ? MAPPED : "1"];
      statement = this.db.prepare<unknown[], RunRow>(`SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`);
      this.runsFiltered.set(cacheKey, statement);
    }
    return (flow === undefined ? statement.all(limit) : statement.all(flow, limit)).map(toRun);
  }

  async flows(): Promise<string[]> {
    return this.st.flows.all();
  }

  async lockFlow(flow: string, owner: FlowLock, isLive: (holder: FlowLock) => boolean): Promise<FlowLock | null> {
    return this.db
      .transaction((): FlowLock | null => {
        const row = this.st.flowLock.get(flow);
        const holder = row && toLock(row);
        if (holder && isLive(holder)) return holder;
        this.st.takeFlowLock.run(flow, owner.token, owner.pid, owner.host, owner.since, owner.beat, owner.started ?? null);
        return null;
      })
      .immediate();
  }

  async beatFlowLock(flow: string, token: string, at: number): Promise<void> {
    this.st.beatFlowLock.run(at, flow, token);
  }

  async unlockFlow(flow: string, token: string): Promise<void> {
    this.st.dropFlowLock.run(flow, token);
  }

  async checkpoint(flow: string): Promise<string | null> {
    return this.st.checkpoint.get(flow) ?? null;
  }

  async written(flow: string, sourceIds: readonly string[]): Promise<Map<string, WrittenEntry>> {
    const found = new Map<string, WrittenEntry>();
    for (let i = 0; i < sourceIds.length; i += IN_CHUNK) {
      const chunk = sourceIds.slice(i, i + IN_CHUNK);
      for (const r of this.writtenStatement(chunk.length).all(flow, ...chunk)) found.set(r.source_id, toEntry(r));
    }
    return found;
  }

  private writtenStatement(size: number): Database.Statement<unknown[], EntryRow> {
    let s = this.writtenBySize.get(size);
    if (s === undefined) {
      s = this.db.prepare<unknown[], EntryRow>(
        `SELECT source_id, target_id, hash, key, NULL AS row, updated_at FROM write_record
         WHERE flow = ? AND hash IS NOT NULL AND source_id IN (${"?,".repeat(size - 1)}?)`,
      );
      this.writtenBySize.set(size, s);
    }
    return s;
  }

  async markPending(flow: string, runId: number, rows: readonly PendingWrite[]): Promise<void> {
    this.markPendingTx(flow, runId, rows);
  }

  async pending(flow: string): Promise<PendingWrite[]> {
    return this.st.pending.all(flow).map((r) => ({ ...toEntry(r), row: fromJson(r.row) }));
  }

  async commit(flow: string, unit: CommitUnit): Promise<void> {
    this.commitTx(flow, unit);
  }

  async deadLetters(
    flow: string,
    options: { readonly unresolvedOnly: boolean; readonly sourceId?: string },
  ): Promise<DeadLetter[]> {
    const sourceId = options.sourceId ?? null;
    return this.st.deadLetters.all(flow, options.unresolvedOnly ? 1 : 0, sourceId, sourceId).map(toDeadLetter);
  }

  async deadLetterAttempts(letterId: number): Promise<DeadLetterAttempt[]> {
    return this.st.attempts.all(letterId).map((a) => ({ at: a.at, stage: a.stage, reason: a.reason, runId: a.run_id }));
  }

  async countDeadLetters(
    flow: string,
    options: { readonly stage?: DeadLetterStage; readonly runId?: number } = {},
  ): Promise<number> {
    const stage = options.stage ?? null;
    const runId = options.runId ?? null;
    return this.st.countDeadLetters.get(flow, stage, stage, runId, runId) ?? 0;
  }

  /** Stores the run's totals per system/operation; a later call for the same run replaces them (snapshots, not deltas). */
  async recordCalls(runId: number, flow: string, stats: readonly CallStats[]): Promise<void> {
    this.recordCallsTx(runId, flow, stats);
  }

  /** Calls per system/operation summed over runs; p50/p95 over every attempt of them, from merged histograms. */
  async callStats(flow: string | undefined): Promise<CallStats[]> {
    const f = flow ?? null;
    return toCallStats(this.st.callStats.all(f, f), this.st.callLatency.all(f, f));
  }

  /** Like {@link callStats}, per flow, over runs that ended at or after `since` (a run's calls count when it ends). */
  async callsSince(since: number): Promise<FlowCallStats[]> {
    return toCallStats(this.st.callsSince.all(since), this.st.latencySince.all(since)) as FlowCallStats[];
  }

  async recordDrift(runId: number, flow: string, report: unknown): Promise<void> {
    this.st.recordDrift.run(runId, flow, JSON.stringify(report));
  }

  async latestDrift(flow: string): Promise<{ readonly runId: number; readonly report: unknown } | null> {
    const row = this.st.latestDrift.get(flow);
    return row ? { runId: row.run_id, report: fromJson(row.report) } : null;
  }

  async recordFieldStats(runId: number, flow: string, stats: readonly FieldStat[]): Promise<void> {
    this.fieldStatsTx(runId, flow, stats);
  }

  async fieldHistory(flow: string, field: string | undefined, limit: number): Promise<FieldHistoryEntry[]> {
    const f = field ?? null;
    return this.st.fieldHistory.all(flow, f, f, limit, f, f).map((r) => ({
      runId: r.run_id,
      startedAt: r.started_at,
      field: r.field,
      rows: r.rows,
      nulls: r.nulls,
      empties: r.empties,
    }));
  }

  async recordAnomalies(runId: number, flow: string, anomalies: readonly AnomalyInput[], at: number): Promise<number> {
    return this.anomaliesTx(runId, flow, anomalies, at);
  }

  async anomalies(flow: string | undefined, limit: number): Promise<Anomaly[]> {
    const rows = flow === undefined ? this.st.anomaliesAll.all(limit) : this.st.anomaliesOfFlow.all(flow, limit);
    return rows.map((r) => ({
      id: r.id,
      runId: r.run_id,
      flow: r.flow,
      field: r.field,
      kind: r.kind,
      value: r.value,
      baseline: r.baseline,
      createdAt: r.created_at,
    }));
  }

  async openIncident(input: IncidentInput, at: number): Promise<{ readonly incident: Incident; readonly opened: boolean }> {
    // IMMEDIATE takes the write lock before the look-up, so two processes evaluating at once
    // serialise here instead of both finding no open incident and one failing on the unique index.
    return this.openIncidentTx.immediate(input, at);
  }

  async resolveIncident(id: number, at: number): Promise<void> {
    this.st.resolveIncident.run(at, id);
  }

  async openIncidents(): Promise<Incident[]> {
    return this.st.openIncidents.all().map(toIncident);
  }

  async incidents(limit: number): Promise<Incident[]> {
    return this.st.incidents.all(limit).map(toIncident);
  }

  async recordNotification(input: NotificationInput): Promise<NotificationRecord> {
    return this.notificationTx(input);
  }

  async notifications(limit: number, incidentId?: number): Promise<NotificationRecord[]> {
    const rows = incidentId === undefined ? this.st.notificationsAll.all(limit) : this.st.notificationsOf.all(incidentId, limit);
    return rows.map(toNotification);
  }

  async loadCollection(name: string, documents: readonly unknown[], replace: boolean): Promise<number> {
    return this.loadTx(name, documents, replace);
  }

  async collections(): Promise<{ readonly name: string; readonly count: number }[]> {
    return this.st.collections.all();
  }

  async collection(name: string): Promise<Record<string, unknown>[]> {
    return this.st.collection.all(name).map((doc) => JSON.parse(doc) as Record<string, unknown>);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
