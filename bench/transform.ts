/**
 * Records per second of the Guanyi shop → Kingdee customer transform, three ways on the same records
 * in the same process: the module ferry generates, the same mapping written by hand, and JSONata.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import jsonata from "jsonata";
import { compileSource, loadModule } from "../compiler/index.js";
import type { FlowModule, MapContext } from "../runtime/index.js";
import { median } from "./cli.js";
import { sameValue } from "./equal.js";
import { shopToCustomer, type GuanyiShop, type KingdeeCustomer } from "./handwritten.js";
import { GUANYI_JSONATA } from "./jsonata-expression.js";
import { generateShops } from "./records.js";

const GUANYI = "mappings/guanyi-shops-to-kingdee-customers.map";
const RECORDS = 1_000_000;
const VERIFY = 1_000;
const WARMUP = 50_000;
/** Timed passes over all records for the two fast transforms (interleaved); JSONata gets one. */
const ROUNDS = 5;
/** Rows are kept in a batch the size of the target's, as the runtime does, so they escape. */
const BATCH = 100;

type Flow = FlowModule<GuanyiShop, KingdeeCustomer>;
type Expr = ReturnType<typeof jsonata>;

export interface TransformResult {
  readonly records: number;
  readonly jsonata_records: number;
  readonly compiled_rps: number;
  readonly handwritten_rps: number;
  readonly jsonata_rps: number;
  readonly compiled_vs_handwritten: number;
  readonly compiled_vs_jsonata: number;
  readonly targets: { readonly vs_handwritten: number; readonly vs_jsonata: number };
  readonly meets_targets: boolean;
  /** Every timed pass, records per second (compiled and hand-written: median reported above). */
  readonly runs: { readonly compiled_rps: readonly number[]; readonly handwritten_rps: readonly number[]; readonly jsonata_rps: readonly number[] };
  readonly rounds: number;
  readonly warmup_records: number;
  readonly verified_records: number;
  /** The same checksum from all three transforms over all records. */
  readonly checksum: number;
}

const ctx: MapContext = {
  window: null,
  env: () => undefined,
  now: () => "2024-01-01 00:00:00",
  lookup: () => undefined,
  jsonata: () => undefined,
};

const weight = (row: KingdeeCustomer): number =>
  row.FNumber.length + row.FCustTypeId.FNumber.length + (row.FDescription === undefined ? 0 : row.FDescription.length + 1);

// One loop per transform, so each call site stays monomorphic. Each returns a checksum of the rows.

function runCompiled(flow: Flow, records: readonly GuanyiShop[], from: number, to: number, batch: KingdeeCustomer[]): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const row = flow.map(records[i] as GuanyiShop, ctx);
    batch[i % BATCH] = row;
    sum += weight(row);
  }
  return sum;
}

function runHandwritten(records: readonly GuanyiShop[], from: number, to: number, batch: KingdeeCustomer[]): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const row = shopToCustomer(records[i] as GuanyiShop);
    batch[i % BATCH] = row;
    sum += weight(row);
  }
  return sum;
}

async function runJsonata(
  expr: Expr,
  records: readonly GuanyiShop[],
  from: number,
  to: number,
  batch: KingdeeCustomer[],
  progress?: (done: number) => void,
): Promise<number> {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const row = (await expr.evaluate(records[i])) as KingdeeCustomer;
    batch[i % BATCH] = row;
    sum += weight(row);
    if (progress && (i + 1) % 100_000 === 0) progress(i + 1);
  }
  return sum;
}

const elapsedSeconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Loads the generated module of the Guanyi seed flow in this process. */
function compileFlow(root: string): Flow {
  const text = readFileSync(join(root, GUANYI), "utf8");
  const { code, diagnostics } = compileSource(text, GUANYI);
  if (!code) throw new Error(`bench: ${GUANYI} does not compile:\n${JSON.stringify(diagnostics, null, 2)}`);
  return loadModule(code) as unknown as Flow;
}

/** Fails loudly unless the three transforms give the same rows for the first `count` records. */
async function verify(flow: Flow, expr: Expr, records: readonly GuanyiShop[], count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const record = records[i] as GuanyiShop;
    const compiled = flow.map(record, ctx);
    const handwritten = shopToCustomer(record);
    const viaJsonata: unknown = await expr.evaluate(record);
    if (!sameValue(compiled, handwritten) || !sameValue(compiled, viaJsonata)) {
      throw new Error(
        `bench: the transforms disagree on record ${i}\n` +
          `record:      ${JSON.stringify(record)}\n` +
          `compiled:    ${JSON.stringify(compiled)}\n` +
          `handwritten: ${JSON.stringify(handwritten)}\n` +
          `jsonata:     ${JSON.stringify(viaJsonata)}`,
      );
    }
  }
}

export async function benchTransform(root: string): Promise<TransformResult> {
  const flow = compileFlow(root);
  const expr = jsonata(GUANYI_JSONATA);

  log(`generating ${RECORDS.toLocaleString("en")} Guanyi shop records…`);
  const records = generateShops(RECORDS);
  if (records.length !== RECORDS) throw new Error(`bench: generated ${records.length} records, expected ${RECORDS}`);

  await verify(flow, expr, records, VERIFY);
  log(`compiled, hand-written and JSONata agree on the first ${VERIFY} records`);

  const batch: KingdeeCustomer[] = new Array<KingdeeCustomer>(BATCH);
  let sink = 0;

  // Warm-up: let every transform reach its optimised tier before the clock runs.
  for (let k = 0; k < 3; k++) {
    sink += runCompiled(flow, records, 0, WARMUP, batch);
    sink += runHandwritten(records, 0, WARMUP, batch);
  }
  sink += await runJsonata(expr, records, 0, WARMUP, batch);

  const compiledRuns: number[] = [];
  const handwrittenRuns: number[] = [];
  const checksums = new Set<number>();
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so neither always runs right after the other's garbage.
    const order = round % 2 === 0 ? (["compiled", "handwritten"] as const) : (["handwritten", "compiled"] as const);
    for (const which of order) {
      const start = process.hrtime.bigint();
      const sum = which === "compiled" ? runCompiled(flow, records, 0, RECORDS, batch) : runHandwritten(records, 0, RECORDS, batch);
      const rps = RECORDS / elapsedSeconds(start);
      checksums.add(sum);
      (which === "compiled" ? compiledRuns : handwrittenRuns).push(Math.round(rps));
      log(`round ${round + 1}/${ROUNDS} ${which}: ${Math.round(rps).toLocaleString("en")} records/s`);
    }
  }

  log(`JSONata over ${RECORDS.toLocaleString("en")} records (progress every 100,000)…`);
  const jsonataStart = process.hrtime.bigint();
  const jsonataSum = await runJsonata(expr, records, 0, RECORDS, batch, (done) => {
    const seconds = elapsedSeconds(jsonataStart);
    const rate = done / seconds;
    log(`  JSONata ${done.toLocaleString("en")} records, ${Math.round(rate).toLocaleString("en")}/s, ~${Math.round((RECORDS - done) / rate)} s left`);
  });
  const jsonataRps = Math.round(RECORDS / elapsedSeconds(jsonataStart));
  checksums.add(jsonataSum);
  if (checksums.size !== 1) throw new Error(`bench: the transforms' checksums differ: ${[...checksums].join(", ")}`);
  const checksum = [...checksums][0] as number;
  if (sink === 0) throw new Error("bench: warm-up produced nothing");

  const compiledRps = Math.round(median(compiledRuns));
  const handwrittenRps = Math.round(median(handwrittenRuns));
  const vsHandwritten = compiledRps / handwrittenRps;
  const vsJsonata = compiledRps / jsonataRps;
  const targets = { vs_handwritten: 0.5, vs_jsonata: 50 };
  return {
    records: RECORDS,
    jsonata_records: RECORDS,
    compiled_rps: compiledRps,
    handwritten_rps: handwrittenRps,
    jsonata_rps: jsonataRps,
    compiled_vs_handwritten: Math.round(vsHandwritten * 1000) / 1000,
    compiled_vs_jsonata: Math.round(vsJsonata * 10) / 10,
    targets,
    meets_targets: vsHandwritten >= targets.vs_handwritten && vsJsonata >= targets.vs_jsonata,
    runs: { compiled_rps: compiledRuns, handwritten_rps: handwrittenRuns, jsonata_rps: [jsonataRps] },
    rounds: ROUNDS,
    warmup_records: WARMUP,
    verified_records: VERIFY,
    checksum,
  };
}
