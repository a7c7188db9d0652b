import type { ConnectorFactory } from "../runtime/connector.js";
import { banniuConnector } from "./banniu/client.js";
import type { ConnectorCatalog } from "./catalog.js";
import { guanyiConnector } from "./guanyi/client.js";
import { httpConnector } from "./http/client.js";
import { kingdeeConnector } from "./kingdee/client.js";
import { signedConnector } from "./signed/client.js";
import { loadSystems } from "./spec/load-systems.js";

/** The connectors of the built-in protocols, by protocol, for one system's spec. */
const PROTOCOLS: Readonly<Record<string, (system: ConnectorCatalog) => ConnectorFactory>> = {
  guanyi: () => guanyiConnector(),
  kingdee: (system) => kingdeeConnector({ system }),
  banniu: () => banniuConnector(),
  http: () => httpConnector(),
  signed: (system) => signedConnector(system),
};

/**
 * The connector `ferry run` drives for system `name`, by the protocol its spec names; `systems`
 * defaults to ferry's built-in specs (a project's run passes its own, so its forms and fields count).
 */
export function connectorFactory(name: string, systems?: readonly ConnectorCatalog[]): ConnectorFactory | undefined {
  const system = (systems ?? loadSystems().catalogs).find((c) => c.name === name);
  const make = system?.protocol ? PROTOCOLS[system.protocol] : undefined;
  return system && make ? make(system) : undefined;
}
