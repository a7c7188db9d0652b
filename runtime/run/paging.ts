import type { ReadResponse } from "../connector.js";
import type { Scalar, SourceSpec } from "../types.js";
import { previewOf } from "../state/storable.js";
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

/**
 * Pages one window may have unless the run is told otherwise (`--max-pages`, `FERRY_MAX_PAGES`):
 * 1,000,000 records in pages of 100. A window larger than that is better cut with `step`; a source
 * that answers full pages without end (no `total`, or one that keeps growing) fails here instead of
 * being read forever.
 */
export const DEFAULT_MAX_PAGES = 10_000;

/**
 * Reads every page of one window, following the flow's paging. Stops on an empty or short page or
 * on a missing cursor; fails loudly on a page or cursor that repeats, and on a window of more than
 * `maxPages` pages.
 *
 * `total` never ends a window early. A full page that brings the count read exactly to `total` is
 * followed by one more request, which confirms the end (empty, or the last page answered again past
 * the end) or shows the total stale; a full page that takes the count past `total` proves it stale.
 * A stale total ends nothing: the window is read on to a short or empty page, with a warning.
 */
export async function* readPages(
  source: SourceSpec,
  params: Readonly<Record<string, Scalar>>,
  call: (params: Readonly<Record<string, Scalar>>) => Promise<ReadResponse>,
  idOf: (record: unknown) => string,
  warn: (message: string) => void,
  maxPages: number = DEFAULT_MAX_PAGES,
): AsyncGenerator<Page> {
  const page = source.page;
  const size = page?.size ?? null;
  let position: number | string | null = page ? (page.mode === "cursor" ? null : Number(page.from)) : null;
  const seenCursors = new Set<string>();
  // Each page's records by id, in any order: a source that ignores paging may shuffle what it repeats.
  const seenPages = new Map<string, number>();
  let read = 0;
  let total: number | null = null;
  /** A full page went past the total: from then on only a short or empty page ends the window. */
  let stale = false;
  /** The count read reached the total on a full page: this request says whether that was the end. */
  let confirming = false;
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
    if (index >= maxPages) {
      throw new PagingError(
        `page ${index + 1} still has records: the window has more than ${maxPages} pages ${total === null ? "and the source reports no total" : `(${read} records read, the source reports ${total})`}; ` +
          `stopping instead of reading without end. If the window is truly that large, raise the ceiling (--max-pages or FERRY_MAX_PAGES) or read smaller windows (\`step\`)`,
      );
    }

    const fingerprint = pageFingerprint(records, idOf);
    const earlier = seenPages.get(fingerprint);
    if (earlier !== undefined) {
      // Past the total, some sources answer their last page again instead of an empty one.
      if (confirming && earlier === index - 1) break;
      const which = earlier === index - 1 ? "the page before it" : `page ${earlier + 1}`;
      throw new PagingError(`page ${index + 1} repeats ${which} (${records.length} records with the same ids): the source ignores ${page ? `\`${page.param}\`` : "paging"}; stopping instead of looping`);
    }
    seenPages.set(fingerprint, index);
    confirming = false;
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
    if (total !== null && !stale) {
      // Without a page size no page is known to be full: the total is all there is to stop on.
      if (size === null && read >= total) break;
      if (read > total) stale = true;
      else if (read === total) confirming = true;
    }
    position = page.mode === "number" ? Number(position) + 1 : Number(position) + records.length;
  }
  if (total !== null && read !== total) {
    warn(`read ${read} records where the source reported a total of ${total}${read > total ? " (a stale total: the window was read on to a short or empty page)" : ""}`);
  }
}

/**
 * What identifies a page whatever the order of its records: the hash of its sorted ids. Records
 * without an id count by their content, so pages of different id-less records are told apart.
 */
function pageFingerprint(records: readonly unknown[], idOf: (record: unknown) => string): string {
  const keys = records.map((r) => {
    try {
      const id = idOf(r);
      return id === "" ? `\u0001${stableJson(r)}` : id;
    } catch (error) {
      // A record too deep to serialise is dead-lettered by the run; here its beginning tells it apart.
      if (!(error instanceof RangeError)) throw error;
      return `\u0002${previewOf(r)}`;
    }
  });
  keys.sort();
  return contentHash(keys);
}
