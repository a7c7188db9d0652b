import { formatDateTime, instantOf, parseDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../datetime.js";
import type { WindowSpec } from "../types.js";

/** One slice of the incremental window, as instants and as the strings the API receives. */
export interface TimeWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly start: string;
  readonly end: string;
}

/** How far back a flow reads on its first run when neither the flow nor the command says `from`. */
export const FIRST_RUN_LOOKBACK_MS = 86_400_000;

export class WindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WindowError";
  }
}

/**
 * Reads a time given on the command line or in a flow: ISO instants (with a zone) as they are, and
 * wall-clock text (`2024-09-06 00:00:00`, `2024-09-06`) in Asia/Shanghai, the zone the systems speak.
 */
export function parseInstant(text: string): number {
  const parsed = parseDateTime(text.trim());
  if (!parsed) throw new WindowError(`cannot read the time ${JSON.stringify(text)}: write it as yyyy-MM-dd HH:mm:ss or yyyy-MM-dd`);
  return instantOf(parsed.wall, parsed.offsetMinutes ?? SHANGHAI_UTC_OFFSET_MINUTES);
}

/**
 * Where a run starts and ends: from the command's --from, else the checkpoint, else the flow's
 * `from`, else one day back; to the command's --to, else now. A --to later than now reads up to now
 * (`clamped`): the window's end becomes the checkpoint, and a checkpoint in the future would skip
 * whatever changes between now and then.
 */
export function windowBounds(spec: WindowSpec, options: { checkpoint: string | null; from?: string; to?: string; now: number }): { startMs: number; endMs: number; clamped: boolean } {
  const requestedEnd = options.to !== undefined ? parseInstant(options.to) : options.now;
  const clamped = requestedEnd > options.now;
  const endMs = clamped ? options.now : requestedEnd;
  let startMs: number;
  if (options.from !== undefined) startMs = parseInstant(options.from);
  else if (options.checkpoint !== null) startMs = Number(options.checkpoint);
  else if (spec.from !== null) startMs = parseInstant(spec.from);
  else startMs = endMs - FIRST_RUN_LOOKBACK_MS;
  if (!Number.isFinite(startMs)) throw new WindowError(`the stored checkpoint ${JSON.stringify(options.checkpoint)} is not a time`);
  if (startMs > endMs) throw new WindowError(`the window starts after it ends (${new Date(startMs).toISOString()} > ${new Date(endMs).toISOString()})`);
  return { startMs, endMs, clamped };
}

/** Cuts [startMs, endMs) into steps no longer than `stepMs`, formatted for the API. */
export function cutWindows(spec: WindowSpec, startMs: number, endMs: number): TimeWindow[] {
  const step = spec.stepMs ?? Math.max(1, endMs - startMs);
  const windows: TimeWindow[] = [];
  for (let s = startMs; s < endMs || windows.length === 0; s += step) {
    const e = Math.min(endMs, s + step);
    windows.push({
      startMs: s,
      endMs: e,
      start: formatDateTime(s, spec.format, SHANGHAI_UTC_OFFSET_MINUTES),
      end: formatDateTime(e, spec.format, SHANGHAI_UTC_OFFSET_MINUTES),
    });
    if (e >= endMs) break;
  }
  return windows;
}
