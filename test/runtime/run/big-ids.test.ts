import { afterEach, describe, expect, it } from "vitest";
import { contentHash, stableJson } from "../../../runtime/run/hash.js";
import { readJson, writeJson } from "../../../runtime/json.js";
import { readId } from "../../../runtime/run/map-record.js";
import { SqliteStateStore } from "../../../runtime/state/sqlite.js";
import { flowOf, startBench, type Bench } from "../../support/runtime.js";

/** 2^53 + 1 and 2^53: one double apart from nothing, so JSON.parse makes them the same number. */
const BIG = "9007199254740993";
const NEIGHBOUR = "9007199254740992";

const FLOW = flowOf(`
mapping big_ids "Big ids"

source http "/shops" {
  page    number page from 1 size size 100
  records data.items
  total   data.total
  id      id
}

target http "/customers" {
  batch   50
  idcheck code
}

fields {
  code : string  <- id | string
  name : string  <- name
  raw           <- id
}
`);

/** One page of records, as the source's JSON text: the ids written as they would arrive. */
function page(items: readonly string[]): string {
  return `{"data":{"items":[${items.join(",")}],"total":${items.length}}}`;
}

let bench: Bench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe("ids beyond 2^53", () => {
  it("keeps every digit from the source's answer through the write record to the target's request", async () => {
    bench = await startBench();
    const answer = page([`{"id":${BIG},"name":"a"}`, `{"id":${NEIGHBOUR},"name":"b"}`]);
    bench.server.answerNext("/shops", { body: answer }, 2);

    const first = await bench.run(FLOW);
    expect(first.status, first.error ?? "").toBe("ok");
    expect(first.written).toBe(2);
    // Both ids reached the target as the integers they are, not as one rounded number.
    expect(bench.server.target.writes(BIG)).toBe(1);
    expect(bench.server.target.writes(NEIGHBOUR)).toBe(1);
    expect(bench.server.target.row(BIG)).toMatchObject({ code: BIG, raw: BigInt(BIG) });
    expect(bench.server.target.row(NEIGHBOUR)).toMatchObject({ code: NEIGHBOUR, raw: BigInt(NEIGHBOUR) });

    // The write record holds both, each with its own hash, so a second run skips both.
    const written = await bench.store.written("big_ids", [BIG, NEIGHBOUR]);
    expect([...written.keys()].sort()).toEqual([NEIGHBOUR, BIG]);
    expect(written.get(BIG)?.hash).not.toBe(written.get(NEIGHBOUR)?.hash);
    const second = await bench.run(FLOW);
    expect({ written: second.written, unchanged: second.unchanged }).toEqual({ written: 0, unchanged: 2 });
    expect(bench.server.target.totalWrites()).toBe(2);
  });

  it("refuses object, array and boolean ids as dead letters with the reason, and writes the other records", async () => {
    bench = await startBench();
    bench.server.answerNext("/shops", {
      body: page([`{"id":{"n":1},"name":"a"}`, `{"id":[1,2],"name":"b"}`, `{"id":true,"name":"c"}`, `{"id":"",  "name":"d"}`, `{"id":${BIG},"name":"e"}`]),
    });
    const summary = await bench.run(FLOW);
    expect(summary.status).toBe("dead-letters");
    expect(summary.written).toBe(1);
    const letters = await bench.store.deadLetters("big_ids", { unresolvedOnly: true });
    expect(letters.map((l) => l.reason).sort()).toEqual([
      "the record has no id at `id`",
      "the record's id at `id` is an array, not a string or a number",
      "the record's id at `id` is an object, not a string or a number",
      "the record's id at `id` is the boolean true, not a string or a number",
    ]);
    expect(new Set(letters.map((l) => l.sourceId)).size).toBe(4);
    expect(letters.every((l) => l.sourceId.startsWith("(no id) "))).toBe(true);
  });

  it("keeps the digits of a dead letter's record in the state store", async () => {
    bench = await startBench();
    // No name: the row cannot be mapped, so the record is kept as a letter.
    bench.server.answerNext("/shops", { body: page([`{"id":${BIG}}`, `{"id":${NEIGHBOUR}}`]) });
    await bench.run(FLOW);
    const reopened = SqliteStateStore.open(`${bench.dir}/state.db`);
    try {
      const letters = await reopened.deadLetters("big_ids", { unresolvedOnly: true });
      expect(letters.map((l) => [l.sourceId, (l.record as { id: unknown }).id]).sort()).toEqual([
        [NEIGHBOUR, BigInt(NEIGHBOUR)],
        [BIG, BigInt(BIG)],
      ]);
    } finally {
      await reopened.close();
    }
  });

  it("keeps the digits of a pending write's row, which confirms it after a crash", async () => {
    bench = await startBench();
    const run = await bench.store.startRun("big_ids", 1, false);
    await bench.store.markPending("big_ids", run, [{ sourceId: BIG, targetId: null, hash: "h", key: BIG, row: { code: BIG, raw: BigInt(BIG) }, updatedAt: 1 }]);
    expect((await bench.store.pending("big_ids")).map((p) => p.row)).toEqual([{ code: BIG, raw: BigInt(BIG) }]);
  });
});

describe("lossless JSON", () => {
  it.each([
    ["an integer beyond 2^53", BIG, BigInt(BIG)],
    ["a negative one", `-${BIG}`, -BigInt(BIG)],
    ["2^53 − 1, the largest safe integer, as a number", "9007199254740991", 9007199254740991],
    ["a 16-digit safe integer", "1234567890123456", 1234567890123456],
    ["a long decimal, as a number", "12345678901234567.5", 12345678901234567.5],
    ["digits in a string", '"12345678901234567890"', "12345678901234567890"],
  ])("reads %s", (_, text, value) => {
    expect(readJson(text)).toEqual(value);
    expect(readJson(`{"a":[${text}]}`)).toEqual({ a: [value] });
  });

  it("reads duplicate keys as JSON.parse does, and fails on broken text with JSON.parse's message", () => {
    expect(readJson(`{"a":${BIG},"a":2}`)).toEqual({ a: 2 });
    expect(() => readJson(`{"a":${BIG},`)).toThrow(/JSON/);
  });

  it("writes a BigInt as its digits and hashes neighbours apart", () => {
    expect(writeJson({ id: BigInt(BIG), n: 1 })).toBe(`{"id":${BIG},"n":1}`);
    expect(writeJson({ n: 1 })).toBe('{"n":1}');
    expect(stableJson({ id: BigInt(BIG) })).toBe(`{"id":${BIG}}`);
    expect(contentHash({ id: BigInt(BIG) })).not.toBe(contentHash({ id: BigInt(NEIGHBOUR) }));
    expect(readId({ id: BigInt(BIG) }, "id")).toEqual({ id: BIG });
  });
});
