/**
 * Whether a Host header names this machine by a loopback name (localhost, 127.x.x.x, [::1]),
 * with or without a port. A local endpoint that answers other names can be reached by a web page
 * through DNS rebinding (a name of the page's that resolves to 127.0.0.1).
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.toLowerCase().replace(/:\d{1,5}$/, "");
  return name === "localhost" || name === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(name);
}
