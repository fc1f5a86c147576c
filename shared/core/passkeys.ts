/**
 * The passkey use cases: register one (signed in, recently or with the password), sign in with
 * one without a username, list and remove them. The WebAuthn protocol is a port (WebAuthnVerifier,
 * a library at the edge); the rules are here: challenges are single use, bound to their purpose
 * (and a registration's to its session) and short-lived; a sign count that goes backwards is a
 * possible clone; changing passkeys needs a recent sign-in. Times are epoch milliseconds.
 */
import { randomBytes } from "node:crypto";
import { audit } from "./audit.ts";
import type { Config } from "./config.ts";
import { AppError } from "./errors.ts";
import { log } from "./log.ts";
import { countMetric } from "./metrics.ts";
import type {
  ChallengePurpose,
  ChallengeRecord,
  ClientFacts,
  PasskeyRecord,
  PasskeyStore,
  RelyingParty,
  WebAuthnVerifier,
} from "./ports.ts";
import { authenticate, liveSession, type SessionDeps, type SessionPolicy, startSession } from "./session.ts";
import type { IssuedToken, Session } from "./token.ts";

/** The settings the passkey use cases follow. */
export type PasskeyPolicy = SessionPolicy & Pick<Config, "reauthMaxSeconds">;

/** What the passkey use cases need, built once per container. */
export interface PasskeyDeps extends SessionDeps {
  readonly passkeys: PasskeyStore;
  readonly webauthn: WebAuthnVerifier;
  readonly policy: PasskeyPolicy;
}

/** A challenge is answered within this long, or not at all. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
const CHALLENGE_BYTES = 32;
const USER_HANDLE_BYTES = 32;
const DEFAULT_NAME = "Passkey";

/** A passkey as its owner sees it. */
export interface PasskeySummary {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | undefined;
}

function summary(record: PasskeyRecord): PasskeySummary {
  return { id: record.id, name: record.name, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt };
}

/**
 * Whether a taken challenge may be answered now, for `purpose`: it existed, it is not past its
 * end (TTL deletion is never trusted to have happened), and a registration's belongs to the
 * same session.
 */
export function challengeAccepted(
  record: ChallengeRecord | undefined,
  purpose: ChallengePurpose,
  now: number,
  session?: Pick<Session, "user" | "sid">,
): record is ChallengeRecord {
  if (record === undefined || record.purpose !== purpose || record.expiresAt <= now) return false;
  if (purpose === "authentication") return true;
  return session !== undefined && record.sid === session.sid && record.username === session.user;
}

/**
 * Whether a sign count is a possible clone: both counts are non-zero and the new one is not
 * above the stored one. An authenticator that counts nothing (0) is not judged.
 */
export function signCountWentBack(stored: number, received: number): boolean {
  return stored > 0 && received > 0 && received <= stored;
}

/** Whether a session signed in recently enough to change passkeys without the password. */
export function recentlySignedIn(session: Pick<Session, "authTime">, now: number, policy: PasskeyPolicy): boolean {
  return now - session.authTime <= policy.reauthMaxSeconds * 1000;
}

async function issueChallenge(
  deps: PasskeyDeps,
  purpose: ChallengePurpose,
  now: number,
  session?: Session,
): Promise<string> {
  const challenge = randomBytes(CHALLENGE_BYTES).toString("base64url");
  await deps.passkeys.putChallenge({
    challenge,
    purpose,
    ...(session === undefined ? {} : { username: session.user, sid: session.sid }),
    expiresAt: now + CHALLENGE_TTL_MS,
  });
  return challenge;
}

/**
 * A recent sign-in, or the user's password checked (and counted) as sign-in checks it. A password
 * given is always checked. Throws AppError `reauthentication_required`, `invalid_credentials`,
 * `too_many_attempts`, `service_unavailable`.
 */
async function assertReauthenticated(
  deps: PasskeyDeps,
  session: Session,
  password: string | undefined,
  now: number,
  client: ClientFacts,
): Promise<void> {
  if (password === undefined) {
    if (recentlySignedIn(session, now, deps.policy)) return;
    throw new AppError("reauthentication_required");
  }
  const { takeBack } = await authenticate(deps, { username: session.user, password }, now, client);
  // A right password whose counter cannot be cleared is not held against the user.
  await deps.store.deleteAttempts(session.user).catch(async (err: unknown) => {
    await takeBack();
    throw err;
  });
}

/**
 * Creation options for a new passkey of the signed-in user. Throws what liveSession throws
 * and what the reauthentication throws (`reauthentication_required`, `invalid_credentials`,
 * `too_many_attempts`).
 */
export async function passkeyRegistrationOptions(
  deps: PasskeyDeps,
  rp: RelyingParty,
  token: string,
  password: string | undefined,
  client: ClientFacts,
): Promise<unknown> {
  const now = deps.clock();
  const session = await liveSession(deps, token, now);
  await assertReauthenticated(deps, session, password, now, client);
  const candidate = randomBytes(USER_HANDLE_BYTES).toString("base64url");
  const [userId, exclude] = await Promise.all([
    deps.passkeys.userHandle(session.user, candidate),
    deps.passkeys.listPasskeys(session.user),
  ]);
  if (userId === undefined) throw new AppError("session_revoked");
  const challenge = await issueChallenge(deps, "registration", now, session);
  return deps.webauthn.creationOptions({ rp, userId, username: session.user, challenge, exclude });
}

/**
 * Registers the passkey a registration response creates, answering a challenge of this session.
 * Throws what liveSession throws, and AppError `invalid_passkey` for any response that is
 * not accepted (unreadable, an unknown, used, expired or another session's challenge, a failed
 * verification, a credential registered already).
 */
export async function registerPasskey(
  deps: PasskeyDeps,
  rp: RelyingParty,
  token: string,
  response: unknown,
  name: string | undefined,
  client: ClientFacts,
): Promise<PasskeySummary> {
  const now = deps.clock();
  const session = await liveSession(deps, token, now);
  const claimed = deps.webauthn.registrationChallenge(response);
  if (claimed === undefined) throw new AppError("invalid_passkey");
  const challenge = await deps.passkeys.takeChallenge(claimed);
  if (!challengeAccepted(challenge, "registration", now, session)) throw new AppError("invalid_passkey");
  const credential = await deps.webauthn.verifyRegistration(response, rp, challenge.challenge);
  if (credential === undefined) throw new AppError("invalid_passkey");
  const record: PasskeyRecord = {
    ...credential,
    username: session.user,
    name: name ?? DEFAULT_NAME,
    createdAt: now,
    lastUsedAt: undefined,
  };
  if (!(await deps.passkeys.putPasskey(record))) throw new AppError("invalid_passkey");
  audit("passkey_added", { user: session.user, outcome: "success", reason: "self_service" }, client);
  return summary(record);
}

/** Request options for a sign-in with any passkey of this RP (no username). Throws `service_unavailable`. */
export async function passkeySignInOptions(deps: PasskeyDeps, rp: RelyingParty): Promise<unknown> {
  const challenge = await issueChallenge(deps, "authentication", deps.clock());
  return deps.webauthn.requestOptions({ rp, challenge });
}

/**
 * Signs in with a passkey: a new session, as a password sign-in gives. Throws AppError
 * `invalid_passkey`, one answer for every refusal (unknown credential, bad signature, used or
 * expired challenge, wrong origin or RP ID, a removed user, a sign count gone backwards), and
 * `service_unavailable`.
 */
export async function signInWithPasskey(
  deps: PasskeyDeps,
  rp: RelyingParty,
  response: unknown,
  client: ClientFacts,
): Promise<IssuedToken> {
  const now = deps.clock();
  const claims = deps.webauthn.assertionClaims(response);
  if (claims === undefined) throw new AppError("invalid_passkey");
  // The challenge is taken first, so a response is good for one try whatever happens next.
  const [challenge, passkey] = await Promise.all([
    deps.passkeys.takeChallenge(claims.challenge),
    deps.passkeys.getPasskey(claims.credentialId),
  ]);
  if (!challengeAccepted(challenge, "authentication", now) || passkey === undefined) {
    throw new AppError("invalid_passkey");
  }
  const user = await deps.store.getUser(passkey.username);
  const handleMatches = claims.userHandle === undefined || claims.userHandle === user?.webauthnUserId;
  if (user === undefined || user.webauthnUserId === undefined || !handleMatches) throw new AppError("invalid_passkey");
  const verified = await deps.webauthn.verifyAssertion(response, rp, challenge.challenge, passkey);
  if (verified === undefined) throw new AppError("invalid_passkey");
  if (signCountWentBack(passkey.signCount, verified.signCount)) {
    log("warn", "passkey sign count went backwards: possible cloned authenticator", {
      user: passkey.username,
      passkey: passkey.id,
      storedCount: passkey.signCount,
      receivedCount: verified.signCount,
    });
    throw new AppError("invalid_passkey");
  }
  const count = Math.max(passkey.signCount, verified.signCount);
  if (!(await deps.passkeys.recordUse(passkey, count, now))) throw new AppError("invalid_passkey");
  // The session list says how this device came in.
  const device = client.device === "" ? "Passkey" : `${client.device} (passkey)`;
  const started = await startSession(deps, user, { ...client, device }, now);
  audit(
    "signin_succeeded",
    { user: user.username, session: started.handle, outcome: "success", reason: "passkey" },
    client,
  );
  // The route also answers the options call with 200, so the success is counted here.
  countMetric("SignInSucceeded");
  return started;
}

/** The signed-in user's passkeys, oldest first. Throws what liveSession throws. */
export async function listPasskeys(deps: PasskeyDeps, token: string): Promise<PasskeySummary[]> {
  const session = await liveSession(deps, token, deps.clock());
  const records = await deps.passkeys.listPasskeys(session.user);
  return records.map(summary).sort((a, b) => a.createdAt - b.createdAt);
}

/**
 * Removes a passkey of the signed-in user. Throws what liveSession and the reauthentication
 * throw, and AppError `passkey_not_found` for an unknown id or another user's.
 */
export async function removePasskey(
  deps: PasskeyDeps,
  token: string,
  id: string,
  password: string | undefined,
  client: ClientFacts,
): Promise<string> {
  const now = deps.clock();
  const session = await liveSession(deps, token, now);
  await assertReauthenticated(deps, session, password, now, client);
  if (!(await deps.passkeys.deletePasskey(id, session.user))) throw new AppError("passkey_not_found");
  audit("passkey_removed", { user: session.user, outcome: "success", reason: "self_service" }, client);
  return session.user;
}
