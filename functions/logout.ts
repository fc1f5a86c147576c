/**
 * POST /logout and GET /logout (the tutorial's verb): 200, with a Set-Cookie that deletes the
 * session cookie; 403 cross_site_request (cookie untouched) when another site's page sent it.
 * Needs no key, so it loads neither jose nor the AWS SDK.
 */
import { loadConfig } from "../shared/config.ts";
import { clearedSessionCookie } from "../shared/cookies.ts";
import { httpHandler, json } from "../shared/http.ts";

const config = loadConfig(process.env);

export const handler = httpHandler(
  "logout",
  async () => json(200, { message: "Signed out." }, [clearedSessionCookie(config.sessionCookieName)]),
  { refuseCrossSite: config.allowedOrigins },
);
