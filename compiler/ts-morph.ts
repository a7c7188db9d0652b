import { createRequire } from "node:module";
import type * as TsMorph from "ts-morph";

/**
 * ts-morph (and the TypeScript it bundles) as the emitter and the example runner use it: loaded on
 * first use, since it takes a while and only commands that emit pay for it, and released when a
 * process is done compiling, since it holds about 100 MB that a run streaming records never needs.
 */

let loaded: typeof TsMorph | undefined;
/** The modules loading ts-morph brought into Node's module cache: ts-morph and what it requires. */
let modules: ReadonlySet<string> = new Set();
const releasers: (() => void)[] = [];

export function tsMorph(): typeof TsMorph {
  if (loaded === undefined) {
    // A require made for this load only: the module it stands for lists ts-morph as its child, and
    // kept in a variable of this module it would keep ts-morph alive after a release.
    const load = createRequire(import.meta.url);
    const before = new Set(Object.keys(load.cache));
    loaded = load("ts-morph") as typeof TsMorph;
    modules = new Set(Object.keys(load.cache).filter((id) => !before.has(id)));
  }
  return loaded;
}

/** Asks to be told when the compiler is released (to drop what was built with it, e.g. a Project). */
export function onRelease(release: () => void): void {
  releasers.push(release);
}

/**
 * Lets go of ts-morph so its memory can be reclaimed: whatever holds projects made with it lets go,
 * and its modules leave Node's module cache (the cache, and each module's list of children, would
 * otherwise keep them alive for the life of the process). The next use loads it afresh.
 */
export function releaseTsMorph(): void {
  if (loaded === undefined) return;
  for (const release of releasers) release();
  loaded = undefined;
  const cache = createRequire(import.meta.url).cache;
  for (const id of modules) delete cache[id];
  for (const module of Object.values(cache)) {
    if (module?.children) module.children = module.children.filter((child) => !modules.has(child.id));
  }
  modules = new Set();
}
