/**
 * GET /me, behind the session authorizer: 200 JSON {username, authTime, expiresAt, sid}, read from
 * what the authorizer passed. API Gateway refuses a request without a valid session before this
 * runs (401 or 403, its own bodies). The template for a route of your own: no token code, no
 * jose, no AWS SDK. See docs/authorizer.md.
 */
import { sessionFromAuthorizer } from "../shared/http/authorizer.ts";
import { httpHandler, json } from "../shared/http/handler.ts";

export const handler = httpHandler("me", async (event, facts) => {
  const session = sessionFromAuthorizer(event);
  facts.user = session.username;
  return json(200, session);
});
