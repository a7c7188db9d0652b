/**
 * The source half of the http test server: serves shop records with page-number, offset or cursor
 * paging, the three shapes the runtime's paging must handle.
 */
import { generateShops, type ShopRecord } from "./test-records.js";

/** What a route answers: a status and a JSON body. */
export interface RouteAnswer {
  readonly status: number;
  readonly body: unknown;
}

export type PagingShape = "number" | "offset" | "cursor";

/** Records the test server serves, changeable between runs. */
export interface TestSourceControl {
  /** Replaces every record. */
  setRecords(records: readonly ShopRecord[]): void;
  /** Applies `patch` to the records with these ids; returns how many matched. */
  update(ids: readonly number[], patch: Partial<Omit<ShopRecord, "id">>): number;
  /** The records as served now. */
  records(): readonly ShopRecord[];
}

const DEFAULT_SIZE = 100;

function bad(message: string): RouteAnswer {
  return { status: 400, body: { error: message } };
}

function wholeNumber(value: unknown, min: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min;
}

/** Cursors are opaque to clients; base64url of the offset keeps them so without state. */
function encodeCursor(offset: number): string {
  return Buffer.from(`o${offset}`).toString("base64url");
}

function decodeCursor(cursor: string): number | undefined {
  const match = /^o(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match ? Number(match[1]) : undefined;
}

export class TestSource implements TestSourceControl {
  private rows: ShopRecord[];

  constructor(
    count: number,
    seed: number,
    private readonly maxPageSize: number,
    /** Answer the first page whatever is asked: a source that ignores its paging parameter. */
    private readonly repeatPage: boolean,
  ) {
    this.rows = generateShops(count, seed);
  }

  setRecords(records: readonly ShopRecord[]): void {
    this.rows = [...records];
  }

  update(ids: readonly number[], patch: Partial<Omit<ShopRecord, "id">>): number {
    const wanted = new Set(ids);
    let matched = 0;
    this.rows = this.rows.map((r) => {
      if (!wanted.has(r.id)) return r;
      matched++;
      return { ...r, ...patch, id: r.id };
    });
    return matched;
  }

  records(): readonly ShopRecord[] {
    return this.rows;
  }

  /** Answers one page request of the given shape; `params` is the request body. */
  answer(shape: PagingShape, params: Readonly<Record<string, unknown>>): RouteAnswer {
    const size = params.size ?? DEFAULT_SIZE;
    if (!wholeNumber(size, 1) || size > this.maxPageSize) return bad(`size must be a whole number from 1 to ${this.maxPageSize}`);
    const total = this.rows.length;
    switch (shape) {
      case "number": {
        const page = params.page;
        if (!wholeNumber(page, 1)) return bad("page must be a whole number of at least 1");
        const offset = this.repeatPage ? 0 : (page - 1) * size;
        return { status: 200, body: { data: { items: this.rows.slice(offset, offset + size), total } } };
      }
      case "offset": {
        const offset = params.offset ?? 0;
        if (!wholeNumber(offset, 0)) return bad("offset must be a whole number of at least 0");
        const from = this.repeatPage ? 0 : offset;
        return { status: 200, body: { data: { items: this.rows.slice(from, from + size), total } } };
      }
      case "cursor": {
        const cursor = params.cursor ?? null;
        if (cursor !== null && typeof cursor !== "string") return bad("cursor must be a string or null");
        const decoded = cursor === null || cursor === "" ? 0 : decodeCursor(cursor);
        if (decoded === undefined) return bad("cursor is not one this server gave out");
        const offset = this.repeatPage ? 0 : decoded;
        const next = offset + size < total ? encodeCursor(offset + size) : null;
        return { status: 200, body: { data: { items: this.rows.slice(offset, offset + size), next } } };
      }
    }
  }
}
