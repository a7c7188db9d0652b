import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { FlowLock, StateStore } from "../state/store.js";
import { processStart } from "./process-start.js";

/** Another run or replay of the flow is writing: two at once would read the same window and write it twice. */
export class FlowBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlowBusyError";
  }
}

/**
 * How long a holder may go without a heartbeat before its lock counts as left behind: from another
 * host, or on this one where the OS cannot tell whether the holder's pid still names the holder. A
 * run beats after a page, a replay after a batch, at most every {@link LOCK_BEAT_MS}.
 */
export const STALE_LOCK_MS = 15 * 60_000;

/** How often a holder refreshes its lock's heartbeat (at most once per page or batch). */
export const LOCK_BEAT_MS = 60_000;

/** Tokens this process holds: a lock naming our own pid is either one of these or left by a dead process that had it. */
const heldHere = new Set<string>();

/** A held run lock. */
export interface HeldLock {
  /** A sign of life, for holders judged by their heartbeat. */
  beat(at: number): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the flow's run lock, or throws FlowBusyError naming the live holder. A lock left by a
 * process that died (a crash, SIGKILL) is taken over. On this host the holder's process is asked
 * for: gone, or its pid now names another process (its start time differs from the one stored with
 * the lock), the lock is stale; where the OS cannot tell start times, a pid that still exists counts
 * only while the lock's heartbeat is younger than {@link STALE_LOCK_MS}. A holder on another host
 * is judged by its heartbeat alone.
 */
export async function lockFlow(store: StateStore, flow: string, now: number): Promise<HeldLock> {
  const host = hostname();
  const started = processStart(process.pid);
  const owner: FlowLock = { token: randomUUID(), pid: process.pid, host, since: now, beat: now, ...(started === null ? {} : { started }) };
  const holder = await store.lockFlow(flow, owner, (h) => isLive(h, host, now));
  if (holder) {
    throw new FlowBusyError(
      `${flow}: another run is writing this flow (pid ${holder.pid} on ${holder.host}, since ${new Date(holder.since).toISOString()}); ` +
        "wait for it to finish: two runs at once would write the same rows twice",
    );
  }
  heldHere.add(owner.token);
  return {
    beat: (at) => store.beatFlowLock(flow, owner.token, at),
    release: async () => {
      heldHere.delete(owner.token);
      await store.unlockFlow(flow, owner.token);
    },
  };
}

/** Whether the lock's holder may still be writing, seen from `host` at `now`. */
function isLive(holder: FlowLock, host: string, now: number): boolean {
  const beating = now - holder.beat < STALE_LOCK_MS;
  if (holder.host !== host) return beating;
  // Our own pid: one of our holders, or an earlier process that had this pid.
  if (holder.pid === process.pid) return heldHere.has(holder.token);
  if (!processExists(holder.pid)) return false;
  const current = processStart(holder.pid);
  // The OS names the process behind the pid: the holder itself (however long its page takes), or
  // another process that was given the dead holder's pid.
  if (holder.started !== undefined && current !== null) return current === holder.started;
  return beating;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
