import { Command, CommanderError, Option } from "commander";
import { UsageError } from "../compiler/project.js";
import { buildCommand } from "./commands/build.js";
import { checkCommand } from "./commands/check.js";
import { demoCommand } from "./commands/demo.js";
import { explainCommand } from "./commands/explain.js";
import { testCommand } from "./commands/test.js";
import { EXIT, type Io } from "./io.js";
import { VERSION } from "./version.js";

const DEFAULT_PATHS = ["mappings"];

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

  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; unknown commands and options with 1 from commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`ferry: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
