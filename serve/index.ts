/** The console of `ferry serve`: pages, API, Prometheus metrics over the state store. */
export { startServer, type ConsoleServer, type ServerOptions } from "./server.js";
export { renderMetrics, METRIC_NAMES } from "./metrics.js";
export { ConsoleQueries, healthOf, type FlowSummary, type Health, type RunView, type DeadLetterView, type UsageReport, type QualityGroup } from "./queries.js";
export { replayInProcess, type ReplayFn, type ReplayOutcome } from "./replay.js";
export { isLoopbackHost, Masker, ServeUsageError, MASK, SECRET_KEY } from "./security.js";
export { escapeHtml, html, Html } from "./html.js";
