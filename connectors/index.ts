/**
 * The connector catalogs ferry ships with, and lookups over them.
 */
import { banniuCatalog } from "./banniu/catalog.js";
import type { ConnectorCatalog, OperationSchema } from "./catalog.js";
import { guanyiCatalog } from "./guanyi/catalog.js";
import { kingdeeCatalog } from "./kingdee/catalog.js";

export type {
  ConnectorCatalog,
  FieldSchema,
  FieldType,
  FormSchema,
  OpenKeys,
  OperationLimits,
  OperationSchema,
  OptionSchema,
  ParamSchema,
  Rate,
  RecordSchema,
} from "./catalog.js";
export { banniuCatalog, guanyiCatalog, kingdeeCatalog };

/** Every built-in connector, in a stable order (docs and "did you mean" lists rely on it). */
export const CONNECTORS: readonly ConnectorCatalog[] = Object.freeze([guanyiCatalog, kingdeeCatalog, banniuCatalog]);

/** The connector named `name` (as written after `source`/`target` in a `.map` file), if any. */
export function findConnector(name: string): ConnectorCatalog | undefined {
  return CONNECTORS.find((c) => c.name === name);
}

/** The operation of `connector` named `name` (the `.map` name, not the wire name), if any. */
export function findOperation(connector: ConnectorCatalog, name: string): OperationSchema | undefined {
  return connector.operations.find((op) => op.name === name);
}
