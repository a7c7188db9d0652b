import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { FlowLock, StateStore } from "../state/store.js";

/** Another run or replay of the flow is writing: two at once would read the same window and write it twice. */
export class FlowBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlowBusyError";
  }
}

/**
 * How long a holder on another host may go without a heartbeat before its lock counts as left
 * behind. A run beats after every page; on this host a holder's process is asked directly.
 */
export const STALE_LOCK_MS = 15 * 60_000;

/** Tokens this process holds: a lock naming our own pid is either one of these or left by a dead process that had it. */
const heldHere = new Set<string>();

/** A held run lock. */
export interface HeldLock {
  /** A sign of life, for holders judged from another host. */
  beat(at: number): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the flow's run lock, or throws FlowBusyError naming the live holder. A lock left by a
 * process that died (a crash, SIGKILL) is taken over: on this host by asking whether its process
 * still exists, from another host when its heartbeat is older than {@link STALE_LOCK_MS}.
 */
export async function lockFlow(store: StateStore, flow: string, now: number): Promise<HeldLock> {
  const host = hostname();
  const owner: FlowLock = { token: randomUUID(), pid: process.pid, host, since: now, beat: now };
  const isLive = (holder: FlowLock): boolean => {
    if (holder.host !== host) return now - holder.beat < STALE_LOCK_MS;
    if (holder.pid === process.pid) return heldHere.has(holder.token);
    return processExists(holder.pid);
  };
  const holder = await store.lockFlow(flow, owner, isLive);
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

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
