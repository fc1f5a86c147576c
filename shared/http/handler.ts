/**
 * The HTTP edge's one wrapper and its responses: every handler is wrapped by httpHandler, which
 * turns errors into answers and logs each request once.
 */
import type { Config } from "../core/config.ts";
import { AppError } from "../core/errors.ts";
import { describeError, log } from "../core/log.ts";
import { countMetric, type MetricName } from "../core/metrics.ts";
import type { IssuedToken } from "../core/token.ts";
import { sessionCookie } from "./cookies.ts";
import { assertNotCrossSite, senderFacts } from "./cross-site.ts";
import { type HttpEvent, type HttpResult, requestIdOf } from "./event.ts";

/** What a handler tells the request log about the request it served. */
export interface RequestFacts {
  user?: string;
  /** Of a request refused as cross-site, so that an operator sees which page sent it. */
  origin?: string;
  fetchSite?: string;
}

export type HttpHandler = (event: HttpEvent, facts: RequestFacts) => Promise<HttpResult>;

// Auth answers must never be stored by a browser or a shared cache.
const BASE_HEADERS = {
  "Cache-Control": "no-store",
  Pragma: "no-cache",
  "X-Content-Type-Options": "nosniff",
} as const;

/** A JSON response, with cookies to set if any. */
export function json(statusCode: number, body: unknown, cookies?: string[]): HttpResult {
  return {
    statusCode,
    headers: { ...BASE_HEADERS, "Content-Type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
    ...(cookies === undefined ? {} : { cookies }),
  };
}

/** A plain-text response. */
export function text(statusCode: number, body: string): HttpResult {
  return {
    statusCode,
    headers: { ...BASE_HEADERS, "Content-Type": "text/plain; charset=utf-8" },
    body,
  };
}

// The page at GET / and its assets may use only their own origin's script, style and API, run
// nothing inline, and never be framed (clickjacking a logout button); they leak no referrer.
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
} as const;

/** A 200 with one of the page's files (HTML, script, style) and the page's security headers. */
export function pageFile(contentType: string, body: string): HttpResult {
  return { statusCode: 200, headers: { ...BASE_HEADERS, ...PAGE_HEADERS, "Content-Type": contentType }, body };
}

/**
 * The answer to a sign-in or refresh: the cookie, and a body that tells a client (which cannot
 * read an HttpOnly cookie) when to refresh. `expiresInSeconds` and `refreshInSeconds` count from
 * this response, so a client schedules without trusting its clock to agree with ours.
 */
export function sessionIssued(
  issued: IssuedToken,
  config: Pick<Config, "refreshWindowSeconds" | "sessionCookieName">,
): HttpResult {
  const lifetimeSeconds = (issued.expiresAt - issued.issuedAt) / 1000;
  return json(
    200,
    {
      username: issued.user,
      expiresAt: issued.expiresAt / 1000,
      expiresAtIso: new Date(issued.expiresAt).toISOString(),
      expiresInSeconds: lifetimeSeconds,
      refreshInSeconds: Math.max(0, lifetimeSeconds - config.refreshWindowSeconds),
    },
    [sessionCookie(issued.token, lifetimeSeconds, config.sessionCookieName)],
  );
}

/** The one place where an error becomes a response. Unexpected errors say nothing but an id. */
function errorResponse(err: unknown, requestId: string): HttpResult {
  if (err instanceof AppError) {
    // Its message comes from the error table; a 503's cause is logged, never sent.
    const result = json(err.status, { error: err.code, message: err.message });
    const retryAfter = err.retryAfterSeconds ?? (err.status === 503 ? 5 : undefined);
    if (retryAfter !== undefined) result.headers = { ...result.headers, "Retry-After": String(retryAfter) };
    return result;
  }
  return json(500, {
    error: "internal_error",
    message: "An unexpected error occurred.",
    requestId,
  });
}

/**
 * The metric a request's outcome counts, first match wins: at most one EMF record per request.
 * A new counter of an outcome is one line here (and its name in METRICS).
 */
const OUTCOME_METRICS: readonly { route?: string; status?: number; error?: string; metric: MetricName }[] = [
  { error: "service_unavailable", metric: "StoreUnavailable" },
  { error: "cross_site_request", metric: "CrossSiteRefused" },
  { error: "session_revoked", metric: "SessionRevoked" },
  { route: "signin", status: 200, metric: "SignInSucceeded" },
  { route: "signin", error: "invalid_credentials", metric: "SignInFailed" },
  { route: "signin", error: "too_many_attempts", metric: "SignInLocked" },
  { route: "refresh", status: 200, metric: "Refreshed" },
  { route: "change-password", status: 200, metric: "PasswordChanged" },
  { route: "change-password", error: "invalid_credentials", metric: "PasswordChangeFailed" },
  { route: "change-password", error: "too_many_attempts", metric: "SignInLocked" },
  { route: "signup", status: 201, metric: "SignedUp" },
  { route: "passkey-signin", error: "invalid_passkey", metric: "SignInFailed" },
];

/** The metric of an outcome, if it counts one. */
export function outcomeMetric(route: string, status: number, error: string | undefined): MetricName | undefined {
  return OUTCOME_METRICS.find(
    (rule) =>
      (rule.route === undefined || rule.route === route) &&
      (rule.status === undefined || rule.status === status) &&
      (rule.error === undefined || rule.error === error),
  )?.metric;
}

export interface HandlerOptions {
  /**
   * Set on every route that changes state (sets, clears or ends a session): requests from another
   * site's page are refused before the handler runs (shared/cross-site.ts). The value lists the
   * other origins allowed (ALLOWED_ORIGINS).
   */
  readonly refuseCrossSite?: readonly string[];
}

/**
 * Wraps a handler: every error becomes a response (see errorResponse), every request is logged
 * once with route, status, error code, user, source IP, request id and duration, and its outcome
 * counted (outcomeMetric).
 */
export function httpHandler(route: string, handle: HttpHandler, options: HandlerOptions = {}) {
  return async (event: HttpEvent): Promise<HttpResult> => {
    const started = performance.now();
    const requestId = requestIdOf(event);
    const facts: RequestFacts = {};
    let result: HttpResult;
    let error: unknown;
    try {
      if (options.refuseCrossSite !== undefined) {
        try {
          assertNotCrossSite(event, options.refuseCrossSite);
        } catch (err) {
          Object.assign(facts, senderFacts(event));
          throw err;
        }
      }
      result = await handle(event, facts);
    } catch (err) {
      error = err;
      result = errorResponse(err, requestId);
    }
    const status = result.statusCode ?? 200;
    const code = error instanceof AppError ? error.code : error === undefined ? undefined : "internal_error";
    const metric = outcomeMetric(route, status, code);
    if (metric !== undefined) countMetric(metric);
    log(status >= 500 ? "error" : "info", "request", {
      route,
      method: event?.requestContext?.http?.method,
      status,
      error: code,
      user: facts.user,
      // The address the connection to API Gateway came from: what a guessing campaign is traced
      // by, and the same field as the access log's `ip`.
      sourceIp: event?.requestContext?.http?.sourceIp,
      origin: facts.origin,
      fetchSite: facts.fetchSite,
      requestId,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      cause: status >= 500 ? describeError(error instanceof AppError ? error.cause : error) : undefined,
    });
    return result;
  };
}
