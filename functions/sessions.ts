/**
 * The signed-in user's sessions, one function for three routes that share its reads and its role:
 *   GET /sessions: 200 {"sessions": [{id, current, device, ip, signedInAt, lastActiveAt}]}, most
 *     recently active first, times as ISO 8601 strings;
 *   DELETE /sessions/{id}: 200, ends that session of the caller's own (clears the cookie if it is
 *     theirs); 404 session_not_found for any other id;
 *   POST /logout-others: 200 {message, ended}, ends every session of the caller but this one.
 * 401 missing_token / invalid_token / ambiguous_token / token_expired / session_expired /
 * session_revoked (the caller's session must be live); 403 cross_site_request (DELETE, POST);
 * 503 service_unavailable.
 */
import { endOtherSessions, endSessionById, listSessions, type SessionView } from "../shared/core/user-sessions.ts";
import { clientFacts } from "../shared/http/client-facts.ts";
import { clearedSessionCookie, readSessionToken } from "../shared/http/cookies.ts";
import type { HttpEvent } from "../shared/http/event.ts";
import { httpHandler, json } from "../shared/http/handler.ts";
import { config, deps } from "../shared/runtime.ts";

const tokenOf = (event: HttpEvent) => readSessionToken(event.cookies, config.sessionCookieName);
const iso = (ms: number) => new Date(ms).toISOString();
const shown = (view: SessionView) => ({
  ...view,
  signedInAt: iso(view.signedInAt),
  lastActiveAt: iso(view.lastActiveAt),
});

const list = httpHandler("sessions", async (event, facts) => {
  const { user, sessions } = await listSessions(deps, tokenOf(event));
  facts.user = user;
  return json(200, { sessions: sessions.map(shown) });
});

const endOne = httpHandler(
  "end-session",
  async (event, facts) => {
    const id = event.pathParameters?.id ?? "";
    const { user, current } = await endSessionById(deps, tokenOf(event), id, clientFacts(event));
    facts.user = user;
    const cookies = current ? [clearedSessionCookie(config.sessionCookieName)] : undefined;
    return json(200, { message: "Session ended." }, cookies);
  },
  { refuseCrossSite: config.allowedOrigins },
);

const endOthers = httpHandler(
  "logout-others",
  async (event, facts) => {
    const { user, ended } = await endOtherSessions(deps, tokenOf(event), clientFacts(event));
    facts.user = user;
    return json(200, { message: "Signed out of every other session.", ended });
  },
  { refuseCrossSite: config.allowedOrigins },
);

/** Each route's own wrapper (its name in the log, its cross-site rule), chosen by method. */
export const handler = (event: HttpEvent) => {
  const method = event?.requestContext?.http?.method;
  return method === "DELETE" ? endOne(event) : method === "POST" ? endOthers(event) : list(event);
};
