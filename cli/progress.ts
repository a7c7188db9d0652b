import { attemptsOf } from "../runtime/call-meter.js";
import type { Progress, RunSummary } from "../runtime/run/run-flow.js";
import type { CallStats } from "../runtime/state/store.js";
import { colors, type Io } from "./io.js";

const number = new Intl.NumberFormat("en-US");
const n = (x: number) => number.format(Math.round(x));

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * Shows a run as it goes: on a terminal one line redrawn in place (throttled); elsewhere a plain line
 * per window and one every 10 s, so CI logs stay readable.
 */
export class ProgressView {
  private lastDraw = 0;
  private lastPlain = 0;
  private drawn = false;
  private readonly started = Date.now();

  constructor(private readonly io: Io, private readonly flow: string) {}

  log(line: string): void {
    this.clear();
    this.io.stderr.write(`${line}\n`);
  }

  update(p: Progress): void {
    const now = Date.now();
    if (this.io.isTTY) {
      if (now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.io.stderr.write(`\r\x1b[2K${this.line(p, now)}`);
      this.drawn = true;
    } else if (now - this.lastPlain >= 10_000) {
      this.lastPlain = now;
      this.io.stderr.write(`${this.flow}: ${this.line(p, now)}\n`);
    }
  }

  clear(): void {
    if (this.drawn) this.io.stderr.write("\r\x1b[2K");
    this.drawn = false;
  }

  private line(p: Progress, now: number): string {
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = p.read / seconds;
    const total = p.windowTotal !== null && p.windows === 1 ? p.windowTotal : null;
    const eta = total !== null && rate > 0 ? `  ETA ${clock(((total - p.read) / rate) * 1000)}` : "";
    const window = p.windows > 1 ? `window ${p.windowIndex + 1}/${p.windows}  ` : "";
    return `${window}read ${n(p.read)}${total !== null ? `/${n(total)}` : ""}  page ${p.page}  ${n(rate)} rec/s${eta} · wrote ${n(p.written)} · unchanged ${n(p.unchanged)} · dead letters ${n(p.deadLettered)}`;
  }
}

/** The end-of-run summary: counts, then calls per system and operation. */
export function renderSummary(io: Io, s: RunSummary): string {
  const c = colors(io);
  const mark = s.status === "ok" ? c.green("✔") : s.status === "dead-letters" ? c.yellow("!") : c.red("✘");
  const counts = s.dryRun
    ? `${n(s.read)} read · ${n(s.new)} new · ${n(s.changed)} changed · ${n(s.unchanged)} unchanged · ${n(s.deadLettered)} would be dead letters (dry run, nothing written)`
    : `${n(s.read)} read · ${n(s.written)} written · ${n(s.unchanged)} unchanged · ${n(s.deadLettered)} dead letters`;
  const lines = [`${mark} ${c.bold(s.flow)}  ${counts}  in ${(s.elapsedMs / 1000).toFixed(1)} s`];
  if (s.recovered > 0) lines.push(`  ${n(s.recovered)} writes of an interrupted run confirmed by the target`);
  if (s.repeated > 0) lines.push(`  ${n(s.repeated)} records were read again under an id already read in this run (the source's pages shifted); each id was written once, in the version read last`);
  lines.push(...callLines(s.calls));
  for (const w of s.warnings) lines.push(`  ${c.yellow("warning")}: ${w}`);
  if (s.error) lines.push(`  ${c.red("error")}: ${s.error}`);
  if (s.deadLettered > 0 && !s.dryRun) lines.push(`  ${n(s.deadLettered)} rows need attention: ferry status ${s.flow} --dead-letters`);
  return `${lines.join("\n")}\n`;
}

/**
 * One line per system and operation: calls, latency, failed attempts (retried or not) and failed
 * calls (still failing after their retries), so retries that succeeded never hide a failing system.
 */
export function callLines(calls: readonly CallStats[]): string[] {
  const width = Math.max(0, ...calls.map((k) => `${k.system} ${k.operation}`.length));
  return calls.map((k) => {
    const name = `${k.system} ${k.operation}`.padEnd(width);
    const attempts = attemptsOf(k);
    const failed = k.failedAttempts ? `${n(k.failedAttempts)} of ${n(attempts)} attempts failed (${((100 * k.failedAttempts) / attempts).toFixed(1)} %)` : "no failed attempts";
    const extra = [k.retries ? `${n(k.retries)} retried` : "", k.rateLimitWaitMs ? `waited ${(k.rateLimitWaitMs / 1000).toFixed(1)} s for the rate limit` : ""].filter(Boolean).join(", ");
    return `  ${name}  ${n(k.calls)} calls  p95 ${n(k.p95Ms)} ms  ${failed}  ${n(k.errors)} calls failed${extra ? `  ${extra}` : ""}`;
  });
}
