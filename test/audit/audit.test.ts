import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, createKey } from '../auth/support.js';

interface Event {
  id: string;
  occurred_at: string;
  action: string;
  outcome: string;
  actor: { method: string; subject: string; key_id: string | null } | null;
  target: string | null;
  source_ip: string | null;
  detail: Record<string, unknown> | null;
}

describeEachDatabase('audit log', (database) => {
  let t: TestApp;
  let keyId: string;
  let startedAt: string;
  beforeAll(async () => {
    t = await createTestApp({ database });
    startedAt = new Date().toISOString();
    const login = await t.app.inject({ method: 'POST', url: '/v0/auth/none' });
    const anon = bearer(login.json().registry_token);
    await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: anon,
      payload: serverJson('io.modelcontextprotocol.anonymous/audited', '1.0.0'),
    });
    await t.app.inject({ method: 'POST', url: '/v0/publish', headers: anon, payload: serverJson('com.acme/taken') });
    const key = await createKey(t, { name: 'ci', permissions: [{ action: 'publish', resource: 'com.acme/*' }] });
    keyId = key.id;
    await t.app.inject({
      method: 'POST',
      url: '/v0.1/publish',
      headers: bearer(key.key),
      payload: serverJson('com.acme/taken'),
    });
    await t.app.inject({
      method: 'PATCH',
      url: `/v0/servers/${encodeURIComponent('com.acme/taken')}/versions/1.0.0/status`,
      headers: bearer(key.key),
      payload: { status: 'deprecated' },
    });
    // A failure that is not a refusal: the version exists already.
    await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: bearer(key.key),
      payload: serverJson('com.acme/taken'),
    });
  });
  afterAll(async () => t?.close());

  const audit = async (query = '') => {
    const res = await t.app.inject({ url: `/api/v1/audit${query}`, headers: adminHeaders });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { events: Event[]; metadata: { count: number; nextCursor?: string } };
  };

  it('records who did what to which target, from where, with the outcome, newest first', async () => {
    const { events } = await audit();
    expect(events.map((e) => [e.action, e.outcome, e.target])).toEqual([
      ['server.publish', 'failure', 'com.acme/taken@1.0.0'],
      ['server.status', 'success', 'com.acme/taken@1.0.0'],
      ['server.publish', 'success', 'com.acme/taken@1.0.0'],
      ['key.create', 'success', `key:${keyId}`],
      ['server.publish', 'denied', 'com.acme/taken@1.0.0'],
      ['server.publish', 'success', 'io.modelcontextprotocol.anonymous/audited@1.0.0'],
      ['auth.login', 'success', 'none'],
    ]);
    expect(events[0]).toMatchObject({
      actor: { method: 'api-key', subject: 'ci', key_id: keyId },
      source_ip: '127.0.0.1',
      detail: { status: 400, reason: 'Failed to publish server: invalid version: cannot publish duplicate version' },
    });
    expect(events[1]?.detail).toEqual({ status: 200, new_status: 'deprecated' });
    expect(events[4]).toMatchObject({
      actor: { method: 'none', subject: 'anonymous', key_id: null },
      detail: { status: 403 },
    });
    expect(events[6]?.actor).toEqual({ method: 'none', subject: 'anonymous', key_id: null });
    expect(events[3]?.detail).toMatchObject({
      name: 'ci',
      permissions: [{ action: 'publish', resource: 'com.acme/*' }],
    });
    expect(Date.parse(events[0]!.occurred_at)).toBeGreaterThanOrEqual(Date.parse(events[6]!.occurred_at));
  });

  it('filters by actor, action, server, outcome and time', async () => {
    expect((await audit(`?actor=${keyId}`)).events).toHaveLength(3);
    expect((await audit('?actor=anonymous')).events).toHaveLength(3);
    expect((await audit('?action=server.publish&outcome=success')).events).toHaveLength(2);
    expect((await audit('?server=com.acme/taken')).events).toHaveLength(4);
    expect((await audit(`?target=key:${keyId}`)).events).toHaveLength(1);
    expect((await audit(`?since=${startedAt}`)).events).toHaveLength(7);
    expect((await audit(`?until=${startedAt}`)).events).toHaveLength(0);
  });

  it('pages with a cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await audit(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.events.map((e) => e.id));
      cursor = page.metadata.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual((await audit()).events.map((e) => e.id));
  });

  it('answers bad filters with problem+json and keeps the log to administrators', async () => {
    const bad = await t.app.inject({ url: '/api/v1/audit?since=yesterday', headers: adminHeaders });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.json().detail).toBe('Invalid since: expected an RFC 3339 timestamp (e.g. 2026-11-21T13:00:00Z)');
    expect((await t.app.inject({ url: '/api/v1/audit?cursor=abc', headers: adminHeaders })).json().detail).toBe(
      'Invalid cursor: pass metadata.nextCursor from the previous page',
    );
    const order = await t.app.inject({
      url: '/api/v1/audit?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
      headers: adminHeaders,
    });
    expect(order.json().detail).toBe('since must be earlier than until');
    expect((await t.app.inject({ url: '/api/v1/audit?limit=0', headers: adminHeaders })).statusCode).toBe(422);
    expect((await t.app.inject({ url: '/api/v1/audit?outcome=maybe', headers: adminHeaders })).statusCode).toBe(422);
    expect((await t.app.inject({ url: '/api/v1/audit' })).statusCode).toBe(401);
    const anon = (await t.app.inject({ method: 'POST', url: '/v0/auth/none' })).json().registry_token;
    expect((await t.app.inject({ url: '/api/v1/audit', headers: bearer(anon) })).statusCode).toBe(403);
  });
});
