/**
 * Command-line options of the http test server (./test-server-main.ts), kept apart from the entry
 * point so they can be tested without starting a process.
 */
import { parseArgs } from "node:util";
import type { FaultName, HttpTestServerOptions } from "./test-server.js";

const FAULTS: readonly FaultName[] = ["429", "500", "timeout", "reset", "html", "truncated"];

function count(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, not ${JSON.stringify(text)}`);
  return n;
}

/** Options from the command line; throws with a usage message on bad input. */
export function parseServerArgs(argv: readonly string[]): HttpTestServerOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      records: { type: "string" },
      seed: { type: "string" },
      port: { type: "string" },
      "fault-rate": { type: "string" },
      "fault-kinds": { type: "string" },
      "fault-seed": { type: "string" },
      limit: { type: "string", multiple: true },
      "target-path": { type: "string" },
    },
  });
  const targetPath = values["target-path"];
  if (targetPath !== undefined && !/^\/\S*$/.test(targetPath)) throw new Error(`--target-path takes a path starting with /, not ${JSON.stringify(targetPath)}`);
  const rate = values["fault-rate"] === undefined ? 0 : Number(values["fault-rate"]);
  if (!(rate >= 0 && rate <= 1)) throw new Error("--fault-rate takes a number from 0 to 1");
  const kinds = (values["fault-kinds"] ?? "429,500").split(",").filter((k) => k !== "");
  const unknown = kinds.filter((k) => !(FAULTS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`--fault-kinds: unknown ${unknown.join(", ")}; known: ${FAULTS.join(", ")}`);
  const limits: Record<string, { perSecond: number }> = {};
  for (const spec of values.limit ?? []) {
    const match = /^(\/\S*)=(\d+)$/.exec(spec);
    if (!match?.[1] || !match[2]) throw new Error(`--limit takes PATH=PER_SECOND, e.g. /shops=20, not ${JSON.stringify(spec)}`);
    limits[match[1]] = { perSecond: Number(match[2]) };
  }
  return {
    records: count("records", values.records, 1000),
    seed: count("seed", values.seed, 1),
    port: count("port", values.port, 0),
    ...(rate > 0 ? { faults: { rate, kinds: kinds as FaultName[], seed: count("fault-seed", values["fault-seed"], 1) } } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(targetPath !== undefined ? { targetPath } : {}),
  };
}

