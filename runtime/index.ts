/**
 * The runtime's public surface. Generated flow modules import from here (as `ferry/runtime`):
 * the types they are written against, the built-in pipes, operators and checked conversions.
 */
export type * from "./types.js";
export { pipes, type Pipes } from "./pipes.js";
export { ops, coerce, fieldError, MissingValue } from "./ops.js";
export { MapError, PipeError, type MapErrorDetails } from "./errors.js";
export { formatDateTime } from "./datetime.js";
export { MemoryCollectionStore, resolveLookups, readPath, type CollectionStore, type Document, type LookupAnswers } from "./lookups.js";
