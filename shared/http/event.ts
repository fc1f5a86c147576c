/**
 * The events API Gateway (HTTP API, payload 2.0) hands the functions, and the few reads every
 * part of the edge makes of them.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/**
 * A request header by its lower-case name, whatever case the client sent it in (API Gateway keeps
 * HTTP/1.1 clients' case; serverless-offline lower-cases). Undefined when absent. Throws nothing.
 */
export function requestHeader(
  event: { readonly headers?: Readonly<Record<string, string | undefined>> },
  name: string,
): string | undefined {
  for (const [key, value] of Object.entries(event?.headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === "string") return value;
  }
  return undefined;
}

/** The request id API Gateway gave the request, for log lines and a 500's body. Throws nothing. */
export function requestIdOf(event: { readonly requestContext?: { readonly requestId?: unknown } }): string {
  return String(event?.requestContext?.requestId ?? "unknown");
}
