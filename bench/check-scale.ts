/**
 * `ferry check` on inputs far larger than any real flow, to show the compiler stays linear however
 * a file is shaped (a real CLI process each time, peak RSS measured as for `ferry run`):
 *
 * - `duplicates`: a 5 MB fields block of ~190,000 copies of one field line, so every line but the
 *   first is an error (MAP2003) with a code frame and a related location. Printed as people read it
 *   (the first diagnostics and a count of the rest), and once more with `--json` (every diagnostic).
 *   Targets: under 10 s and under 1 GB of peak RSS each.
 * - `valid_fields`: 40,000 distinct, valid field lines: nothing to report, everything to check
 *   (target paths, overlaps, types). Target: under 3 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measureCommand, rssMethod, type RssMethod } from "./children.js";

const HEAD = `mapping check_scale "check at scale"
source http "/shops" { id id }
target http "/customers" { idcheck code }
fields {
  code : string <- code
`;
const DUPLICATE_BYTES = 5 * 1024 * 1024;
const DUPLICATE_LINE = "  name : string <- name\n";
const VALID_FIELDS = 40_000;

/** A fields block of one line repeated until the file holds `bytes`; returns the text and its line count. */
export function duplicatesFile(bytes: number): { text: string; lines: number } {
  const copies = Math.max(1, Math.ceil((bytes - HEAD.length - 2) / DUPLICATE_LINE.length));
  const text = `${HEAD}${DUPLICATE_LINE.repeat(copies)}}\n`;
  return { text, lines: copies };
}

/** `fields` distinct valid field lines. */
export function validFieldsFile(fields: number): string {
  const lines: string[] = [];
  for (let i = 0; i < fields; i++) lines.push(`  f${i} : string <- name\n`);
  return `${HEAD}${lines.join("")}}\n`;
}

export interface CheckScaleRun {
  readonly ms: number;
  readonly peak_rss_mb: number;
  readonly exit_code: number;
  /** Bytes ferry printed (stdout and stderr): the report's size. */
  readonly output_bytes: number;
  readonly target_ms: number;
  readonly target_rss_mb: number;
  readonly meets_target: boolean;
}

export interface CheckScaleResult {
  readonly duplicates: CheckScaleRun & { readonly bytes: number; readonly duplicate_lines: number };
  readonly duplicates_json: CheckScaleRun;
  readonly valid_fields: CheckScaleRun & { readonly fields: number };
  readonly rss_method: RssMethod;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

export async function benchCheckScale(root: string): Promise<CheckScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), "ferry-bench-check-"));
  try {
    const dup = duplicatesFile(DUPLICATE_BYTES);
    const dupFile = join(dir, "duplicates.map");
    writeFileSync(dupFile, dup.text);
    const validFile = join(dir, "valid.map");
    writeFileSync(validFile, validFieldsFile(VALID_FIELDS));

    const check = async (args: readonly string[], expectCode: number, targetMs: number, label: string): Promise<CheckScaleRun> => {
      const run = await measureCommand({
        args: [join(root, "bin/ferry.js"), "check", ...args],
        cwd: dir,
        env: { NO_COLOR: "1" },
        rssFile: join(dir, "rss.txt"),
        okCodes: [expectCode],
      });
      const result = {
        ms: round1(run.wallMs),
        peak_rss_mb: round1(run.peakRssKb / 1024),
        exit_code: run.code,
        output_bytes: run.outputBytes,
        target_ms: targetMs,
        target_rss_mb: 1024,
      };
      log(`check_scale ${label}: ${result.ms} ms, peak RSS ${result.peak_rss_mb} MB, ${result.output_bytes} bytes of output`);
      return { ...result, meets_target: result.ms < targetMs && result.peak_rss_mb < 1024 };
    };
    const duplicates = await check([dupFile], 1, 10_000, `${dup.lines} duplicate lines`);
    const duplicatesJson = await check([dupFile, "--json"], 1, 10_000, `${dup.lines} duplicate lines, --json`);
    const valid = await check([validFile], 0, 3_000, `${VALID_FIELDS} valid fields`);
    return {
      duplicates: { bytes: Buffer.byteLength(dup.text), duplicate_lines: dup.lines, ...duplicates },
      duplicates_json: duplicatesJson,
      valid_fields: { fields: VALID_FIELDS, ...valid },
      rss_method: rssMethod(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
