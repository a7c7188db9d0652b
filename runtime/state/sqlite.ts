import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { readJson, writeJson } from "../json.js";
import type {
  Anomaly,
  AnomalyInput,
  AnomalyKind,
  CallStats,
  CommitUnit,
  DeadLetter,
  DeadLetterStage,
  FieldHistoryEntry,
  FieldStat,
  FlowCallStats,
  FlowLock,
  Incident,
  IncidentInput,
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

interface StatsRow {
  system: string;
  operation: string;
  calls: number;
  errors: number;
  retries: number;
  total_ms: number;
  p50_ms: number;
  p95_ms: number;
  rate_limit_wait_ms: number;
}

interface FlowStatsRow extends StatsRow {
  flow: string;
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

/** `undefined` has no JSON text; it is stored as NULL and read back as null. Integers keep every digit. */
function toJson(value: unknown): string | null {
  return value === undefined ? null : (writeJson(value) ?? null);
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
    flowLock: db.prepare<[string], FlowLock>("SELECT token, pid, host, since, beat FROM flow_locks WHERE flow = ?"),
    takeFlowLock: db.prepare<[string, string, number, string, number, number]>(
      "INSERT OR REPLACE INTO flow_locks (flow, token, pid, host, since, beat) VALUES (?, ?, ?, ?, ?, ?)",
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
    refreshDeadLetter: db.prepare<[number, DeadLetterStage, string, string | null, string | null, number, string, string]>(
      `UPDATE dead_letters SET run_id = ?, stage = ?, reason = ?, record = ?, row = ?, created_at = ?
       WHERE flow = ? AND source_id = ? AND resolved_at IS NULL`,
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
    recordCalls: db.prepare<[number, string, string, string, number, number, number, number, number, number, number]>(
      `INSERT INTO call_stats (run_id, flow, system, operation, calls, errors, retries, total_ms, p50_ms, p95_ms, rate_limit_wait_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, system, operation) DO UPDATE SET calls = excluded.calls, errors = excluded.errors,
         retries = excluded.retries, total_ms = excluded.total_ms, p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms,
         rate_limit_wait_ms = excluded.rate_limit_wait_ms`,
    ),
    callStats: db.prepare<[string | null, string | null], StatsRow>(
      `SELECT system, operation, SUM(calls) AS calls, SUM(errors) AS errors, SUM(retries) AS retries,
         SUM(total_ms) AS total_ms, MAX(p50_ms) AS p50_ms, MAX(p95_ms) AS p95_ms, SUM(rate_limit_wait_ms) AS rate_limit_wait_ms
       FROM call_stats WHERE (? IS NULL OR flow = ?) GROUP BY system, operation ORDER BY system, operation`,
    ),
    callsSince: db.prepare<[number], FlowStatsRow>(
      `SELECT c.flow, c.system, c.operation, SUM(c.calls) AS calls, SUM(c.errors) AS errors, SUM(c.retries) AS retries,
         SUM(c.total_ms) AS total_ms, MAX(c.p50_ms) AS p50_ms, MAX(c.p95_ms) AS p95_ms,
         SUM(c.rate_limit_wait_ms) AS rate_limit_wait_ms
       FROM call_stats c JOIN runs r ON r.id = c.run_id WHERE r.ended_at >= ?
       GROUP BY c.flow, c.system, c.operation ORDER BY c.flow, c.system, c.operation`,
    ),
    dropFieldStats: db.prepare<[number]>("DELETE FROM field_stats WHERE run_id = ?"),
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

function toStats(r: StatsRow): CallStats {
  return {
    system: r.system,
    operation: r.operation,
    calls: r.calls,
    errors: r.errors,
    retries: r.retries,
    totalMs: r.total_ms,
    p50Ms: r.p50_ms,
    p95Ms: r.p95_ms,
    rateLimitWaitMs: r.rate_limit_wait_ms,
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
        st.markPending.run(flow, r.sourceId, r.targetId, r.hash, r.key, toJson(r.row), runId, r.updatedAt);
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
        const record = toJson(l.record);
        const row = toJson(l.row);
        if (st.refreshDeadLetter.run(unit.runId, l.stage, l.reason, record, row, at, flow, l.sourceId).changes === 0) {
          st.insertDeadLetter.run(flow, unit.runId, l.sourceId, l.stage, l.reason, record, row, at);
        }
      }
      for (const id of unit.resolved ?? []) st.resolve.run(at, flow, id);
      if (unit.checkpoint !== undefined) st.setCheckpoint.run(flow, unit.checkpoint, unit.runId, at);
    });
    this.recordCallsTx = db.transaction((runId: number, flow: string, stats: readonly CallStats[]) => {
      for (const s of stats) {
        st.recordCalls.run(
          runId, flow, s.system, s.operation, s.calls, s.errors, s.retries, s.totalMs, s.p50Ms, s.p95Ms, s.rateLimitWaitMs,
        );
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
        const holder = this.st.flowLock.get(flow);
        if (holder && isLive(holder)) return holder;
        this.st.takeFlowLock.run(flow, owner.token, owner.pid, owner.host, owner.since, owner.beat);
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

  /**
   * Calls per system/operation summed over runs. p50/p95 are the worst (max) per-run value: exact
   * percentiles across runs would need the raw latency samples, which are not stored.
   */
  async callStats(flow: string | undefined): Promise<CallStats[]> {
    const f = flow ?? null;
    return this.st.callStats.all(f, f).map(toStats);
  }

  /** Like {@link callStats}, per flow, over runs that ended at or after `since` (a run's calls count when it ends). */
  async callsSince(since: number): Promise<FlowCallStats[]> {
    return this.st.callsSince.all(since).map((r) => ({ flow: r.flow, ...toStats(r) }));
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
