import { jsonata } from "./lazy.js";
import type { FlowModule } from "./types.js";

/** A compiled JSONata expression. */
export type JsonataExpression = ReturnType<typeof jsonata>;

/**
 * The values of a flow's JSONata expressions for one record: per expression, the value for each
 * input it is evaluated against (the record, or each entry of the `each` it sits in), read by the
 * transform as `ctx.jsonata(index, input)`.
 */
export type JsonataValues = readonly ReadonlyMap<unknown, unknown>[];

/**
 * Evaluates every JSONata expression of a flow for one record. JSONata is asynchronous and the
 * transform is not, so this runs before `map`; an expression inside `each` runs once per distinct
 * entry, against the entry.
 */
export async function evaluateJsonata(
  flow: Pick<FlowModule, "jsonataInputs">,
  expressions: readonly JsonataExpression[],
  record: unknown,
): Promise<JsonataValues> {
  if (expressions.length === 0) return [];
  const inputs = flow.jsonataInputs?.(record);
  return Promise.all(
    expressions.map(async (expression, i) => {
      const values = new Map<unknown, unknown>();
      for (const input of inputs?.[i] ?? [record]) {
        if (!values.has(input)) values.set(input, await expression.evaluate(input));
      }
      return values;
    }),
  );
}
