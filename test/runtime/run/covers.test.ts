import { describe, expect, it } from "vitest";
import { covers } from "../../../runtime/run/batch-writer.js";

const update = { project_id: "27912", task_id: 8100001, contents: { "101297": "6901234567892", "101300": "进行中" } };
const task = { project_id: "27912", task_id: 8100001, contents: { "-1": 8100001, "27963": "G1001", "27970": "1", "101297": "6901234567892", "101300": "进行中" } };

describe("whether a target holds what a write sets", () => {
  it.each<[string, unknown, unknown, boolean]>([
    ["a task with more columns than the update sets", task, update, true],
    ["a task whose updated column differs", { ...task, contents: { ...task.contents, "101300": "已完成" } }, update, false],
    ["a task without the updated column", { ...task, contents: { "-1": 8100001 } }, update, false],
    ["a reference with more keys than it is written with", { FName: "甲", FCreateOrgId: { FNumber: "100", FName: "总部" } }, { FName: "甲", FCreateOrgId: { FNumber: "100" } }, true],
    ["a reference to another number", { FCreateOrgId: { FNumber: "200" } }, { FCreateOrgId: { FNumber: "100" } }, false],
    ["a number held as text", { task_id: "8100001" }, { task_id: 8100001 }, false],
    ["a list of the same entries, each with more fields", { e: [{ a: 1, b: 2 }, { a: 3, b: 4 }] }, { e: [{ a: 1 }, { a: 3 }] }, true],
    ["a longer list", { e: [{ a: 1 }, { a: 3 }, { a: 5 }] }, { e: [{ a: 1 }, { a: 3 }] }, false],
    ["an object where a list is written", { e: { 0: { a: 1 } } }, { e: [{ a: 1 }] }, false],
    ["null written, null held", { note: null }, { note: null }, true],
    ["null written, nothing said of the field", {}, { note: null }, false],
    ["a field the write leaves out", { note: "x" }, { note: undefined }, true],
    ["an integer beyond 2^53, the same digits", { id: 9007199254740993n }, { id: 9007199254740993n }, true],
    ["an integer beyond 2^53, its neighbour", { id: 9007199254740992n }, { id: 9007199254740993n }, false],
  ])("%s: %s", (_, held, written, expected) => {
    expect(covers(held, written)).toBe(expected);
  });
});
