/**
 * A request header by its lower-case name, whatever case the client sent it in (API Gateway keeps
 * HTTP/1.1 clients' case; serverless-offline lower-cases). Undefined when absent. Throws nothing.
 */
export function requestHeader(
  event: { readonly headers?: Readonly<Record<string, string | undefined>> },
  name: string,
): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === "string") return value;
  }
  return undefined;
}
