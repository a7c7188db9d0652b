/**
 * JSON that keeps every digit of an integer. JSON.parse reads numbers as doubles, so two ids beyond
 * 2^53 that differ in their last digit (9007199254740993 and 9007199254740992) become one number,
 * and one of the two records is silently never written. Here an integer too large for a double is
 * read as a BigInt, which String(), the pipes, the content hash, the state store and request bodies
 * all write back with its exact digits; every other number stays a plain JS number.
 *
 * Almost no answer has such an integer, so the fast path is JSON.parse after a scan for a number
 * token of 16 or more digits (the shortest that can exceed 2^53 − 1); only a hit is parsed by
 * lossless-json. Writing is JSON.stringify unless the value holds a BigInt.
 */
import { isInteger, isSafeNumber, parse as losslessParse, stringify as losslessStringify } from "lossless-json";

/**
 * A number token of at least 16 digits: after `[`, `:`, `,` or the start (and white space), before
 * `,`, `]`, `}`, white space or the end. Digits inside a string rarely look like this; when they do,
 * the lossless parse merely reads the same values more slowly.
 */
const LONG_NUMBER = /(?:^|[[:,])\s*-?\d{16,}(?:[.eE][-+\d.eE]*)?\s*(?=[,\]}]|$)/;

/** Integers a double cannot hold become BigInt; everything else is the number JSON.parse would give. */
function parseNumber(text: string): number | bigint {
  return isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text);
}

/** Duplicate keys: the last one wins, as with JSON.parse. */
const options = { parseNumber, onDuplicateKey: ({ newValue }: { newValue: unknown }) => newValue };

/**
 * JSON.parse that keeps integers beyond ±(2^53 − 1) as BigInt. Throws JSON.parse's own SyntaxError
 * for text that is not JSON, so messages about broken answers read the same either way.
 */
export function readJson(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text) as unknown;
  try {
    return losslessParse(text, null, options);
  } catch (error) {
    // V8's message says where and why (end of input, unterminated string); report that one.
    JSON.parse(text);
    throw error;
  }
}

/** JSON.stringify that writes a BigInt as its digits, a bare JSON number. */
export function writeJson(value: unknown, space?: number): string | undefined {
  try {
    return JSON.stringify(value, null, space);
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    return losslessStringify(value, null, space);
  }
}
