import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INVALID_KEY_DETAIL } from '../../src/keys/service.js';
import { ADMIN_ONLY_MESSAGE } from '../../src/auth/authorize.js';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, createKey, movableClock, revokeKey } from '../auth/support.js';

const NS = 'com.acme';
const publishAcme = [{ action: 'publish' as const, resource: `${NS}/*` }];

describeEachDatabase('API keys', (database) => {
  let t: TestApp;
  const time = movableClock();
  beforeAll(async () => {
    t = await createTestApp({ database, overrides: { clock: time.clock } });
  });
  afterAll(async () => t?.close());

  const publish = (name: string, headers: Record<string, string>, version = '1.0.0') =>
    t.app.inject({ method: 'POST', url: '/v0/publish', headers, payload: serverJson(name, version) });

  it('shows a new key once and stores only its HMAC digest', async () => {
    const created = await createKey(t, { name: 'ci', description: 'GitHub Actions', permissions: publishAcme });
    expect(created.key).toMatch(/^wharf_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(`wharf_${created.id}_`)).toBe(true);
    expect(created).toMatchObject({ name: 'ci', description: 'GitHub Actions', permissions: publishAcme });

    const one = await t.app.inject({ url: `/api/v1/keys/${created.id}`, headers: adminHeaders });
    expect(one.statusCode).toBe(200);
    expect(one.json()).not.toHaveProperty('key');
    const list = await t.app.inject({ url: '/api/v1/keys', headers: adminHeaders });
    expect(list.json().keys.map((k: { id: string }) => k.id)).toContain(created.id);
    expect(list.body).not.toContain(created.key);

    const row = await t.wharf.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.key.slice(19));
  });

  it('works as a bearer on writes within its permissions only', async () => {
    const { key } = await createKey(t, { permissions: publishAcme });
    expect((await publish(`${NS}/direct`, bearer(key))).statusCode).toBe(200);
    const outside = await publish('org.other/x', bearer(key));
    expect(outside.statusCode).toBe(403);
    expect(outside.json().detail).toBe(
      `You do not have permission to publish this server. You have permission to publish: ${NS}/*. Attempting to publish: org.other/x`,
    );
  });

  it('is exchanged for a registry JWT under both prefixes, refused once the key is revoked', async () => {
    const { id, key } = await createKey(t, { name: 'exchanger', permissions: publishAcme });
    for (const prefix of ['v0', 'v0.1']) {
      const res = await t.app.inject({ method: 'POST', url: `/${prefix}/auth/key`, payload: { key } });
      expect(res.statusCode).toBe(200);
      const { registry_token, expires_at } = res.json();
      expect(expires_at).toBeGreaterThan(Date.now() / 1000);
      expect(decodeJwt(registry_token)).toMatchObject({
        iss: 'mcp-registry',
        auth_method: 'api-key',
        auth_method_sub: 'exchanger',
        permissions: publishAcme,
        wharf_key_id: id,
      });
      expect((await publish(`${NS}/via-${prefix}`, bearer(registry_token))).statusCode).toBe(200);
    }
    const { registry_token } = (await t.app.inject({ method: 'POST', url: '/v0/auth/key', payload: { key } })).json();
    await revokeKey(t, id);
    const refused = await publish(`${NS}/after-revoke`, bearer(registry_token));
    expect(refused.statusCode).toBe(401);
    expect(refused.json().detail).toBe(INVALID_KEY_DETAIL);
    const again = await t.app.inject({ method: 'POST', url: '/v0/auth/key', payload: { key } });
    expect(again.statusCode).toBe(401);
    expect(again.json().errors[0].message).toMatch(new RegExp(`^API key ${id} was revoked at `));
  });

  it('refuses unknown, malformed and expired keys with clear messages', async () => {
    const exchange = (key: unknown) => t.app.inject({ method: 'POST', url: '/v0/auth/key', payload: { key } });
    const unknown = await exchange(`wharf_aaaaaaaaaaaa_${'A'.repeat(43)}`);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual({
      title: 'Unauthorized',
      status: 401,
      detail: INVALID_KEY_DETAIL,
      errors: [{ message: 'API key is not recognised' }],
    });
    const malformed = await exchange('wharf_nope');
    expect(malformed.json().errors[0].message).toBe('API key is malformed: expected wharf_<id>_<secret>');
    expect((await t.app.inject({ method: 'POST', url: '/v0/auth/key', payload: {} })).statusCode).toBe(422);

    const soon = new Date(Date.parse(time.clock.now()) + 60_000).toISOString();
    const { id, key } = await createKey(t, { permissions: publishAcme, expires_at: soon });
    expect((await exchange(key)).statusCode).toBe(200);
    time.advance(61_000);
    const expired = await exchange(key);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().errors[0].message).toBe(`API key ${id} expired at ${soon}`);
  });

  it('tracks last use in memory and writes it in batches, not per request', async () => {
    const { id, key } = await createKey(t, { permissions: publishAcme });
    for (let i = 0; i < 3; i++) expect((await publish(`${NS}/used-${i}`, bearer(key))).statusCode).toBe(200);
    const row = () =>
      t.wharf.database.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect((await row()).last_used_at).toBeNull();
    const shown = (await t.app.inject({ url: `/api/v1/keys/${id}`, headers: adminHeaders })).json();
    expect(shown.last_used_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await t.wharf.keys.flush();
    expect((await row()).last_used_at).toBe(shown.last_used_at);
  });

  it('validates key requests and limits administration to global administrators', async () => {
    const create = (payload: object, headers = adminHeaders) =>
      t.app.inject({ method: 'POST', url: '/api/v1/keys', headers, payload });
    expect((await create({ name: 'x', permissions: [{ action: 'root', resource: '*' }] })).statusCode).toBe(422);
    expect((await create({ name: 'x' })).statusCode).toBe(422);
    const star = await create({ name: 'x', permissions: [{ action: 'publish', resource: 'com.*.x' }] });
    expect(star.statusCode).toBe(400);
    expect(star.json().errors[0].message).toBe(
      "permissions[0].resource may hold '*' only at its end (e.g. com.acme/*)",
    );
    const past = await create({ name: 'x', permissions: publishAcme, expires_at: '2001-01-01T00:00:00Z' });
    expect(past.json().detail).toBe('expires_at must be in the future');
    const garbage = await create({ name: 'x', permissions: publishAcme, expires_at: 'tomorrow' });
    expect(garbage.json().detail).toBe('expires_at must be an RFC 3339 timestamp, e.g. 2027-01-31T00:00:00Z');

    const { id, key } = await createKey(t, { permissions: publishAcme });
    const denied = await create({ name: 'y', permissions: publishAcme }, bearer(key));
    expect(denied.statusCode).toBe(403);
    expect(denied.json().detail).toBe(ADMIN_ONLY_MESSAGE);
    expect((await t.app.inject({ url: '/api/v1/keys', headers: bearer(key) })).statusCode).toBe(403);
    // A key may read its own record (what CI holds), not another's.
    expect((await t.app.inject({ url: `/api/v1/keys/${id}`, headers: bearer(key) })).statusCode).toBe(200);
    const other = await createKey(t, { permissions: publishAcme });
    expect((await t.app.inject({ url: `/api/v1/keys/${other.id}`, headers: bearer(key) })).statusCode).toBe(403);

    expect(
      (await t.app.inject({ method: 'DELETE', url: '/api/v1/keys/nosuchkey000', headers: adminHeaders })).json(),
    ).toEqual({
      title: 'Not Found',
      status: 404,
      detail: 'API key not found',
    });
    await revokeKey(t, other.id);
    const twice = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${other.id}`, headers: adminHeaders });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().detail).toMatch(/^API key \w+ was already revoked at /);
    const active = (await t.app.inject({ url: '/api/v1/keys', headers: adminHeaders })).json().keys;
    expect(active.map((k: { id: string }) => k.id)).not.toContain(other.id);
    const all = (await t.app.inject({ url: '/api/v1/keys?include_revoked=true', headers: adminHeaders })).json().keys;
    expect(all.find((k: { id: string }) => k.id === other.id)).toMatchObject({ revoked_by: 'admin-token:admin' });
  });
});
