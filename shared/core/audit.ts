/**
 * Audit events: one log record per authentication event, with a fixed schema, for "who signed in
 * from where" and "which sessions ended and why" (docs/operations.md):
 * `{"audit", "user", "session", "ip", "device", "outcome", "reason"}`, null where unknown.
 * `session` is the session's handle (the id GET /sessions shows), never the sid; no record holds a
 * token, a password, a hash or a key. A new event is one name in AuditEvent and one audit() call
 * where it happens.
 */
import { log } from "./log.ts";
import type { ClientFacts } from "./ports.ts";

export type AuditEvent =
  | "signin_succeeded"
  | "signin_failed"
  | "signin_locked"
  | "signed_up"
  | "session_ended"
  | "password_changed"
  | "refresh_reuse"
  | "passkey_added"
  | "passkey_removed";

export type AuditOutcome = "success" | "failure" | "refused";

export interface AuditFacts {
  readonly user?: string | undefined;
  /** The session's handle, never its sid. */
  readonly session?: string | undefined;
  readonly outcome: AuditOutcome;
  readonly reason?: string | undefined;
}

/** Writes one audit record. Throws nothing. */
export function audit(event: AuditEvent, facts: AuditFacts, client: ClientFacts): void {
  log("info", "audit", {
    audit: event,
    user: facts.user ?? null,
    session: facts.session || null,
    ip: client.ip || null,
    device: client.device || null,
    outcome: facts.outcome,
    reason: facts.reason ?? null,
  });
}
