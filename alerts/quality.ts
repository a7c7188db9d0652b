import type { AnomalyInput, FieldStat, StateStore } from "../runtime/state/store.js";
import { DEFAULT_ANOMALY_SETTINGS, type AnomalySettings } from "./config.js";

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Percent of `part` in `whole`; undefined when there are no rows (a rate of nothing is no evidence). */
function rate(part: number, whole: number): number | undefined {
  return whole > 0 ? (part / whole) * 100 : undefined;
}

/**
 * Compares one run's field stats with earlier runs' (newest first, each a list of field stats) and
 * returns the sharp changes:
 * - a field's null rate (or empty rate) above the median of its earlier rates by more than
 *   `nullRatePoints` (`emptyRatePoints`) percentage points; only rises count, fewer nulls is good news;
 * - rows mapped differing from the median of the earlier runs by more than `rowCountPercent` %,
 *   either way (a source that suddenly sends half as much, or twice as much).
 * Runs with no rows give no rate; with fewer than `minHistory` earlier runs to compare with there
 * is no baseline and no anomaly, so a new flow or field starts quiet.
 */
export function findAnomalies(
  current: readonly FieldStat[],
  earlier: readonly (readonly FieldStat[])[],
  settings: AnomalySettings = DEFAULT_ANOMALY_SETTINGS,
): AnomalyInput[] {
  const history = earlier.slice(0, settings.history);
  const found: AnomalyInput[] = [];
  const byField = history.map((run) => new Map(run.map((s) => [s.field, s])));
  for (const stat of current) {
    for (const [kind, count, points] of [
      ["null-rate", (s: FieldStat) => s.nulls, settings.nullRatePoints],
      ["empty-rate", (s: FieldStat) => s.empties, settings.emptyRatePoints],
    ] as const) {
      const now = rate(count(stat), stat.rows);
      if (now === undefined) continue;
      const before: number[] = [];
      for (const run of byField) {
        const s = run.get(stat.field);
        const r = s === undefined ? undefined : rate(count(s), s.rows);
        if (r !== undefined) before.push(r);
      }
      if (before.length < settings.minHistory) continue;
      const baseline = median(before);
      if (now - baseline > points) found.push({ field: stat.field, kind, value: now, baseline });
    }
  }
  const rows = rowsOf(current);
  const before = history.filter((run) => run.length > 0).map(rowsOf);
  if (before.length >= settings.minHistory) {
    const baseline = median(before);
    // A baseline of 0 rows has no percent change; any rows after only-empty runs are not "sharp".
    if (baseline > 0 && (Math.abs(rows - baseline) / baseline) * 100 > settings.rowCountPercent) {
      found.push({ field: null, kind: "row-count", value: rows, baseline });
    }
  }
  return found;
}

/** Every field of a run counts the same rows; the largest guards against a partial snapshot. */
function rowsOf(run: readonly FieldStat[]): number {
  let rows = 0;
  for (const s of run) rows = Math.max(rows, s.rows);
  return rows;
}

/** What detection found for a flow's latest run with field stats. */
export interface DetectedAnomalies {
  readonly flow: string;
  readonly runId: number;
  readonly anomalies: readonly AnomalyInput[];
  /** How many of them were not stored before (detection runs again over the same run without adding any). */
  readonly added: number;
}

/**
 * Looks at each flow's latest run with field stats (finished, not failed) against the runs before
 * it and stores what {@link findAnomalies} finds. Safe to run any number of times: the store keeps
 * one anomaly per run, kind and field.
 */
export async function detectAnomalies(
  store: StateStore,
  now: number,
  settings: AnomalySettings = DEFAULT_ANOMALY_SETTINGS,
  flows?: readonly string[],
): Promise<DetectedAnomalies[]> {
  const results: DetectedAnomalies[] = [];
  for (const flow of flows ?? (await store.flows())) {
    const entries = await store.fieldHistory(flow, undefined, settings.history + 1);
    const runs: { runId: number; stats: FieldStat[] }[] = [];
    for (const e of entries) {
      const last = runs[runs.length - 1];
      if (last?.runId === e.runId) last.stats.push(e);
      else runs.push({ runId: e.runId, stats: [e] });
    }
    const [current, ...earlier] = runs;
    if (current === undefined) continue;
    const anomalies = findAnomalies(current.stats, earlier.map((r) => r.stats), settings);
    const added = anomalies.length ? await store.recordAnomalies(current.runId, flow, anomalies, now) : 0;
    results.push({ flow, runId: current.runId, anomalies, added });
  }
  return results;
}

/** One line for an anomaly, e.g. `FName: null rate 45.0% (usually 2.0%)`. */
export function describeAnomaly(a: AnomalyInput): string {
  switch (a.kind) {
    case "null-rate":
      return `${a.field}: null rate ${a.value.toFixed(1)}% (usually ${a.baseline.toFixed(1)}%)`;
    case "empty-rate":
      return `${a.field}: empty rate ${a.value.toFixed(1)}% (usually ${a.baseline.toFixed(1)}%)`;
    case "row-count":
      return `rows mapped ${a.value} (usually ${a.baseline})`;
  }
}
