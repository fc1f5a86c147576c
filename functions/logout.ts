/**
 * POST /logout and GET /logout (the tutorial's verb): always 200, with a Set-Cookie that deletes
 * the session cookie. Needs no key, so it loads neither jose nor the AWS SDK.
 */
import { clearedSessionCookie } from "../shared/cookies.ts";
import { httpHandler, json } from "../shared/http.ts";

export const handler = httpHandler("logout", async () =>
  json(200, { message: "Signed out." }, [clearedSessionCookie()]),
);
