import type { ConnectorFactory } from "../runtime/connector.js";
import { banniuConnector } from "./banniu/client.js";
import { guanyiConnector } from "./guanyi/client.js";
import { httpConnector } from "./http/client.js";
import { kingdeeConnector } from "./kingdee/client.js";

/** The connectors `ferry run` can drive, by the name `.map` files use. */
const FACTORIES: readonly ConnectorFactory[] = [guanyiConnector(), kingdeeConnector(), banniuConnector(), httpConnector()];

export function connectorFactory(name: string): ConnectorFactory | undefined {
  return FACTORIES.find((f) => f.name === name);
}
