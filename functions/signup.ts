/**
 * POST /signup with JSON {"username","password"}, when SIGNUP=open: creates the account and
 * answers 201 with the session cookie and the sign-in body. 403 signup_closed (the default,
 * whatever the body; nothing is created); 409 username_taken; 400 weak_password (saying why) / invalid_request /
 * invalid_json; 403 cross_site_request; 413; 415; 503 service_unavailable.
 */

import { assertSignupOpen, signUp } from "../shared/core/account.ts";
import { clientFacts } from "../shared/http/client-facts.ts";
import { httpHandler, sessionIssued } from "../shared/http/handler.ts";
import { parseNewAccount } from "../shared/http/request.ts";
import { config, deps } from "../shared/runtime.ts";

export const handler = httpHandler(
  "signup",
  async (event, facts) => {
    assertSignupOpen(config); // whatever the body: a closed route says only that it is closed
    const issued = await signUp(deps, parseNewAccount(event), clientFacts(event));
    facts.user = issued.user;
    return { ...sessionIssued(issued, config), statusCode: 201 };
  },
  { refuseCrossSite: config.allowedOrigins },
);
