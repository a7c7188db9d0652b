import type { ValueType } from "../model.js";
import { type, join, nonNull } from "./types.js";

/** What a pipe argument must be. `key` is a bare name or a string (`ref(FNumber)`). */
export type ArgKind = "string" | "int" | "key" | "format" | "any";

export interface PipeSignature {
  readonly name: string;
  readonly args: readonly ArgKind[];
  /** Arguments from this index on are optional. */
  readonly required: number;
  /** Accepts any number of trailing `any` arguments. */
  readonly variadic?: boolean;
  readonly description: string;
  /** What the pipe accepts; `text` also takes numbers (converted), `list` takes arrays. */
  readonly input: "text" | "list" | "any";
  readonly output: (input: ValueType, args: readonly ValueType[]) => ValueType;
}

const keepNull = (base: ValueType["base"]) => (input: ValueType) =>
  type(base, input.nullable, { fromOptionalSource: input.fromOptionalSource });

export const PIPES: readonly PipeSignature[] = [
  { name: "trim", args: [], required: 0, input: "text", output: keepNull("string"), description: "removes white space at both ends" },
  { name: "upper", args: [], required: 0, input: "text", output: keepNull("string"), description: "upper-cases text" },
  { name: "lower", args: [], required: 0, input: "text", output: keepNull("string"), description: "lower-cases text" },
  { name: "string", args: [], required: 0, input: "any", output: keepNull("string"), description: "converts a value to text" },
  { name: "number", args: [], required: 0, input: "any", output: keepNull("number"), description: "parses a number; fails the row on text that is not one" },
  { name: "int", args: [], required: 0, input: "any", output: keepNull("int"), description: "parses a whole number (truncating decimals); fails the row on text that is not a number" },
  { name: "round", args: ["int"], required: 1, input: "any", output: keepNull("number"), description: "rounds half away from zero to n decimals" },
  { name: "date", args: ["format", "format"], required: 1, input: "any", output: keepNull("string"), description: "reformats a date: date(outFormat[, inFormat])" },
  { name: "ref", args: ["key"], required: 1, input: "any", output: () => type("ref"), description: "turns a value into a base-data reference: \"100\" | ref(FNumber) → {\"FNumber\": \"100\"}" },
  { name: "map", args: [], required: 0, input: "any", output: () => type("any", true), description: "replaces values by a table: map { \"0\": \"未开始\" } else \"未知\"" },
  { name: "split", args: ["string"], required: 1, input: "text", output: keepNull("array"), description: "splits text into a list at a separator" },
  { name: "join", args: ["string"], required: 1, input: "list", output: keepNull("string"), description: "joins a list into text with a separator" },
  { name: "unique", args: [], required: 0, input: "list", output: keepNull("array"), description: "drops repeated list elements, keeping the first" },
  { name: "default", args: ["any"], required: 1, input: "any", output: (input, [d]) => join(nonNull(input), d ?? type("any")), description: "replaces null or empty text by a value" },
  { name: "replace", args: ["string", "string"], required: 2, input: "text", output: keepNull("string"), description: "replaces every occurrence of a text by another" },
  { name: "substr", args: ["int", "int"], required: 1, input: "text", output: keepNull("string"), description: "cuts text: substr(start[, length]), counting characters" },
  { name: "concat", args: [], required: 0, variadic: true, input: "any", output: () => type("string"), description: "appends values as text (null as empty)" },
];

export function findPipe(name: string): PipeSignature | undefined {
  return PIPES.find((p) => p.name === name);
}

export interface FunctionSignature {
  readonly name: string;
  readonly args: number;
  readonly description: string;
}

/** Functions callable in expressions (everything else is a pipe). */
export const FUNCTIONS: readonly FunctionSignature[] = [
  { name: "env", args: 1, description: "env(\"NAME\"): an environment variable, or null" },
  { name: "now", args: 0, description: "now(): the run's start time, yyyy-MM-dd HH:mm:ss" },
];

/** Format tokens `date(…)` and `window … format` understand. */
export const DATE_TOKENS = ["yyyy", "MM", "dd", "HH", "mm", "ss", "SSS"] as const;
