import type { Credentials } from "./credentials.ts";
import { UnauthorizedError } from "./errors.ts";
import type { UserDirectory } from "./passwords.ts";
import type { CachedSecret } from "./secret-cache.ts";
import type { SigningKeyRing } from "./signing-key.ts";
import {
  assertRefreshAllowed,
  type IssuedToken,
  issueSessionToken,
  type Session,
  type TokenPolicy,
  verifySessionToken,
} from "./token.ts";

/** What the session use cases need: the keys, the users and the token policy. */
export interface SessionDeps {
  readonly signingKeys: SigningKeyRing;
  readonly users: CachedSecret<UserDirectory>;
  readonly policy: TokenPolicy;
}

/**
 * Signs a user in at `now`: checks the password, then issues a token. Throws
 * UnauthorizedError `invalid_credentials` for an unknown user or a wrong password alike.
 */
export async function signIn(deps: SessionDeps, credentials: Credentials, now: number): Promise<IssuedToken> {
  const directory = await deps.users.get();
  if (!(await directory.authenticate(credentials.username, credentials.password))) {
    throw new UnauthorizedError("invalid_credentials", "Wrong username or password.");
  }
  return issueSessionToken(await deps.signingKeys.current(), credentials.username, now, deps.policy);
}

/** What checking a session needs: no user directory. */
export type VerifyDeps = Pick<SessionDeps, "signingKeys" | "policy">;

/** Verifies a session token at `now`; see verifySessionToken for what it throws. */
export function checkSession(deps: VerifyDeps, token: string, now: number): Promise<Session> {
  return verifySessionToken(token, (kid) => deps.signingKeys.forKid(kid), now, deps.policy);
}

/**
 * Re-issues a valid token in its refresh window, for the same user and sign-in time, signed with
 * the current key. Throws what checkSession and assertRefreshAllowed throw.
 */
export async function refreshSession(deps: VerifyDeps, token: string, now: number): Promise<IssuedToken> {
  const session = await checkSession(deps, token, now);
  assertRefreshAllowed(session, now, deps.policy);
  return issueSessionToken(await deps.signingKeys.current(), session.user, now, deps.policy, session.authTime);
}
