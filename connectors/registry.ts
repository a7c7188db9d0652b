import type { ConnectorFactory } from "../runtime/connector.js";
import { httpConnector } from "./http/client.js";

/** The connectors `ferry run` can drive, by the name `.map` files use. */
const FACTORIES: readonly ConnectorFactory[] = [httpConnector()];

export function connectorFactory(name: string): ConnectorFactory | undefined {
  return FACTORIES.find((f) => f.name === name);
}
