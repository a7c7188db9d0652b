import type { ReadResponse } from "../connector.js";
import type { Scalar, SourceSpec } from "../types.js";

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
  let previous: string | undefined;
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

    const fingerprint = `${records.length}:${records.map(idOf).join("\u0000")}`;
    if (fingerprint === previous) {
      throw new PagingError(`page ${index + 1} repeats the page before it (${records.length} records with the same ids): the source ignores ${page ? `\`${page.param}\`` : "paging"}; stopping instead of looping`);
    }
    previous = fingerprint;
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
