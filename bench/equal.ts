/**
 * Structural equality of JSON-like values: same own keys (in any order), primitives compared with
 * Object.is. Prototypes are ignored on purpose: JSONata builds its objects without one.
 * A key holding undefined is not the same as an absent key.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(rb, k)) return false;
    if (!sameValue(ra[k], rb[k])) return false;
  }
  return true;
}
