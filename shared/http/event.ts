/**
 * The events API Gateway (HTTP API, payload 2.0) hands the functions, and the few reads every
 * part of the edge makes of them.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ClientFacts } from "../core/audit.ts";

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

/** Where the request came from, for audit events: API Gateway's source IP and the User-Agent. */
export function clientFacts(event: HttpEvent): ClientFacts {
  return {
    ip: event?.requestContext?.http?.sourceIp,
    device: event?.requestContext?.http?.userAgent ?? requestHeader(event, "user-agent"),
  };
}
