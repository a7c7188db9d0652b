/**
 * The connector catalogs ferry ships with, and lookups over them.
 */
import type { ConnectorCatalog, OperationSchema } from "./catalog.js";
import { loadSystems } from "./spec/load-systems.js";

export type {
  ConnectorCatalog,
  FieldSchema,
  FieldType,
  FormSchema,
  OpenKeys,
  OpenKeyType,
  OperationLimits,
  OperationSchema,
  OptionSchema,
  ParamSchema,
  Rate,
  RecordSchema,
} from "./catalog.js";
/** Every built-in system, from ferry's specs under systems/, in file-name order (docs and "did you mean" lists rely on a stable order). */
export function builtinCatalogs(): readonly ConnectorCatalog[] {
  return loadSystems().catalogs;
}

/** The system named `name` (as written after `source`/`target` in a `.map` file) among `systems` (default: the built-in ones), if any. */
export function findConnector(name: string, systems: readonly ConnectorCatalog[] = builtinCatalogs()): ConnectorCatalog | undefined {
  return systems.find((c) => c.name === name);
}

/**
 * The operation of `connector` named `name` (the `.map` name, not the wire name), if any. For a
 * connector with `dynamic` templates (http), a name starting with `/` is the template of `direction`
 * (read when not given) renamed to `name`, so the checker can pass the direction of the block.
 */
export function findOperation(connector: ConnectorCatalog, name: string, direction?: "read" | "write"): OperationSchema | undefined {
  if (connector.dynamic && name.startsWith("/")) {
    const template = connector.dynamic[direction ?? "read"];
    // Messages name the record schema by its title: "/shops records" says more than "http records".
    const title = `${name} ${template.direction === "write" ? "rows" : "records"}`;
    return template.record ? { ...template, name, record: { ...template.record, title } } : { ...template, name };
  }
  return connector.operations.find((op) => op.name === name);
}
