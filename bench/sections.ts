/** The sections of `npm run bench` and the FERRY_BENCH_ONLY switch that picks some of them. */

export const SECTIONS = ["check", "build", "transform", "end_to_end", "memory", "memory_cold", "check_scale", "seed_flows", "docs"] as const;
export type Section = (typeof SECTIONS)[number];

/** The sections FERRY_BENCH_ONLY names (all when unset or empty); an unknown name is an error. */
export function selectedSections(only: string | undefined): ReadonlySet<Section> {
  const names = (only ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) return new Set(SECTIONS);
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`bench: FERRY_BENCH_ONLY names ${unknown.join(", ")}; known: ${SECTIONS.join(", ")}`);
  return new Set(names as Section[]);
}
