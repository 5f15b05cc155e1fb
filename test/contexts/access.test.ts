import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from '../support/app.js';
import { contextBackends } from './support.js';
import type { ContextBackend, ContextTestApp } from './support.js';

// Access rules and input checks live in the service, above the store: they run on SQLite only.
const sqliteOnly = (title: string, suite: (backend: ContextBackend) => void) =>
  describe(`${title} [sqlite]`, () => suite(contextBackends.find((b) => b.name === 'sqlite')!));

sqliteOnly('context access control', (backend) => {
  let t: ContextTestApp;
  beforeAll(async () => {
    t = await backend.start({ env: { WHARF_CONTEXT_OWNER_RULE: 'private/*' } });
  });
  afterAll(async () => t?.close());

  const call = (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('answers 401 without or with a bad credential', async () => {
    const none = await call('GET', '/api/v1/contexts/x', {});
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(/problem\+json/);
    expect(none.json().detail).toContain('Authorization: Bearer');
    const bad = await call('GET', '/api/v1/contexts/x', { authorization: 'Bearer nope' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().detail).toContain('Invalid or expired');
  });

  it('grants per namespace pattern: readers read, writers write, others get a clear 403', async () => {
    const writer = await t.bearer('writer', [{ action: 'context_writer', resource: 'team-a/*' }]);
    const reader = await t.bearer('reader', [{ action: 'context_reader', resource: 'team-a/*' }]);
    const publisher = await t.bearer('pub', [{ action: 'publish', resource: '*' }]);
    const created = await call('POST', '/api/v1/contexts?namespace=team-a/chat', writer, {
      context_id: 'acl-1',
      data: { x: 1 },
    });
    expect(created.statusCode).toBe(201);
    expect((await call('GET', '/api/v1/contexts/acl-1', reader)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/contexts/acl-1', writer)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/contexts?namespace=team-a/chat', reader)).json().contexts).toHaveLength(1);

    const denied = await call('PUT', '/api/v1/contexts/acl-1', reader, { data: {} });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().detail).toBe(
      'context_writer permission on namespace "team-a/chat" is required. Your credential holds: context_reader on "team-a/*".',
    );
    expect((await call('DELETE', '/api/v1/contexts/acl-1', reader)).statusCode).toBe(403);
    const elsewhere = await call('POST', '/api/v1/contexts?namespace=team-b', writer, { data: {} });
    expect(elsewhere.statusCode).toBe(403);
    expect((await call('GET', '/api/v1/contexts?namespace=team-b', reader)).statusCode).toBe(403);
    const noRoles = await call('GET', '/api/v1/contexts/acl-1', publisher);
    expect(noRoles.statusCode).toBe(403);
    expect(noRoles.json().detail).toContain('holds no context permissions');
    const events = await call('GET', '/api/v1/contexts/events?namespace=team-b', reader);
    expect(events.statusCode).toBe(403);
    // The admin token (admin on *) implies every context role.
    expect((await call('DELETE', '/api/v1/contexts/acl-1', adminHeaders)).statusCode).toBe(204);
  });

  it('applies the owner rule where configured: creators own, others see nothing of theirs, admins see all', async () => {
    const perms = [{ action: 'context_writer' as const, resource: 'private/*' }];
    const alice = await t.bearer('alice', perms);
    const bob = await t.bearer('bob', perms);
    const mine = await call('POST', '/api/v1/contexts?namespace=private/notes', alice, {
      context_id: 'own-1',
      data: { s: 1 },
    });
    expect(mine.statusCode).toBe(201);
    expect(mine.json().payload.metadata).toEqual({ owner: 'alice' });
    const spoof = await call('POST', '/api/v1/contexts?namespace=private/notes', bob, {
      data: {},
      metadata: { owner: 'alice' },
    });
    expect(spoof.statusCode).toBe(403);
    expect(spoof.json().detail).toContain('metadata.owner must be "bob"');
    await call('POST', '/api/v1/contexts?namespace=private/notes', bob, { context_id: 'own-2', data: {} });

    const peek = await call('GET', '/api/v1/contexts/own-1', bob);
    expect(peek.statusCode).toBe(403);
    expect(peek.json().detail).toContain('belongs to another owner');
    expect((await call('PATCH', '/api/v1/contexts/own-1', bob, { data: { s: 2 } })).statusCode).toBe(403);
    const steal = await call('PUT', '/api/v1/contexts/own-1', alice, { data: {}, metadata: { owner: 'bob' } });
    expect(steal.statusCode).toBe(403);
    const listed = await call('GET', '/api/v1/contexts?namespace=private/notes', bob);
    expect(listed.json().contexts.map((c: { context_id: string }) => c.context_id)).toEqual(['own-2']);
    const all = await call('GET', '/api/v1/contexts?namespace=private/notes', adminHeaders);
    expect(all.json().contexts).toHaveLength(2);
    // Outside the configured patterns the rule does not apply.
    const shared = await t.bearer('carol', [{ action: 'context_writer', resource: '*' }]);
    const open = await call('POST', '/api/v1/contexts?namespace=public', shared, {
      data: {},
      metadata: { owner: 'zed' },
    });
    expect(open.statusCode).toBe(201);
  });
});

sqliteOnly('context bad input', (backend) => {
  let t: ContextTestApp;
  beforeAll(async () => {
    t = await backend.start({ env: { WHARF_CONTEXT_MAX_BYTES: '2048' } });
  });
  afterAll(async () => t?.close());

  const post = (payload: unknown, query = '') =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/contexts${query}`,
      headers: adminHeaders,
      payload: payload as object,
    });

  it.each([
    ['non-object data', { data: [1, 2] }, 'data must be a JSON object, got an array'],
    ['string data', { data: 'text' }, 'data must be a JSON object, got a string'],
    ['missing data', { metadata: {} }, 'data must be a JSON object, got nothing'],
    ['non-object metadata', { data: {}, metadata: 5 }, 'metadata must be a JSON object, got a number'],
    ['unknown members', { data: {}, ttl: 5 }, 'Unknown member(s) "ttl"'],
    ['bad id', { context_id: 'has space', data: {} }, 'Invalid context id'],
    ['reserved id', { context_id: 'events', data: {} }, 'Invalid context id'],
    ['long id', { context_id: 'x'.repeat(129), data: {} }, 'Invalid context id'],
    ['bad namespace', { namespace: 'a*', data: {} }, 'Invalid namespace'],
  ])('refuses %s with a 400 problem', async (_name, body, detail) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().detail).toContain(detail);
  });

  it('refuses a body that is not JSON, or not an object', async () => {
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contexts',
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      payload: '{"data": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().detail).toContain('Malformed JSON');
    expect((await post([{ data: {} }])).statusCode).toBe(400);
  });

  it('answers 413 for documents over WHARF_CONTEXT_MAX_BYTES, on create, replace and patch, and keeps the old one', async () => {
    const big = await post({ context_id: 'big', data: { blob: 'x'.repeat(3000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().detail).toContain('the limit is 2048 bytes');
    expect((await t.app.inject({ url: '/api/v1/contexts/big', headers: adminHeaders })).statusCode).toBe(404);

    expect((await post({ context_id: 'small', data: { blob: 'x'.repeat(1000) } })).statusCode).toBe(201);
    const replace = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/contexts/small',
      headers: adminHeaders,
      payload: { data: { blob: 'y'.repeat(3000) } },
    });
    expect(replace.statusCode).toBe(413);
    const grow = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/contexts/small',
      headers: { ...adminHeaders, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ data: { more: 'z'.repeat(1500) } }),
    });
    expect(grow.statusCode).toBe(413);
    const kept = (await t.app.inject({ url: '/api/v1/contexts/small', headers: adminHeaders })).json();
    expect(kept.version).toBe(1);
    expect(kept.payload.data.blob).toHaveLength(1000);
  });

  it('refuses malformed patches, wrong patch media types and bad If-Match, writing nothing', async () => {
    expect((await post({ context_id: 'p', data: { a: 1 } })).statusCode).toBe(201);
    const patch = (payload: string, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'PATCH',
        url: '/api/v1/contexts/p',
        headers: { ...adminHeaders, 'content-type': 'application/merge-patch+json', ...headers },
        payload,
      });
    expect((await patch('[1]')).statusCode).toBe(400);
    expect((await patch('"x"')).statusCode).toBe(400);
    const nullData = await patch('{"data": null}');
    expect(nullData.statusCode).toBe(400);
    expect(nullData.json().detail).toContain('patched context payload');
    expect((await patch('{"data": 5}')).statusCode).toBe(400);
    expect((await patch('{"context_id": "other"}')).json().detail).toContain('only change "data" and "metadata"');
    expect((await patch('{"data": {"b": 1}}', { 'content-type': 'text/plain' })).statusCode).toBe(415);
    for (const ifMatch of ['1', 'W/"1"', '"abc"', '"1", "2"']) {
      const response = await patch('{"data": {"b": 1}}', { 'if-match': ifMatch });
      expect(response.statusCode, ifMatch).toBe(400);
      expect(response.json().detail).toMatch(/If-Match/);
    }
    const ttl = await patch('{"data": {"b": 1}}');
    expect(ttl.statusCode).toBe(200);
    expect(ttl.json().version).toBe(2);
    const star = await patch('{"data": {"c": 1}}', { 'if-match': '*' });
    expect(star.statusCode).toBe(200);
    const badTtl = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/contexts/p?ttl_seconds=-5',
      headers: adminHeaders,
      payload: { data: {} },
    });
    expect(badTtl.statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/contexts/p', headers: adminHeaders })).json().version).toBe(3);
  });

  it('validates list parameters', async () => {
    const get = (q: string) => t.app.inject({ url: `/api/v1/contexts?${q}`, headers: adminHeaders });
    expect((await get('limit=0')).statusCode).toBe(400);
    expect((await get('limit=abc')).statusCode).toBe(400);
    expect((await get('metadata.a%20b=1')).statusCode).toBe(400);
    expect((await get('namespace=bad*')).statusCode).toBe(400);
    expect((await get('limit=5')).statusCode).toBe(200);
  });
});

describe('context settings', () => {
  it('refuse inconsistent configuration with the setting named', async () => {
    const { loadConfig } = await import('../../src/config/config.js');
    expect(() => loadConfig({}, { WHARF_CONTEXT_STORE: 'redis' })).toThrow(/WHARF_REDIS_URL/);
    expect(() =>
      loadConfig({}, { WHARF_CONTEXT_DEFAULT_TTL_SECONDS: '100', WHARF_CONTEXT_MAX_TTL_SECONDS: '10' }),
    ).toThrow(/WHARF_CONTEXT_DEFAULT_TTL_SECONDS/);
    expect(() => loadConfig({}, { WHARF_CONTEXT_MAX_BYTES: '10' })).toThrow(/WHARF_CONTEXT_MAX_BYTES/);
    expect(loadConfig({}, { WHARF_CONTEXT_OWNER_RULE: 'true' }).contexts.ownerRuleNamespaces).toEqual(['*']);
    expect(loadConfig({}, { WHARF_CONTEXT_OWNER_RULE: 'a/*, b' }).contexts.ownerRuleNamespaces).toEqual(['a/*', 'b']);
    expect(loadConfig({}, {}).contexts).toMatchObject({
      store: 'auto',
      defaultTtlSeconds: 3600,
      ownerRuleNamespaces: [],
    });
  });
});
