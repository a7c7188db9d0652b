import { DIAGNOSTICS } from "../../compiler/diagnostics.js";
import { renderExplanation } from "../../compiler/render.js";
import { EXIT, useColor, type Io } from "../io.js";

/** `ferry explain <code>`; without a code, the list of codes. */
export function explainCommand(io: Io, code: string | undefined): number {
  if (code === undefined) {
    for (const [c, entry] of Object.entries(DIAGNOSTICS)) io.stdout.write(`${c}  ${entry.title}\n`);
    return EXIT.ok;
  }
  const text = renderExplanation(code, { color: useColor(io) });
  if (text === undefined) {
    io.stderr.write(`ferry: unknown code ${JSON.stringify(code)}; \`ferry explain\` lists the codes\n`);
    return EXIT.usage;
  }
  io.stdout.write(`${text}\n`);
  return EXIT.ok;
}
