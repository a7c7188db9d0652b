import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { EXIT, type Io } from "./io.js";
import { VERSION } from "./version.js";

const DEFAULT_PATHS = ["mappings"];

/** Errors that mean the command was used wrongly or set up wrongly (exit 2): a bad path, missing credentials, a bad time, a state store that cannot be opened. */
const USAGE_ERRORS = new Set(["UsageError", "SetupError", "WindowError", "FaultSpecError", "StateStoreError"]);

function portNumber(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`${option} takes a port number from 1 to 65535`);
  return n;
}

function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${option} takes a whole number of at least 1`);
  return n;
}

/** Runs the ferry command line with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command("ferry")
    .description("Data-integration flows as code: check, compile, test, run, document and monitor .map flows.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s.startsWith("error:") ? `ferry: ${s.slice("error: ".length)}` : s),
    })
    .showSuggestionAfterError(true);

  program
    .command("check")
    .description("parse and check .map files, reporting every problem with a code")
    .argument("[paths...]", ".map files or folders", DEFAULT_PATHS)
    .option("--json", "print diagnostics as JSON (for editors and CI)")
    .action(async (paths: string[], opts: { json?: boolean }) => {
      code = await (await import("./commands/check.js")).checkCommand(io, paths, opts);
    });

  program
    .command("build")
    .description("compile .map files into typed TypeScript modules")
    .argument("[paths...]", ".map files or folders", DEFAULT_PATHS)
    .option("-o, --out <dir>", "output folder", "generated")
    .action(async (paths: string[], opts: { out: string }) => {
      code = (await import("./commands/build.js")).buildCommand(io, paths, opts);
    });

  program
    .command("docs")
    .description("write a documentation site (or Markdown) of the flows; --check compares it for CI")
    .argument("[paths...]", ".map files or folders", DEFAULT_PATHS)
    .option("-o, --out <dir>", "output folder", "docs/site")
    .option("--format <format>", "html (a static site that works offline) or md (Markdown for git hosting)", "html")
    .option("--check", "write nothing; exit 1 listing the files that differ from what the .map files generate")
    .action(async (paths: string[], opts: { out: string; format: string; check?: boolean }) => {
      code = (await import("./commands/docs.js")).docsCommand(io, paths, opts);
    });

  program
    .command("test")
    .description("run the example blocks of .map files")
    .argument("[paths...]", ".map files or folders", DEFAULT_PATHS)
    .action(async (paths: string[]) => {
      code = await (await import("./commands/test.js")).testCommand(io, paths);
    });

  program
    .command("explain")
    .description("explain a diagnostic code, e.g. ferry explain MAP2001")
    .argument("[code]", "a code such as MAP2001; without one, the list of codes")
    .action(async (c: string | undefined) => {
      code = (await import("./commands/explain.js")).explainCommand(io, c);
    });

  program
    .command("demo")
    .description("check, build and test the flows in mappings/, then run them against the sandboxes (what `npm start` runs)")
    .addOption(new Option("--mappings <dir>", "folder of .map files").default("mappings"))
    .option("-o, --out <dir>", "output folder", "generated")
    .action(async (opts: { mappings: string; out: string }) => {
      code = await (await import("./commands/demo.js")).demoCommand(io, opts);
    });

  program
    .command("run")
    .description("run a flow: read, map, write, remember (exit 0 all written, 3 some rows dead-lettered, 1 failed)")
    .argument("<flow>", "a .map file, or the name of a flow in mappings/")
    .option("--from <time>", "start of the window (yyyy-MM-dd[ HH:mm:ss], Asia/Shanghai); default: the checkpoint")
    .option("--to <time>", "end of the window; default: now")
    .option("--limit <n>", "stop after reading n records", (v) => positiveInt(v, "--limit"))
    .option("--max-pages <n>", "fail a window with more than n pages (default: FERRY_MAX_PAGES, else 10000)", (v) => positiveInt(v, "--max-pages"))
    .option("--dry-run", "read and map, report new/changed/unchanged rows, write nothing")
    .option("--json", "also print the run summary as JSON on stdout")
    .action(async (flow: string, opts: { from?: string; to?: string; limit?: number; maxPages?: number; dryRun?: boolean; json?: boolean }) => {
      code = await (await import("./commands/run.js")).runCommand(io, flow, opts);
    });

  program
    .command("status")
    .description("last runs, checkpoints, dead letters and API calls")
    .argument("[flow]", "a flow name or its .map file; without one, every flow")
    .option("--dead-letters", "list the rows that need attention")
    .action(async (flow: string | undefined, opts: { deadLetters?: boolean }) => {
      code = await (await import("./commands/status.js")).statusCommand(io, flow, opts);
    });

  program
    .command("alerts")
    .description("evaluate the alert rules of ferry.config.json now: open and resolve incidents, send notices")
    .option("--check", "only validate ferry.config.json (exit 1 on mistakes)")
    .action(async (opts: { check?: boolean }) => {
      code = await (await import("./commands/alerts.js")).alertsCommand(io, opts);
    });

  program
    .command("replay")
    .description("write a flow's dead letters again (after fixing the cause)")
    .argument("<flow>", "a .map file, or the name of a flow in mappings/")
    .option("--id <id>", "only the dead letters of this source id")
    .action(async (flow: string, opts: { id?: string }) => {
      code = await (await import("./commands/replay.js")).replayCommand(io, flow, opts);
    });

  program
    .command("load")
    .description("fill a lookup collection from a .jsonl or .json file (replacing it unless --append)")
    .argument("<collection>", "collection name, as lookup mongo(\"…\") names it")
    .argument("<file>", "a .jsonl file (one document per line) or a .json array")
    .option("--append", "add to the collection instead of replacing it")
    .action(async (collection: string, file: string, opts: { append?: boolean }) => {
      code = await (await import("./commands/collections.js")).loadCommand(io, collection, file, opts);
    });

  program
    .command("collections")
    .description("list the lookup collections and their sizes")
    .action(async () => {
      code = await (await import("./commands/collections.js")).collectionsCommand(io);
    });

  program
    .command("systems")
    .description("list the systems flows are checked against (built-in specs and the project's systems/), their operations, forms and fields")
    .argument("[system]", "a system: its operations and forms (or `pull`, see below)")
    .argument("[item]", "an operation or form of the system: its params and fields")
    .option("--form <id>", "with `pull kingdee`: the form whose fields to pull (QueryBusinessInfo)")
    .option("--project <id>", "with `pull banniu`: the project whose columns to pull (column.list)")
    .option("--param <name=value>", "with `sample`: a request parameter (repeatable)", (v: string, all: string[] = []) => [...all, v])
    .argument("[operation]", "with `sample`: the read operation to call")
    .addHelpText(
      "after",
      "\n  ferry systems pull kingdee --form SAL_SaleOrder   writes the form's fields the specs lack into systems/\n  ferry systems pull banniu --project 27912        writes the project's columns into systems/\n  ferry systems sample <system> <operation> [--param k=v]…   reads one page, proposes a record schema, compares it with the spec",
    )
    .action(async (system: string | undefined, item: string | undefined, operation: string | undefined, opts: { form?: string; project?: string; param?: string[] }) => {
      if (system === "pull") code = await (await import("./commands/systems-pull.js")).systemsPullCommand(io, item, opts);
      else if (system === "sample") code = await (await import("./commands/systems-sample.js")).systemsSampleCommand(io, item, operation, opts.param ?? []);
      else code = (await import("./commands/systems.js")).systemsCommand(io, system, item);
    });

  program
    .command("sandbox")
    .description("run local emulators of Guanyi, Kingdee and Banniu until interrupted")
    .option("--port <port>", "port on 127.0.0.1 (default: a free one)", (v) => portNumber(v, "--port"))
    .option("--seed <n>", "seed of the generated data and injected faults", (v) => positiveInt(v, "--seed"), 1)
    .option("--records <n>", "Guanyi shops to generate", (v) => positiveInt(v, "--records"), 3000)
    .option("--tasks <n>", "Banniu tasks to generate", (v) => positiveInt(v, "--tasks"), 40)
    .option("--faults <spec>", "faults to inject, e.g. kingdee.batchSave:500@5%,guanyi:timeout@2%")
    .action(async (opts: { port?: number; seed?: number; records?: number; tasks?: number; faults?: string }) => {
      const stop = new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      code = await (await import("./commands/sandbox.js")).sandboxCommand(io, opts, stop);
    });

  program
    .command("serve")
    .description("web console and Prometheus /metrics over the state store, until interrupted")
    .option("--port <port>", "port to listen on", (v) => portNumber(v, "--port"), 7300)
    .option("--host <host>", "address to bind; anything but loopback needs FERRY_SERVE_TOKEN", "127.0.0.1")
    .action(async (opts: { port: number; host: string }) => {
      const stop = new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      code = await (await import("./commands/serve.js")).serveCommand(io, opts, stop);
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; unknown commands and options with 1 from commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // Commands load lazily (startup stays fast), so their error classes are recognised by name.
    if (error instanceof Error && USAGE_ERRORS.has(error.name)) {
      io.stderr.write(`ferry: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
