import { createColors } from "picocolors";

/** Where a command writes, and what it knows about its terminal. Injected so tests run in process. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stderr is a terminal (colour, progress). */
  readonly isTTY: boolean;
}

/** Colour only on a terminal, never when NO_COLOR is set (any value), always when FORCE_COLOR is. */
export function useColor(io: Io): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== "0") return true;
  return io.isTTY;
}

export function colors(io: Io) {
  return createColors(useColor(io));
}

/** Exit codes, as documented in the README. */
export const EXIT = { ok: 0, inputErrors: 1, usage: 2 } as const;

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function elapsed(since: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - since) / 1e6);
}

/**
 * Writes the pieces one after another, waiting whenever the stream says it is full (a pipe whose
 * reader is slower than ferry), so output is never queued in memory whole.
 */
export async function writeAll(out: Io["stdout"], pieces: Iterable<string>): Promise<void> {
  type Events = { once?(event: string, listener: () => void): unknown; off?(event: string, listener: () => void): unknown };
  const stream = out as Io["stdout"] & Events;
  for (const piece of pieces) {
    if (out.write(piece) !== false || typeof stream.once !== "function") continue;
    await new Promise<void>((resolve) => {
      // A reader that went away ends the wait too; the stream's own error handler reports it.
      const events = ["drain", "close", "error"];
      const done = (): void => {
        for (const event of events) stream.off?.(event, done);
        resolve();
      };
      for (const event of events) stream.once?.(event, done);
    });
  }
}
