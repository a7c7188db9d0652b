import type { ReadResponse } from "../connector.js";
import type { Scalar, SourceSpec } from "../types.js";
import { contentHash, stableJson } from "./hash.js";

export interface Page {
  /** 0-based position of the page within its window. */
  readonly index: number;
  readonly records: readonly unknown[];
  readonly total: number | null;
}

/** The source's paging does not behave: following it further would loop or lose records. */
export class PagingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PagingError";
  }
}

/** Extra pages tolerated past what `total` promises before the source is called inconsistent. */
const PAGES_PAST_TOTAL = 2;

/**
 * Reads every page of one window, following the flow's paging. Stops on an empty or short page, on a
 * missing cursor, or when `total` records were read; fails loudly on a page or cursor that repeats.
 */
export async function* readPages(
  source: SourceSpec,
  params: Readonly<Record<string, Scalar>>,
  call: (params: Readonly<Record<string, Scalar>>) => Promise<ReadResponse>,
  idOf: (record: unknown) => string,
  warn: (message: string) => void,
): AsyncGenerator<Page> {
  const page = source.page;
  const size = page?.size ?? null;
  let position: number | string | null = page ? (page.mode === "cursor" ? null : Number(page.from)) : null;
  const seenCursors = new Set<string>();
  // Each page's records by id, in any order: a source that ignores paging may shuffle what it repeats.
  const seenPages = new Map<string, number>();
  let read = 0;
  let total: number | null = null;
  for (let index = 0; ; index++) {
    const request: Record<string, Scalar> = { ...params };
    if (page) {
      if (page.mode !== "cursor" || position !== null) request[page.param] = position;
      if (page.sizeParam && size !== null) request[page.sizeParam] = size;
    }
    const response = await call(request);
    total = response.total ?? total;
    const records = response.records;
    if (records.length === 0) break;

    const fingerprint = pageFingerprint(records, idOf);
    const earlier = seenPages.get(fingerprint);
    if (earlier !== undefined) {
      const which = earlier === index - 1 ? "the page before it" : `page ${earlier + 1}`;
      throw new PagingError(`page ${index + 1} repeats ${which} (${records.length} records with the same ids): the source ignores ${page ? `\`${page.param}\`` : "paging"}; stopping instead of looping`);
    }
    seenPages.set(fingerprint, index);
    if (total !== null && size !== null && index > Math.ceil(total / size) + PAGES_PAST_TOTAL) {
      throw new PagingError(`page ${index + 1} is past the ${total} records the source reported; stopping instead of looping`);
    }
    read += records.length;
    yield { index, records, total };

    if (!page) break;
    if (page.mode === "cursor") {
      const next = response.cursor;
      if (next === null || next === "") break;
      if (seenCursors.has(next)) throw new PagingError(`the source returned cursor ${JSON.stringify(next.slice(0, 40))} twice; stopping instead of looping`);
      seenCursors.add(next);
      position = next;
      continue;
    }
    if (size !== null && records.length < size) break;
    if (total !== null && read >= total) break;
    position = page.mode === "number" ? Number(position) + 1 : Number(position) + records.length;
  }
  if (total !== null && read !== total) {
    warn(`read ${read} records where the source reported a total of ${total}`);
  }
}

/**
 * What identifies a page whatever the order of its records: the hash of its sorted ids. Records
 * without an id count by their content, so pages of different id-less records are told apart.
 */
function pageFingerprint(records: readonly unknown[], idOf: (record: unknown) => string): string {
  const keys = records.map((r) => {
    const id = idOf(r);
    return id === "" ? `\u0001${stableJson(r)}` : id;
  });
  keys.sort();
  return contentHash(keys);
}
