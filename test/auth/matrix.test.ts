/**
 * Every write endpoint × every kind of credential, with the exact status and message each must get, and proof
 * that nothing but the correct credentials changed anything (the registry generation and the key table stay put,
 * and the attempt is in the audit log with the right outcome).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ONLY_MESSAGE } from '../../src/auth/authorize.js';
import { MISSING_CREDENTIALS } from '../../src/auth/http.js';
import type { Permission } from '../../src/auth/permissions.js';
import { publishPermissionMessage } from '../../src/auth/permissions.js';
import { INVALID_KEY_DETAIL } from '../../src/keys/service.js';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { bearer, createKey, expiredToken, issueToken, movableClock, revokeKey } from './support.js';

type Scope = 'registry' | 'admin';
type Credential =
  | 'no header'
  | 'malformed header'
  | 'expired token'
  | 'token for another namespace'
  | 'revoked key'
  | 'expired key'
  | 'correct token'
  | 'correct key';
const CREDENTIALS: Credential[] = [
  'no header',
  'malformed header',
  'expired token',
  'token for another namespace',
  'revoked key',
  'expired key',
  'correct token',
  'correct key',
];

const NS = 'com.example.matrix';
const everything = (resource: string): Permission[] => [
  { action: 'publish', resource },
  { action: 'edit', resource },
  { action: 'admin', resource },
];
const PERMISSIONS: Record<Scope, { correct: Permission[]; other: Permission[] }> = {
  registry: { correct: everything(`${NS}/*`), other: everything('org.other/*') },
  admin: { correct: [{ action: 'admin', resource: '*' }], other: [{ action: 'admin', resource: 'org.other/*' }] },
};

interface Prepared {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: object;
  /** The 403 text for a caller holding permissions elsewhere. */
  forbidden: string;
}

interface Endpoint {
  name: string;
  scope: Scope;
  /** Registry endpoints answer a missing header with the official 422; Wharf's own API with 401. */
  official: boolean;
  success: number;
  audit: string | undefined;
  prepare(): Promise<Prepared>;
}

describe('authorization matrix', () => {
  let t: TestApp;
  const time = movableClock();
  const headers = new Map<string, Record<string, string>>();
  let counter = 0;
  const unique = () => `s${++counter}`;

  const publishAsAdmin = async (name: string, version = '1.0.0') => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: adminHeaders,
      payload: serverJson(name, version),
    });
    expect(res.statusCode, res.body).toBe(200);
  };

  const endpoints: Endpoint[] = [
    ...(['v0', 'v0.1'] as const).map((prefix): Endpoint => ({
      name: `POST /${prefix}/publish`,
      scope: 'registry',
      official: true,
      success: 200,
      audit: 'server.publish',
      async prepare() {
        const name = `${NS}/${unique()}`;
        return {
          method: 'POST',
          url: `/${prefix}/publish`,
          payload: serverJson(name),
          forbidden: publishPermissionMessage(PERMISSIONS.registry.other, name),
        };
      },
    })),
    {
      name: 'PUT /v0/servers/{name}/versions/{version}',
      scope: 'registry',
      official: true,
      success: 200,
      audit: 'server.edit',
      async prepare() {
        const name = `${NS}/${unique()}`;
        await publishAsAdmin(name);
        return {
          method: 'PUT',
          url: `/v0/servers/${encodeURIComponent(name)}/versions/1.0.0`,
          payload: serverJson(name, '1.0.0', { description: 'edited' }),
          forbidden: 'You do not have edit permissions for this server',
        };
      },
    },
    ...(['v0', 'v0.1'] as const).map((prefix): Endpoint => ({
      name: `PATCH /${prefix}/servers/{name}/versions/{version}/status`,
      scope: 'registry',
      official: true,
      success: 200,
      audit: 'server.status',
      async prepare() {
        const name = `${NS}/${unique()}`;
        await publishAsAdmin(name);
        return {
          method: 'PATCH',
          url: `/${prefix}/servers/${encodeURIComponent(name)}/versions/1.0.0/status`,
          payload: { status: 'deprecated', statusMessage: 'use the new one' },
          forbidden: 'You do not have permission to change the status of this server',
        };
      },
    })),
    {
      name: 'PATCH /v0/servers/{name}/status',
      scope: 'registry',
      official: true,
      success: 200,
      audit: 'server.status',
      async prepare() {
        const name = `${NS}/${unique()}`;
        await publishAsAdmin(name, '1.0.0');
        await publishAsAdmin(name, '1.1.0');
        return {
          method: 'PATCH',
          url: `/v0/servers/${encodeURIComponent(name)}/status`,
          payload: { status: 'deleted' },
          forbidden: 'You do not have permission to change the status of this server',
        };
      },
    },
    {
      name: 'DELETE /v0/servers/{name}/versions/{version}',
      scope: 'registry',
      official: true,
      success: 204,
      audit: 'server.delete',
      async prepare() {
        const name = `${NS}/${unique()}`;
        await publishAsAdmin(name);
        return {
          method: 'DELETE',
          url: `/v0/servers/${encodeURIComponent(name)}/versions/1.0.0`,
          forbidden: 'Only administrators can permanently delete a server version',
        };
      },
    },
    {
      name: 'POST /api/v1/keys',
      scope: 'admin',
      official: false,
      success: 201,
      audit: 'key.create',
      async prepare() {
        return {
          method: 'POST',
          url: '/api/v1/keys',
          payload: { name: `made-${unique()}`, permissions: [{ action: 'publish', resource: `${NS}/*` }] },
          forbidden: ADMIN_ONLY_MESSAGE,
        };
      },
    },
    {
      name: 'DELETE /api/v1/keys/{id}',
      scope: 'admin',
      official: false,
      success: 200,
      audit: 'key.revoke',
      async prepare() {
        const { id } = await createKey(t, { name: `victim-${unique()}`, permissions: PERMISSIONS.registry.correct });
        return { method: 'DELETE', url: `/api/v1/keys/${id}`, forbidden: ADMIN_ONLY_MESSAGE };
      },
    },
  ];

  beforeAll(async () => {
    t = await createTestApp({
      overrides: { clock: time.clock },
      env: { WHARF_RATE_LIMIT_AUTH: '0', WHARF_RATE_LIMIT_PUBLISH: '0' },
    });
    const inAMinute = new Date(Date.now() + 60_000).toISOString();
    for (const scope of ['registry', 'admin'] as const) {
      const { correct, other } = PERMISSIONS[scope];
      const set = (credential: Credential, value: Record<string, string>) =>
        headers.set(`${scope} ${credential}`, value);
      set('no header', {});
      set('malformed header', { authorization: 'Token abc' });
      set('expired token', bearer(await expiredToken(t, correct)));
      set('token for another namespace', bearer(await issueToken(t, other)));
      set('correct token', bearer(await issueToken(t, correct)));
      set('correct key', bearer((await createKey(t, { name: `${scope}-good`, permissions: correct })).key));
      const revoked = await createKey(t, { name: `${scope}-revoked`, permissions: correct });
      await revokeKey(t, revoked.id);
      set('revoked key', bearer(revoked.key));
      set(
        'expired key',
        bearer((await createKey(t, { name: `${scope}-old`, permissions: correct, expires_at: inAMinute })).key),
      );
    }
    time.advance(120_000);
  });
  afterAll(async () => t?.close());

  /** Changes whenever a registry write or a key write commits. */
  const state = async () => {
    const generation = await t.wharf.registry.generation();
    const { rows } = await sql<{ keys: number; revoked: number }>`
      SELECT count(*) AS keys, count(revoked_at) AS revoked FROM api_keys`.execute(t.wharf.database.db);
    return `${generation} ${Number(rows[0]?.keys)} ${Number(rows[0]?.revoked)}`;
  };
  const latestAudit = async () => (await t.wharf.audit.query({ limit: 1 })).events[0];

  const expected = (endpoint: Endpoint, credential: Credential, forbidden: string) => {
    switch (credential) {
      case 'no header':
        return endpoint.official
          ? {
              status: 422,
              body: {
                title: 'Unprocessable Entity',
                status: 422,
                detail: 'validation failed',
                errors: [{ message: 'required header parameter is missing', location: 'header.Authorization' }],
              },
            }
          : { status: 401, body: { title: 'Unauthorized', status: 401, detail: MISSING_CREDENTIALS } };
      case 'malformed header':
        return {
          status: 401,
          body: {
            title: 'Unauthorized',
            status: 401,
            detail: "Invalid Authorization header format. Expected 'Bearer <token>'",
          },
        };
      case 'expired token':
        return {
          status: 401,
          body: {
            title: 'Unauthorized',
            status: 401,
            detail: 'Invalid or expired Registry JWT token',
            errors: [{ message: 'token has expired' }],
          },
        };
      case 'token for another namespace':
        return { status: 403, body: { title: 'Forbidden', status: 403, detail: forbidden } };
      case 'revoked key':
        return {
          status: 401,
          body: {
            title: 'Unauthorized',
            status: 401,
            detail: INVALID_KEY_DETAIL,
            errors: [{ message: expect.stringMatching(/^API key [a-z0-9]{12} was revoked at \d{4}-/) }],
          },
        };
      case 'expired key':
        return {
          status: 401,
          body: {
            title: 'Unauthorized',
            status: 401,
            detail: INVALID_KEY_DETAIL,
            errors: [{ message: expect.stringMatching(/^API key [a-z0-9]{12} expired at \d{4}-/) }],
          },
        };
      default:
        return { status: endpoint.success, body: undefined };
    }
  };

  for (const endpoint of endpoints) {
    describe(endpoint.name, () => {
      for (const credential of CREDENTIALS) {
        it(`${credential} → ${credential.startsWith('correct') ? endpoint.success : 'refused'}`, async () => {
          const prepared = await endpoint.prepare();
          const before = await state();
          const auditBefore = await latestAudit();
          const res = await t.app.inject({
            method: prepared.method,
            url: prepared.url,
            headers: headers.get(`${endpoint.scope} ${credential}`),
            ...(prepared.payload ? { payload: prepared.payload } : {}),
          });
          const want = expected(endpoint, credential, prepared.forbidden);
          expect(res.statusCode, res.body).toBe(want.status);
          const audited = await latestAudit();
          expect(audited?.id).not.toBe(auditBefore?.id);
          expect(audited?.action).toBe(endpoint.audit);
          if (want.body) {
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
            expect(res.json()).toEqual(want.body);
            // Zero bypasses: a refused request changed nothing.
            expect(await state()).toBe(before);
            expect(audited?.outcome).toBe(want.status === 422 ? 'failure' : 'denied');
          } else {
            expect(await state()).not.toBe(before);
            expect(audited?.outcome).toBe('success');
            expect(audited?.actor?.method).toBe(credential === 'correct key' ? 'api-key' : 'github-at');
            if (credential === 'correct key') expect(audited?.actor?.keyId).toMatch(/^[a-z0-9]{12}$/);
          }
        });
      }
    });
  }

  describe('POST /v0/validate (open: credentials are neither needed nor checked)', () => {
    for (const credential of CREDENTIALS) {
      it(`${credential} → 200`, async () => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/v0/validate',
          headers: headers.get(`registry ${credential}`),
          payload: serverJson(`${NS}/validate`),
        });
        expect(res.statusCode).toBe(200);
        expect(res.json().valid).toBe(true);
      });
    }
  });
});
