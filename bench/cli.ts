/**
 * Wall time of the real `ferry check` and `ferry build` commands on 100 generated flows: 50 variants
 * of each seed flow, every one with its own mapping name and slightly different content.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CommandTiming {
  readonly files: number;
  /** Median of the runs. */
  readonly ms: number;
  readonly runs_ms: readonly number[];
  readonly target_ms: number;
  readonly meets_target: boolean;
}

const GUANYI = "mappings/guanyi-shops-to-kingdee-customers.map";
const BANNIU = "mappings/banniu-task-barcodes.map";
const VARIANTS_PER_SEED = 50;
const RUNS = 3;

/** Replaces every occurrence of `from`; fails loudly if there is none (the seed changed). */
function replaceAll(text: string, from: string, to: string, what: string): string {
  if (!text.includes(from)) throw new Error(`bench: seed ${what} no longer contains ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

function guanyiVariant(seed: string, i: number): string {
  let t = replaceAll(seed, "mapping guanyi_shops_to_kingdee_customers ", `mapping guanyi_shops_to_kingdee_customers_${i} `, GUANYI);
  t = replaceAll(t, `"100"`, JSON.stringify(String(100 + i)), GUANYI); // the organisation, in fields and examples
  t = replaceAll(t, `"客户名称"`, JSON.stringify(`客户名称 ${i}`), GUANYI);
  return t;
}

function banniuVariant(seed: string, i: number): string {
  let t = replaceAll(seed, "mapping banniu_task_barcodes ", `mapping banniu_task_barcodes_${i} `, BANNIU);
  t = replaceAll(t, `"27912"`, JSON.stringify(String(27912 + i)), BANNIU); // the project, in params, fields, examples
  t = replaceAll(t, `"商品条码"`, JSON.stringify(`商品条码 ${i}`), BANNIU);
  return t;
}

/** Writes the 100 variants into `dir`; returns how many. */
export function writeVariants(root: string, dir: string): number {
  const guanyi = readFileSync(join(root, GUANYI), "utf8");
  const banniu = readFileSync(join(root, BANNIU), "utf8");
  const seen = new Set<string>();
  for (let i = 1; i <= VARIANTS_PER_SEED; i++) {
    for (const [file, text] of [
      [`guanyi-shops-${i}.map`, guanyiVariant(guanyi, i)],
      [`banniu-tasks-${i}.map`, banniuVariant(banniu, i)],
    ] as const) {
      if (seen.has(text)) throw new Error(`bench: variant ${file} is not unique`);
      seen.add(text);
      writeFileSync(join(dir, file), text);
    }
  }
  return seen.size;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Runs `node bin/ferry.js ...args` from the repository root; fails loudly unless it exits 0. */
function ferry(root: string, args: readonly string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["bin/ferry.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw new Error(`bench: could not run ferry ${args.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `bench: \`ferry ${args.join(" ")}\` exited with ${result.status ?? result.signal}\n` +
        `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
  }
  return ms;
}

/** Times `ferry check` and `ferry build` (RUNS times each) on 100 fresh flows in a temp folder. */
export function benchCli(root: string): { check: CommandTiming; build: CommandTiming } {
  const tmp = mkdtempSync(join(tmpdir(), "ferry-bench-"));
  try {
    const flows = join(tmp, "flows");
    mkdirSync(flows);
    const files = writeVariants(root, flows);

    const checkRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      checkRuns.push(ferry(root, ["check", flows]));
      process.stderr.write(`bench: ferry check, ${files} files, run ${run + 1}: ${checkRuns[run]?.toFixed(0)} ms\n`);
    }

    const buildRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const out = join(tmp, `out-${run}`); // a fresh folder each run: nothing to reuse
      buildRuns.push(ferry(root, ["build", flows, "--out", out]));
      const written = readdirSync(out).filter((f) => f.endsWith(".ts")).length;
      if (written !== files) throw new Error(`bench: ferry build wrote ${written} modules, expected ${files}`);
      process.stderr.write(`bench: ferry build, ${files} files, run ${run + 1}: ${buildRuns[run]?.toFixed(0)} ms\n`);
    }

    const timing = (runs: number[], target: number): CommandTiming => {
      const ms = round1(median(runs));
      return { files, ms, runs_ms: runs.map(round1), target_ms: target, meets_target: ms < target };
    };
    // 1 s for a check of 100 flows with every built-in system spec loaded; 10 s for a build.
    return { check: timing(checkRuns, 1000), build: timing(buildRuns, 10000) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export { median };
