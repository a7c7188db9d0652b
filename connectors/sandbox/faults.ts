/**
 * Fault injection for the sandboxes, by spec: `kingdee.batchSave:500@5%,guanyi:timeout@2%,
 * banniu:throttle@3%,kingdee:session-lost@1%`. Each rule names a system, optionally an operation,
 * a fault and a probability. Decisions are seeded and depend only on (seed, system, operation,
 * request number), so the same spec and seed inject the same faults on every run.
 */

/**
 * `lost` is the one fault after the work: the request is carried out (an update applied, a batch
 * saved), then the connection is reset before the answer, as when a proxy or the network fails on
 * the way back. Only a client that confirms before sending again avoids writing twice.
 */
export const FAULT_KINDS = ["500", "timeout", "throttle", "session-lost", "html", "truncated", "reset", "lost"] as const;
export type SandboxFault = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  readonly system: string;
  /** undefined: every operation of the system. */
  readonly operation: string | undefined;
  readonly fault: SandboxFault;
  /** 0..1 */
  readonly probability: number;
}

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FaultSpecError";
  }
}

const SYSTEMS: readonly string[] = ["guanyi", "kingdee", "banniu"];

/** Parses a fault spec for the sandboxes of `systems`; throws FaultSpecError naming the bad part. */
export function parseFaultSpec(spec: string, systems: readonly string[] = SYSTEMS): FaultRule[] {
  if (spec.trim() === "") return [];
  return spec.split(",").map((part) => {
    const m = /^\s*([a-z]+)(?:\.([A-Za-z0-9_.]+))?:([a-z0-9-]+)@(\d+(?:\.\d+)?)%\s*$/.exec(part);
    if (!m) throw new FaultSpecError(`cannot read fault ${JSON.stringify(part)}: write system[.operation]:fault@percent%, e.g. kingdee.batchSave:500@5%`);
    const [, system = "", operation, fault = "", percent = "0"] = m;
    if (!systems.includes(system)) throw new FaultSpecError(`unknown system ${JSON.stringify(system)} in fault ${JSON.stringify(part)}; systems: ${systems.join(", ")}`);
    if (!(FAULT_KINDS as readonly string[]).includes(fault)) throw new FaultSpecError(`unknown fault ${JSON.stringify(fault)}; faults: ${FAULT_KINDS.join(", ")}`);
    const probability = Number(percent) / 100;
    if (probability > 1) throw new FaultSpecError(`fault ${JSON.stringify(part)}: a percentage above 100`);
    return { system, operation, fault: fault as SandboxFault, probability };
  });
}

/** A 32-bit hash of text (FNV-1a), to derive per-request randomness from a seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // murmur3's finaliser: without it, texts that differ only in a trailing counter hash to nearby
  // values, and faults would come in long runs instead of independently.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Decides, reproducibly, which requests fail and how. */
export class FaultDice {
  private readonly counts = new Map<string, number>();
  private readonly injected = new Map<string, number>();

  constructor(private readonly rules: readonly FaultRule[], private readonly seed: number) {}

  /** The fault for the next request of `system operation`, or null. Operation names compare case-insensitively. */
  roll(system: string, operation: string): SandboxFault | null {
    const key = `${system}.${operation}`;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    for (const [i, rule] of this.rules.entries()) {
      if (rule.system !== system) continue;
      if (rule.operation !== undefined && rule.operation.toLowerCase() !== operation.toLowerCase()) continue;
      const u = hash32(`${this.seed}\u0000${i}\u0000${key.toLowerCase()}\u0000${n}`) / 4294967296;
      if (u < rule.probability) {
        const tally = `${system}.${operation}:${rule.fault}`;
        this.injected.set(tally, (this.injected.get(tally) ?? 0) + 1);
        return rule.fault;
      }
    }
    return null;
  }

  /** Faults injected so far, by `system.operation:fault`. */
  stats(): Record<string, number> {
    return Object.fromEntries([...this.injected].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
