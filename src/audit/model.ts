import type { AuditOutcome } from './trail.js';

/** A recorded audit event, as the audit API returns it. */
export interface StoredAuditEvent {
  id: string;
  occurredAt: string;
  action: string;
  outcome: AuditOutcome;
  actor: { method: string; subject: string; keyId: string | null } | null;
  target: string | null;
  sourceIp: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** Matches the actor's subject or API key id exactly. */
  actor?: string | undefined;
  action?: string | undefined;
  /** Exact target. */
  target?: string | undefined;
  /** A server name: its own events and those of every one of its versions (`name@version`). */
  server?: string | undefined;
  outcome?: AuditOutcome | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** Events older than this id (newest first). */
  before?: number | undefined;
  limit: number;
}
