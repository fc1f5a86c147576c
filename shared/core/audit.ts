/**
 * Audit events: one log record per authentication event, with a fixed schema, for "who signed in
 * from where" and "which sessions ended and why" (docs/operations.md):
 * `{"audit", "user", "session", "ip", "device", "outcome", "reason"}`, null where unknown.
 * `session` is a handle (sessionHandle), never the sid; no record holds a token, a password, a
 * hash or a key. A new event is one name in AuditEvent and one audit() call where it happens.
 */
import { createHash } from "node:crypto";
import { log } from "./log.ts";

export type AuditEvent = "signin_succeeded" | "signin_failed" | "signin_locked" | "session_ended";

export type AuditOutcome = "success" | "failure" | "refused";

/** Where a request came from, as the edge tells the core: plain strings. */
export interface ClientFacts {
  readonly ip?: string | undefined;
  /** The User-Agent, as sent; audit() truncates it. */
  readonly device?: string | undefined;
}

export interface AuditFacts {
  readonly user?: string | undefined;
  /** The session's sid: only its handle is written. */
  readonly sid?: string | undefined;
  readonly outcome: AuditOutcome;
  readonly reason?: string | undefined;
}

const DEVICE_CHARS = 160;

/**
 * A short, non-reversible handle of a session: the first 12 characters of the base64url SHA-256
 * of its sid. Events of one session share it; it cannot be turned back into the sid a token carries.
 */
export function sessionHandle(sid: string): string {
  return createHash("sha256").update(sid).digest("base64url").slice(0, 12);
}

/** Writes one audit record. Throws nothing. */
export function audit(event: AuditEvent, facts: AuditFacts, client: ClientFacts = {}): void {
  log("info", "audit", {
    audit: event,
    user: facts.user ?? null,
    session: facts.sid === undefined ? null : sessionHandle(facts.sid),
    ip: client.ip ?? null,
    device: client.device === undefined ? null : client.device.slice(0, DEVICE_CHARS),
    outcome: facts.outcome,
    reason: facts.reason ?? null,
  });
}
