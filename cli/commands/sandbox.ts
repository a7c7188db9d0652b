import { startSandboxes } from "../../connectors/sandbox/server.js";
import { colors, EXIT, type Io } from "../io.js";

export interface SandboxCommandOptions {
  readonly port?: number;
  readonly seed?: number;
  readonly records?: number;
  readonly tasks?: number;
  readonly faults?: string;
}

/** `ferry sandbox`: runs the three emulators until interrupted, printing the environment that points flows at them. */
export async function sandboxCommand(io: Io, options: SandboxCommandOptions, stop: Promise<void>): Promise<number> {
  const sandboxes = await startSandboxes({ port: options.port, seed: options.seed, shops: options.records, tasks: options.tasks, faults: options.faults });
  const c = colors(io);
  const specNames = [...sandboxes.specs.keys()];
  io.stderr.write(`${c.green("✔")} Guanyi, Kingdee and Banniu sandboxes${specNames.length ? ` and, from their specs, ${specNames.join(", ")}` : ""} on ${sandboxes.url} (seed ${options.seed ?? 1}${options.faults ? `, faults ${options.faults}` : ""})\n`);
  io.stderr.write(`  ${sandboxes.guanyi.shops().length} Guanyi shops · ${sandboxes.banniu.tasks().length} Banniu tasks · Kingdee BD_Customer empty${specNames.length ? " · seeded records for every read of the spec systems" : ""}\n`);
  io.stderr.write("  point flows at them with these variables (Ctrl-C stops the sandboxes):\n\n");
  for (const [k, v] of Object.entries(sandboxes.env)) io.stdout.write(`export ${k}=${v}\n`);
  await stop;
  await sandboxes.close();
  io.stderr.write(`\nsandboxes stopped; Kingdee saved ${sandboxes.kingdee.totalSaves()}, Banniu saved ${sandboxes.banniu.totalSaves()}\n`);
  return EXIT.ok;
}
