/**
 * The DNS-rebinding guard of the local endpoints: a web page that rebinds its own name to
 * 127.0.0.1 still sends that name as `Host`, so an endpoint that answers only loopback names
 * serves no page. Any local endpoint (Secrets Manager, DynamoDB) checks each request with it.
 */

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether a Host header names a loopback address, and `port` or no port at all. */
export function addressedToLoopback(host: string | undefined, port: number): boolean {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host ?? "");
  if (match === null) return false;
  const [, name = "", given] = match;
  return LOOPBACK_NAMES.has(name.toLowerCase()) && (given === undefined || Number(given) === port);
}
