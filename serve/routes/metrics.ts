import { renderMetrics } from "../metrics.js";
import type { Handler } from "./context.js";

/** `/metrics`: Prometheus text format, read from the store on every scrape. */
export const metricsRoute: Handler = async (ctx) => {
  const { contentType, text } = await renderMetrics(ctx.queries.metrics());
  return { kind: "text", body: text, contentType };
};
