/**
 * Child processes of the runtime benchmark (bench/runtime.ts): the http test server and the real
 * `ferry run`, with the run's wall time and peak resident memory. Every failure is loud: a child that
 * exits non-zero, prints no summary or never starts throws with the tail of its stderr.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Kept of a child's stderr for error messages; a long run's progress lines would be megabytes. */
const STDERR_TAIL_CHARS = 16 * 1024;
/** How often the fallback probe reads /proc/<pid>/status. */
const POLL_MS = 50;
/** How long a server gets to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

/** Appends `chunk` to `tail`, keeping the last STDERR_TAIL_CHARS characters. */
function keepTail(tail: string, chunk: Buffer | string): string {
  const next = tail + chunk.toString();
  return next.length > STDERR_TAIL_CHARS ? next.slice(-STDERR_TAIL_CHARS) : next;
}

/** Resolves with the exit code (or the signal's name) once the child has exited and its pipes closed. */
function closed(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
}

// ─── The http test server ────────────────────────────────────────────────────────────────────────

export interface TestServer {
  readonly url: string;
  /** Milliseconds from spawn to its `{"url": …}` line (the records are generated before it listens). */
  readonly startMs: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

export interface TestServerOptions {
  readonly records: number;
  readonly seed?: number;
  /** Requests per second enforced per path by the server (`--limit /shops=20`): 429 beyond. */
  readonly limits?: Readonly<Record<string, number>>;
  /** Heap for the server's node (it holds every generated record in memory). */
  readonly maxOldSpaceMb?: number;
  readonly startTimeoutMs?: number;
}

/** Starts `node dist/connectors/http/test-server-main.js` and waits for the URL on its first stdout line. */
export async function startTestServer(root: string, options: TestServerOptions): Promise<TestServer> {
  const args = [
    ...(options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : []),
    join(root, "dist/connectors/http/test-server-main.js"),
    "--records",
    String(options.records),
    "--seed",
    String(options.seed ?? 1),
    "--port",
    "0",
    ...Object.entries(options.limits ?? {}).flatMap(([path, perSecond]) => ["--limit", `${path}=${perSecond}`]),
  ];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = keepTail(stderr, d)));
  const exited = closed(child);
  let gone = false;
  void exited.then(
    () => (gone = true),
    () => (gone = true),
  );

  const stop = async (): Promise<void> => {
    if (gone) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (!gone) child.kill("SIGKILL");
    }, STOP_GRACE_MS);
    try {
      await exited.catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timeoutMs = options.startTimeoutMs ?? 120_000;
      const timer = setTimeout(() => reject(new Error(`bench: the test server (${options.records} records) printed no URL within ${timeoutMs} ms\n${stderr}`)), timeoutMs);
      const onData = (d: Buffer) => {
        out += d.toString();
        const newline = out.indexOf("\n");
        if (newline < 0) return;
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        try {
          const parsed = JSON.parse(out.slice(0, newline)) as { url?: unknown };
          if (typeof parsed.url !== "string") throw new Error("no url");
          resolve(parsed.url);
        } catch {
          reject(new Error(`bench: the test server's first line is not {"url": …}: ${out.slice(0, newline)}`));
        }
      };
      child.stdout?.on("data", onData);
      exited.then(
        ({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`bench: the test server exited with ${code ?? signal} before printing its URL\n${stderr}`));
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(new Error(`bench: could not start the test server: ${error instanceof Error ? error.message : String(error)}`));
        },
      );
    });
    // Drain whatever else it prints, so a full pipe can never stall it.
    child.stdout?.resume();
    return { url, startMs: Number(process.hrtime.bigint() - started) / 1e6, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ─── Peak resident memory ────────────────────────────────────────────────────────────────────────

/** How the peak RSS of a child is measured on this machine. */
export type RssMethod = "gnu-time" | "proc-poll";

let gnuTime: boolean | undefined;

/** Whether /usr/bin/time is GNU time (`-f %M` prints the peak RSS in KB). */
export function rssMethod(): RssMethod {
  if (gnuTime === undefined) {
    const probe = spawnSync("/usr/bin/time", ["--version"], { encoding: "utf8" });
    gnuTime = probe.status === 0 && /GNU/.test(`${probe.stdout}${probe.stderr}`);
  }
  return gnuTime ? "gnu-time" : "proc-poll";
}

/** The KB value of a `Name:   123 kB` line of /proc/<pid>/status, or undefined. */
export function statusKb(status: string, name: "VmHWM" | "VmRSS"): number | undefined {
  const match = new RegExp(`^${name}:\\s*(\\d+)\\s*kB`, "m").exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The peak RSS GNU time wrote with `-f %M -o file`: the last line that is a whole number. */
export function gnuTimeKb(text: string): number | undefined {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
  const last = lines.at(-1);
  return last === undefined ? undefined : Number(last);
}

// ─── ferry run ───────────────────────────────────────────────────────────────────────────────────

/** The fields of `ferry run --json`'s summary the bench reads. */
export interface RunSummaryJson {
  readonly status: string;
  readonly read: number;
  readonly written: number;
  readonly deadLettered: number;
  readonly elapsedMs: number;
  readonly error: string | null;
  readonly calls: readonly {
    readonly system: string;
    readonly operation: string;
    readonly calls: number;
    readonly errors: number;
    readonly retries: number;
    readonly totalMs: number;
    readonly p50Ms: number;
    readonly p95Ms: number;
    readonly rateLimitWaitMs: number;
  }[];
}

export interface FerryRun {
  readonly summary: RunSummaryJson;
  /** Spawn to exit, in the parent: process start, flow loading and state included. */
  readonly wallMs: number;
  readonly peakRssKb: number;
  readonly rssMethod: RssMethod;
}

export interface FerryRunOptions {
  /** The `.map` file (absolute). */
  readonly flow: string;
  readonly args: readonly string[];
  /** The working folder of the run (no `.env` is expected there). */
  readonly cwd: string;
  /** Added to the environment: FERRY_HTTP_URL, FERRY_STATE_DIR, FERRY_CACHE_DIR … */
  readonly env: Readonly<Record<string, string>>;
  /** Where GNU time writes the peak RSS. */
  readonly rssFile: string;
  /** Exit codes that count as a finished run (default 0; 3 = finished with dead letters). */
  readonly okCodes?: readonly number[];
}

/** The tail of stdout kept: enough for a run's JSON summary line, never a whole `--json` report. */
const STDOUT_TAIL_CHARS = 256 * 1024;

export interface MeasureOptions {
  /** Arguments of node (the script first). */
  readonly args: readonly string[];
  readonly cwd: string;
  /** Added to the environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Where GNU time writes the peak RSS. */
  readonly rssFile: string;
  /** Exit codes that count as success (default 0). */
  readonly okCodes?: readonly number[];
}

export interface MeasuredCommand {
  readonly code: number;
  /** The last STDOUT_TAIL_CHARS characters of stdout. */
  readonly stdoutTail: string;
  readonly stderrTail: string;
  /** Bytes written to stdout and stderr together. */
  readonly outputBytes: number;
  /** Spawn to exit, in the parent. */
  readonly wallMs: number;
  readonly peakRssKb: number;
  readonly rssMethod: RssMethod;
}

/**
 * Runs `node …args` with its wall time and peak RSS (GNU time, else polling /proc). Throws unless it
 * exits with one of `okCodes`, with the tail of its output.
 */
export async function measureCommand(options: MeasureOptions): Promise<MeasuredCommand> {
  const method = rssMethod();
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...options.env };
  // The state store and the credentials come from the bench alone.
  delete env.FERRY_DATABASE_URL;
  delete env.FERRY_HTTP_TOKEN;
  delete env.FORCE_COLOR;
  const [command, args] =
    method === "gnu-time"
      ? ["/usr/bin/time", ["-f", "%M", "-o", options.rssFile, process.execPath, ...options.args]]
      : [process.execPath, [...options.args]];

  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let outputBytes = 0;
  child.stdout?.on("data", (d: Buffer) => {
    outputBytes += d.length;
    stdout += d.toString();
    if (stdout.length > 2 * STDOUT_TAIL_CHARS) stdout = stdout.slice(-STDOUT_TAIL_CHARS);
  });
  child.stderr?.on("data", (d: Buffer) => {
    outputBytes += d.length;
    stderr = keepTail(stderr, d);
  });

  // Fallback probe: VmHWM is the kernel's own high-water mark, so sampling misses at most the last 50 ms.
  let polledKb = 0;
  const poll =
    method === "proc-poll" && child.pid !== undefined
      ? setInterval(() => {
          try {
            const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
            polledKb = Math.max(polledKb, statusKb(status, "VmHWM") ?? 0, statusKb(status, "VmRSS") ?? 0);
          } catch {
            // exited between two samples
          }
        }, POLL_MS)
      : undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await closed(child);
  } catch (error) {
    throw new Error(`bench: could not run ${options.args.join(" ")}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (poll) clearInterval(poll);
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const what = `\`${options.args.join(" ")}\``;
  stdout = stdout.slice(-STDOUT_TAIL_CHARS);
  if (exit.code === null || !(options.okCodes ?? [0]).includes(exit.code)) {
    throw new Error(`bench: ${what} exited with ${exit.code ?? exit.signal}\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr (tail) ---\n${stderr}`);
  }
  let peakRssKb: number | undefined = polledKb > 0 ? polledKb : undefined;
  if (method === "gnu-time") {
    try {
      peakRssKb = gnuTimeKb(readFileSync(options.rssFile, "utf8"));
    } catch {
      peakRssKb = undefined;
    }
  }
  if (peakRssKb === undefined || !(peakRssKb > 0)) throw new Error(`bench: no peak RSS for ${what} (method ${method})`);
  return { code: exit.code, stdoutTail: stdout, stderrTail: stderr, outputBytes, wallMs, peakRssKb, rssMethod: method };
}

/**
 * Runs `node bin/ferry.js run <flow> …args --json` and returns its summary, wall time and peak RSS.
 * Throws unless it exits 0 and prints a summary.
 */
export async function runFerry(root: string, options: FerryRunOptions): Promise<FerryRun> {
  const args = [join(root, "bin/ferry.js"), "run", options.flow, ...options.args, "--json"];
  const run = await measureCommand({ args, cwd: options.cwd, env: options.env, rssFile: options.rssFile, okCodes: options.okCodes ?? [0] });
  const what = `\`ferry run ${options.flow} ${options.args.join(" ")}\``;
  const line = run.stdoutTail.split("\n").filter((l) => l.trim() !== "").at(-1);
  let summary: RunSummaryJson;
  try {
    summary = JSON.parse(line ?? "") as RunSummaryJson;
  } catch {
    throw new Error(`bench: ${what} printed no JSON summary\n--- stdout ---\n${run.stdoutTail.slice(-4000)}\n--- stderr (tail) ---\n${run.stderrTail}`);
  }
  return { summary, wallMs: run.wallMs, peakRssKb: run.peakRssKb, rssMethod: run.rssMethod };
}
