/**
 * What every route handler gets and gives back. Handlers never touch the HTTP response: they return
 * a Reply and the server adds the security headers, the final mask and the status line, in one place.
 */
import type { SpecLookup } from "../flow-specs.js";
import type { ConsoleQueries } from "../queries.js";
import type { ReplayFn, ReplayOutcome } from "../replay.js";
import type { Masker } from "../security.js";

/** The console's state, shared by all requests. */
export interface ConsoleContext {
  readonly queries: ConsoleQueries;
  readonly mask: Masker;
  readonly now: () => number;
  /** A flow whose newest run started longer ago than this is stale. */
  readonly staleAfterMs: number;
  /** The per-process token every form carries. */
  readonly csrf: string;
  readonly replay: ReplayFn;
  readonly outcomes: Outcomes;
  /** Flows replaying now: a second click must not write the same letters twice over. */
  readonly replaying: Set<string>;
  readonly specs: SpecLookup;
}

/** One request as a handler sees it. */
export interface RouteRequest {
  /** Decoded path parameters, e.g. `flow`, `id`. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The form fields of a POST. */
  readonly form: URLSearchParams;
  /** The CSP nonce of this response, for the page's inline script. */
  readonly nonce: string;
}

/** What a handler answers. */
export type Reply =
  | { readonly kind: "html"; readonly status?: number; readonly body: string }
  | { readonly kind: "json"; readonly status?: number; readonly body: unknown }
  | { readonly kind: "text"; readonly status?: number; readonly body: string; readonly contentType?: string }
  | { readonly kind: "redirect"; readonly location: string };

/** A route: reads what it needs through the context and answers a Reply. */
export type Handler = (ctx: ConsoleContext, req: RouteRequest) => Reply | Promise<Reply>;

/**
 * Replay outcomes between the POST and the page it redirects to (post/redirect/get), by a random id.
 * Bounded: the oldest go first, so a console left open for months keeps a few dozen at most.
 */
export class Outcomes {
  private readonly byId = new Map<string, { readonly flow: string; readonly outcome: ReplayOutcome }>();

  constructor(private readonly limit = 50) {}

  put(id: string, flow: string, outcome: ReplayOutcome): void {
    this.byId.set(id, { flow, outcome });
    while (this.byId.size > this.limit) this.byId.delete(this.byId.keys().next().value as string);
  }

  /** The outcome with this id, when it belongs to `flow`. */
  get(id: string | null, flow: string): ReplayOutcome | undefined {
    const hit = id === null ? undefined : this.byId.get(id);
    return hit?.flow === flow ? hit.outcome : undefined;
  }
}
