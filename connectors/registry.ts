import type { ConnectorFactory } from "../runtime/connector.js";
import { banniuConnector } from "./banniu/client.js";
import type { ConnectorCatalog } from "./catalog.js";
import { guanyiConnector } from "./guanyi/client.js";
import { httpConnector } from "./http/client.js";
import { kingdeeConnector } from "./kingdee/client.js";
import { signedConnector } from "./signed/client.js";
import { loadSystems } from "./spec/load-systems.js";

/** The connectors of the built-in protocols, by the name `.map` files use. */
const FACTORIES: readonly ConnectorFactory[] = [guanyiConnector(), kingdeeConnector(), banniuConnector(), httpConnector()];

/**
 * The connector `ferry run` drives for system `name`: a built-in protocol's, or the `signed`
 * protocol's for a system written as a spec (`systems` defaults to ferry's built-in specs).
 */
export function connectorFactory(name: string, systems?: readonly ConnectorCatalog[]): ConnectorFactory | undefined {
  const builtIn = FACTORIES.find((f) => f.name === name);
  if (builtIn) return builtIn;
  const spec = (systems ?? loadSystems().catalogs).find((c) => c.name === name);
  return spec?.signed ? signedConnector(spec) : undefined;
}
