import { readFileSync } from "node:fs";

/**
 * When process `pid` started, as text that is equal for the same process and differs for another
 * process given the same pid later, or null where the OS does not tell (anything but Linux, a
 * process that is gone, no /proc). On Linux: the boot id and field 22 of /proc/<pid>/stat, the start
 * time in clock ticks since boot; the boot id keeps a pid and tick count from an earlier boot apart.
 */
export function processStart(pid: number, procRoot = "/proc"): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let stat: string;
  let boot: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, "utf8");
    boot = readFileSync(`${procRoot}/sys/kernel/random/boot_id`, "utf8").trim();
  } catch {
    return null;
  }
  const ticks = startTicks(stat);
  return ticks === null ? null : `${boot}:${ticks}`;
}

/**
 * Field 22 (starttime) of a /proc/<pid>/stat line. Field 2, the command name in parentheses, may
 * itself hold spaces and parentheses, so the fields are counted from the last ")".
 */
export function startTicks(stat: string): string | null {
  const end = stat.lastIndexOf(")");
  if (end < 0) return null;
  // After ")": field 3 (state) onwards, so field 22 is the 20th.
  const field = stat.slice(end + 1).trim().split(/\s+/)[22 - 3];
  return field !== undefined && /^\d+$/.test(field) ? field : null;
}
