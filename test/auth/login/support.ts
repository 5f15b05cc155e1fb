import { decodeJwt } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import type { AuditEvent, AuditTrail } from '../../../src/audit/trail.js';
import { createTestApp } from '../../support/app.js';
import type { TestApp } from '../../support/app.js';
import type { WharfOverrides } from '../../../src/wharf.js';

/** An audit trail kept in memory, to assert what a login recorded. */
export class MemoryAuditTrail implements AuditTrail {
  readonly events: AuditEvent[] = [];
  async record(event: AuditEvent): Promise<void> {
    this.events.push(event);
  }
}

export interface LoginTestApp extends TestApp {
  audit: MemoryAuditTrail;
  post(path: string, payload?: unknown): Promise<LightMyRequestResponse>;
}

export async function createLoginApp(
  env: Record<string, string>,
  overrides: WharfOverrides = {},
): Promise<LoginTestApp> {
  const audit = new MemoryAuditTrail();
  const test = await createTestApp({ env, overrides: { auditTrail: audit, ...overrides } });
  return {
    ...test,
    audit,
    post: (url, payload) =>
      test.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) }),
  };
}

/** The claims of an issued registry token. */
export function claimsOf(response: LightMyRequestResponse) {
  const body = response.json() as { registry_token: string; expires_at: number };
  const claims = decodeJwt<{
    auth_method: string;
    auth_method_sub: string;
    permissions: Array<{ action: string; resource: string }>;
  }>(body.registry_token);
  return { ...claims, expires_at: body.expires_at, token: body.registry_token };
}
