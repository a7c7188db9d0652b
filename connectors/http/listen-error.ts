/**
 * Why a server could not listen, as one line for the user (a port taken, a port not allowed, an
 * address not of this machine), or undefined for a failure that is not the user's choice.
 */
export function describeListenError(error: NodeJS.ErrnoException, host: string, port: number): string | undefined {
  switch (error.code) {
    case "EADDRINUSE":
      return `port ${port} on ${host} is in use; choose another with --port`;
    case "EACCES":
      return `not allowed to listen on ${host}:${port}; choose a port above 1023 with --port`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot listen on ${host}: not an address of this machine`;
    default:
      return undefined;
  }
}
