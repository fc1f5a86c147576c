/**
 * The contract between the session authorizer (functions/authorize.ts) and the routes behind it:
 * what the authorizer reads from API Gateway's event, what it answers, how its errors become a
 * refusal, and how a backend reads the identity it passed. Imports neither jose nor the AWS SDK,
 * so a backend that reads its identity here stays small.
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerResult,
  APIGatewaySimpleAuthorizerWithContextResult,
} from "aws-lambda";
import { AppError } from "../core/errors.ts";
import { describeError, log } from "../core/log.ts";
import { countMetric } from "../core/metrics.ts";
import type { Session } from "../core/token.ts";
import { type HttpEvent, requestHeader, requestIdOf } from "./event.ts";

/** API Gateway's payload 2.0 authorizer event; serverless-offline leaves out `cookies`. */
export type AuthorizerEvent = Omit<APIGatewayRequestAuthorizerEventV2, "cookies"> & { cookies?: string[] };

/** What API Gateway hands a route behind the authorizer, in `requestContext.authorizer.lambda`. */
export interface SessionContext {
  readonly username: string;
  /** When the user signed in (epoch seconds); kept across refreshes. */
  readonly authTime: number;
  /** When the token that was checked expires (epoch seconds). */
  readonly expiresAt: number;
  /** The session's id, constant across refreshes: what /logout and revocation end. */
  readonly sid: string;
}

export type AuthorizerResult =
  | APIGatewaySimpleAuthorizerResult
  | APIGatewaySimpleAuthorizerWithContextResult<SessionContext>;

/** What the authorizer tells the log about the request it judged. */
export interface AuthorizerFacts {
  user?: string;
}

/** The identity a verified session passes to the backend. */
export function sessionContext(session: Session): SessionContext {
  return {
    username: session.user,
    authTime: session.authTime / 1000,
    expiresAt: session.expiresAt / 1000,
    sid: session.sid,
  };
}

/**
 * The request's cookies, one `name=value` per element. On AWS the payload 2.0 authorizer event
 * carries them in `cookies`, and only that is read when present; serverless-offline sends only
 * the headers, so locally the Cookie header is split instead. Throws nothing.
 */
export function authorizerCookies(event: AuthorizerEvent): string[] {
  if (Array.isArray(event.cookies)) return event.cookies;
  return (
    requestHeader(event, "cookie")
      ?.split(";")
      .map((cookie) => cookie.trim()) ?? []
  );
}

/**
 * Wraps an authorizer: a session `handle` returns allows the request with that context; a client
 * error (a missing, invalid, expired or revoked session) refuses it with `{ isAuthorized: false }`
 * and never a reason. Anything else (the key store is down, a bug) is logged and thrown again:
 * API Gateway then answers 500 and caches nothing, so an outage neither lets anyone in nor leaves
 * a cached refusal behind. One log line per request; never the cookie.
 */
export function authorizerHandler(handle: (event: AuthorizerEvent, facts: AuthorizerFacts) => Promise<SessionContext>) {
  return async (event: AuthorizerEvent): Promise<AuthorizerResult> => {
    const started = performance.now();
    const facts: AuthorizerFacts = {};
    const line = (level: "info" | "error", fields: Record<string, unknown>) =>
      log(level, "authorize", {
        routeKey: typeof event?.routeKey === "string" ? event.routeKey.slice(0, 200) : undefined,
        requestId: requestIdOf(event),
        ...fields,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      });
    try {
      const context = await handle(event, facts);
      line("info", { outcome: "allow", user: facts.user });
      return { isAuthorized: true, context };
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        if (err.code === "session_revoked") countMetric("SessionRevoked");
        line("info", { outcome: "deny", error: err.code });
        return { isAuthorized: false };
      }
      if (err instanceof AppError && err.code === "service_unavailable") countMetric("StoreUnavailable");
      line("error", {
        outcome: "error",
        error: err instanceof AppError ? err.code : "internal_error",
        cause: describeError(err instanceof AppError ? err.cause : err),
      });
      throw new Error("the session could not be checked; see the authorize log line");
    }
  };
}

function epochSeconds(value: unknown): number | undefined {
  // Numbers arrive as numbers on HTTP APIs; a string of digits is accepted too, as REST APIs and
  // some emulators stringify context values.
  const number = typeof value === "string" && /^\d{1,12}$/.test(value) ? Number(value) : value;
  return typeof number === "number" && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

/**
 * The identity the session authorizer passed to this route. Throws a plain Error (a 500, logged)
 * when there is none: the route was deployed without the authorizer, and must not serve anyone.
 */
export function sessionFromAuthorizer(event: HttpEvent): SessionContext {
  const context = (event.requestContext as { authorizer?: { lambda?: unknown } }).authorizer?.lambda;
  const fields = (typeof context === "object" && context !== null ? context : {}) as Record<string, unknown>;
  const authTime = epochSeconds(fields.authTime);
  const expiresAt = epochSeconds(fields.expiresAt);
  if (
    typeof fields.username !== "string" ||
    fields.username === "" ||
    authTime === undefined ||
    expiresAt === undefined ||
    typeof fields.sid !== "string" ||
    fields.sid === ""
  ) {
    throw new Error("no session in requestContext.authorizer.lambda: attach the session authorizer to this route");
  }
  return { username: fields.username, authTime, expiresAt, sid: fields.sid };
}
