import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/auth/authenticator.js';
import { decide } from '../../../src/gateway/access/policy.js';
import type { GatewayPolicy } from '../../../src/gateway/access/policy.js';
import { adminHeaders, createTestApp } from '../../support/app.js';
import type { TestApp } from '../../support/app.js';
import { describeEachDatabase } from '../../support/databases.js';

const rule = (id: string, effect: 'allow' | 'deny', subject: string, virtualServer: string, tool: string) =>
  ({ id, effect, subject, virtualServer, tool, createdAt: '2026-01-01T00:00:00Z' }) satisfies GatewayPolicy;
const alice: Principal = { authMethod: 'oauth', subject: 'alice', permissions: [] };
const bob: Principal = {
  authMethod: 'oauth',
  subject: 'bob',
  permissions: [{ action: 'gateway_call', resource: 'sales/crm__*' }],
};
const admin: Principal = {
  authMethod: 'admin-token',
  subject: 'admin',
  permissions: [{ action: 'admin', resource: '*' }],
};

describe('gateway policy decisions', () => {
  const policies = [
    rule('p1', 'allow', 'oauth:*', 'sales', 'crm__*'),
    rule('p2', 'deny', 'oauth:alice', 'sales', 'crm__delete*'),
    rule('p3', 'allow', 'anonymous', 'default', 'search_servers'),
    rule('p4', 'deny', '*', '*', 'shell__*'),
  ];

  it('lets a deny rule win over a matching allow rule, per virtual server', () => {
    expect(decide(policies, alice, 'sales', 'crm__read', 'deny').allowed).toBe(true);
    expect(decide(policies, alice, 'sales', 'crm__delete_contact', 'deny')).toEqual({
      allowed: false,
      reason: 'denied by gateway policy p2',
    });
    // The same tool on another virtual server is not covered by p1: the default decides.
    expect(decide(policies, alice, 'support', 'crm__read', 'deny').allowed).toBe(false);
    expect(decide(policies, alice, 'support', 'crm__read', 'allow').allowed).toBe(true);
  });

  it('denies even the admin when a deny rule matches, and allows the admin otherwise', () => {
    expect(decide(policies, admin, undefined, 'shell__exec', 'allow').allowed).toBe(false);
    expect(decide(policies, admin, 'ops', 'anything', 'deny').allowed).toBe(true);
  });

  it('grants through gateway_call permissions on `virtualServer/tool` and `tool` for the main endpoint', () => {
    const carol: Principal = { authMethod: 'oauth', subject: 'carol', permissions: bob.permissions };
    expect(decide([], carol, 'sales', 'crm__read', 'deny').allowed).toBe(true);
    expect(decide([], carol, undefined, 'crm__read', 'deny').allowed).toBe(false);
    const mainOnly: Principal = { ...carol, permissions: [{ action: 'gateway_call', resource: 'search_*' }] };
    expect(decide([], mainOnly, undefined, 'search_servers', 'deny').allowed).toBe(true);
    expect(decide([], mainOnly, 'sales', 'search_servers', 'deny').allowed).toBe(false);
  });

  it('names anonymous callers `anonymous` and the main endpoint `default`', () => {
    expect(decide(policies, null, undefined, 'search_servers', 'deny').allowed).toBe(true);
    expect(decide(policies, null, undefined, 'get_server', 'deny').allowed).toBe(false);
    expect(decide(policies, null, 'sales', 'search_servers', 'deny').allowed).toBe(false);
  });
});

describeEachDatabase('gateway policies API', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database });
  });
  afterAll(async () => t?.close());

  it('creates, lists, applies and deletes rules (admin only)', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/gateway/policies',
      headers: adminHeaders,
      payload: { effect: 'deny', subject: 'anonymous', virtualServer: 'default', tool: 'get_*', description: 'x' },
    });
    expect(created.statusCode).toBe(201);
    const policy = created.json() as GatewayPolicy;
    expect(policy).toMatchObject({ effect: 'deny', subject: 'anonymous', virtualServer: 'default', tool: 'get_*' });
    expect(policy.id).toMatch(/^gwp_/);

    const list = await t.app.inject({ method: 'GET', url: '/api/v1/gateway/policies', headers: adminHeaders });
    expect((list.json() as { policies: GatewayPolicy[] }).policies.map((p) => p.id)).toEqual([policy.id]);
    expect(t.wharf.gatewayPolicies.decide(null, undefined, 'get_server').allowed).toBe(false);
    expect(t.wharf.gatewayPolicies.decide(null, undefined, 'search_servers').allowed).toBe(true);

    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/gateway/policies/${policy.id}`,
      headers: adminHeaders,
    });
    expect(removed.statusCode).toBe(204);
    expect(t.wharf.gatewayPolicies.decide(null, undefined, 'get_server').allowed).toBe(true);
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/gateway/policies/${policy.id}`,
      headers: adminHeaders,
    });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ status: 404, detail: `Gateway policy ${policy.id} not found` });
  });

  it('refuses invalid rules with problem+json and non-admins with 401/403', async () => {
    const invalid = await t.app.inject({
      method: 'POST',
      url: '/api/v1/gateway/policies',
      headers: adminHeaders,
      payload: { effect: 'maybe', subject: '*', tool: '*' },
    });
    expect(invalid.statusCode).toBeGreaterThanOrEqual(400);
    expect(invalid.statusCode).toBeLessThan(500);
    expect(invalid.headers['content-type']).toContain('application/problem+json');

    const anonymous = await t.app.inject({ method: 'POST', url: '/v0.1/auth/none' });
    const token = (anonymous.json() as { registry_token: string }).registry_token;
    const denied = await t.app.inject({
      method: 'GET',
      url: '/api/v1/gateway/policies',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(denied.statusCode).toBe(403);
    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/v1/gateway/policies',
      headers: { authorization: 'Bearer nope' },
    });
    expect(missing.statusCode).toBe(401);
  });
});
