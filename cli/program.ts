import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../compiler/project.js";
import { buildCommand } from "./commands/build.js";
import { checkCommand } from "./commands/check.js";
import { demoCommand } from "./commands/demo.js";
import { explainCommand } from "./commands/explain.js";
import { testCommand } from "./commands/test.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import { replayCommand } from "./commands/replay.js";
import { collectionsCommand, loadCommand } from "./commands/collections.js";
import { SetupError } from "./wiring.js";
import { WindowError } from "../runtime/run/windows.js";
import { EXIT, type Io } from "./io.js";
import { VERSION } from "./version.js";

const DEFAULT_PATHS = ["mappings"];

function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${option} takes a whole number of at least 1`);
  return n;
}

/** Runs the ferry command line with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command("ferry")
    .description("Compile, check and test .map integration flows.")
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
    .action((paths: string[], opts: { json?: boolean }) => {
      code = checkCommand(io, paths, opts);
    });

  program
    .command("build")
    .description("compile .map files into typed TypeScript modules")
    .argument("[paths...]", ".map files or folders", DEFAULT_PATHS)
    .option("-o, --out <dir>", "output folder", "generated")
    .action((paths: string[], opts: { out: string }) => {
      code = buildCommand(io, paths, opts);
    });

  program
    .command("test")
    .description("run the example blocks of .map files")
    .argument("[paths...]", ".map files or folders", DEFAULT_PATHS)
    .action(async (paths: string[]) => {
      code = await testCommand(io, paths);
    });

  program
    .command("explain")
    .description("explain a diagnostic code, e.g. ferry explain MAP2001")
    .argument("[code]", "a code such as MAP2001; without one, the list of codes")
    .action((c: string | undefined) => {
      code = explainCommand(io, c);
    });

  program
    .command("demo")
    .description("check, build and test the flows in mappings/ (what `npm start` runs)")
    .addOption(new Option("--mappings <dir>", "folder of .map files").default("mappings"))
    .option("-o, --out <dir>", "output folder", "generated")
    .action(async (opts: { mappings: string; out: string }) => {
      code = await demoCommand(io, opts);
    });

  program
    .command("run")
    .description("run a flow: read, map, write, remember (exit 0 all written, 3 some rows dead-lettered, 1 failed)")
    .argument("<flow>", "a .map file, or the name of a flow in mappings/")
    .option("--from <time>", "start of the window (yyyy-MM-dd[ HH:mm:ss], Asia/Shanghai); default: the checkpoint")
    .option("--to <time>", "end of the window; default: now")
    .option("--limit <n>", "stop after reading n records", (v) => positiveInt(v, "--limit"))
    .option("--dry-run", "read and map, report new/changed/unchanged rows, write nothing")
    .option("--json", "also print the run summary as JSON on stdout")
    .action(async (flow: string, opts: { from?: string; to?: string; limit?: number; dryRun?: boolean; json?: boolean }) => {
      code = await runCommand(io, flow, opts);
    });

  program
    .command("status")
    .description("last runs, checkpoints, dead letters and API calls")
    .argument("[flow]", "a flow name; without one, every flow")
    .option("--dead-letters", "list the rows that need attention")
    .action(async (flow: string | undefined, opts: { deadLetters?: boolean }) => {
      code = await statusCommand(io, flow, opts);
    });

  program
    .command("replay")
    .description("write a flow's dead letters again (after fixing the cause)")
    .argument("<flow>", "a .map file, or the name of a flow in mappings/")
    .option("--id <id>", "only the dead letters of this source id")
    .action(async (flow: string, opts: { id?: string }) => {
      code = await replayCommand(io, flow, opts);
    });

  program
    .command("load")
    .description("fill a lookup collection from a .jsonl or .json file (replacing it unless --append)")
    .argument("<collection>", "collection name, as lookup mongo(\"…\") names it")
    .argument("<file>", "a .jsonl file (one document per line) or a .json array")
    .option("--append", "add to the collection instead of replacing it")
    .action(async (collection: string, file: string, opts: { append?: boolean }) => {
      code = await loadCommand(io, collection, file, opts);
    });

  program
    .command("collections")
    .description("list the lookup collections and their sizes")
    .action(async () => {
      code = await collectionsCommand(io);
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; unknown commands and options with 1 from commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError || error instanceof SetupError || error instanceof WindowError) {
      io.stderr.write(`ferry: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
