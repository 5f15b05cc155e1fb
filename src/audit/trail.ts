/**
 * The audit trail every capability writes to. Recording never fails the caller's request: a trail
 * that cannot write logs the failure instead, so audit problems never turn into lost user writes.
 */
export interface AuditActor {
  /** How the caller authenticated: `admin-token`, `api-key`, `github-at`, `oidc`, `none`, … */
  method: string;
  subject: string;
  /** The API key id when the caller used one. */
  keyId?: string | undefined;
}

export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditEvent {
  /** What happened, as `<capability>.<verb>`: `server.publish`, `server.status`, `key.create`, `auth.login`, … */
  action: string;
  actor: AuditActor | undefined;
  /** What it happened to: a server name (`name@version`), a key id, a namespace… */
  target?: string | undefined;
  outcome: AuditOutcome;
  sourceIp?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

export interface AuditTrail {
  record(event: AuditEvent): Promise<void>;
}

/** For tools and tests that run without an audit store. */
export const noAuditTrail: AuditTrail = { record: async () => {} };
