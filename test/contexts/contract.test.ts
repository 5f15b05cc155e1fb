import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminHeaders } from '../support/app.js';
import { describeEachContextBackend, openEventStream } from './support.js';
import type { ContextTestApp } from './support.js';

const json = { ...adminHeaders, 'content-type': 'application/json' };

describeEachContextBackend('context store contract', (backend) => {
  let t: ContextTestApp;
  let base: string;
  beforeAll(async () => {
    t = await backend.start();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => t?.close());

  const create = (body: unknown, query = '', headers: Record<string, string> = adminHeaders) =>
    t.app.inject({ method: 'POST', url: `/api/v1/contexts${query}`, headers, payload: body as object });
  const get = (id: string, headers: Record<string, string> = adminHeaders) =>
    t.app.inject({ url: `/api/v1/contexts/${encodeURIComponent(id)}`, headers });

  it('creates, reads, replaces and deletes with the documented shape, versions and ETags', async () => {
    const created = await create({ data: { user: 'ada', step: 1 }, metadata: { kind: 'chat' } }, '?ttl_seconds=120');
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(Object.keys(body)).toEqual([
      'context_id',
      'namespace',
      'version',
      'created_at',
      'last_updated',
      'expires_at',
      'payload',
    ]);
    expect(body).toMatchObject({
      namespace: 'default',
      version: 1,
      payload: { data: { user: 'ada', step: 1 }, metadata: { kind: 'chat' } },
    });
    expect(created.headers.etag).toBe('"1"');
    expect(created.headers.location).toBe(`/api/v1/contexts/${body.context_id}`);
    expect(Date.parse(body.expires_at) - Date.parse(body.created_at)).toBe(120_000);
    expect(body.created_at).toBe(new Date(t.clock.now()).toISOString());

    const read = await get(body.context_id);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
    expect(read.headers.etag).toBe('"1"');
    expect(
      (
        await t.app.inject({
          url: `/api/v1/contexts/${body.context_id}`,
          headers: { ...adminHeaders, 'if-none-match': '"1"' },
        })
      ).statusCode,
    ).toBe(304);

    t.clock.advance(5_000);
    const replaced = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/contexts/${body.context_id}?ttl_seconds=600`,
      headers: json,
      payload: { data: { user: 'ada', step: 2 } },
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.headers.etag).toBe('"2"');
    expect(replaced.json()).toMatchObject({
      version: 2,
      created_at: body.created_at,
      last_updated: new Date(t.clock.now()).toISOString(),
      expires_at: new Date(t.clock.now() + 600_000).toISOString(),
      payload: { data: { user: 'ada', step: 2 }, metadata: {} },
    });

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/contexts/${body.context_id}`,
      headers: adminHeaders,
    });
    expect(deleted.statusCode).toBe(204);
    expect((await get(body.context_id)).statusCode).toBe(404);
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/contexts/${body.context_id}`,
      headers: adminHeaders,
    });
    expect(again.statusCode).toBe(404);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    const putMissing = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/contexts/${body.context_id}`,
      headers: json,
      payload: { data: {} },
    });
    expect(putMissing.statusCode).toBe(404);
  });

  it('applies the default TTL, honours ttl_seconds=0 and expires exactly at the deadline, before any reaper', async () => {
    const byDefault = (await create({ data: {} })).json();
    expect(Date.parse(byDefault.expires_at) - Date.parse(byDefault.created_at)).toBe(3_600_000);
    const forever = (await create({ data: { keep: true } }, '?ttl_seconds=0')).json();
    expect(forever.expires_at).toBeNull();
    const short = (await create({ data: { brief: true } }, '?ttl_seconds=10')).json();

    t.clock.advance(9_999);
    expect((await get(short.context_id)).statusCode).toBe(200);
    t.clock.advance(1);
    expect((await get(short.context_id)).statusCode).toBe(404);
    const write = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/contexts/${short.context_id}`,
      headers: json,
      payload: { data: {} },
    });
    expect(write.statusCode).toBe(404);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/contexts/${short.context_id}`,
      headers: json,
      payload: { data: { x: 1 } },
    });
    expect(patch.statusCode).toBe(404);

    t.clock.advance(10 * 365 * 86_400_000);
    expect((await get(forever.context_id)).statusCode).toBe(200);
    expect((await get(byDefault.context_id)).statusCode).toBe(404);
  });

  it('refuses TTLs outside 0..max with a clear 400 and writes nothing', async () => {
    for (const ttl of ['-1', '1.5', 'abc', String(30 * 86_400 + 1), '1e3']) {
      const response = await create(
        { context_id: `ttl-${ttl.replace(/[^a-z0-9]/gi, '')}`, data: {} },
        `?ttl_seconds=${ttl}`,
      );
      expect(response.statusCode, ttl).toBe(400);
      expect(response.json().detail).toContain('ttl_seconds must be a whole number of seconds from 0');
      expect((await get(`ttl-${ttl.replace(/[^a-z0-9]/gi, '')}`)).statusCode).toBe(404);
    }
    expect((await create({ data: {} }, `?ttl_seconds=${30 * 86_400}`)).statusCode).toBe(201);
  });

  it('reaps expired contexts in batches and announces each as an expired event', async () => {
    const stream = await openEventStream(`${base}/api/v1/contexts/events?namespace=reap`, adminHeaders);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await create({ context_id: `reap-${i}`, namespace: 'reap', data: { i } }, `?ttl_seconds=${i + 1}`)).json()
          .context_id,
      );
    }
    await create({ context_id: 'reap-keep', namespace: 'reap', data: {} }, '?ttl_seconds=100');
    t.clock.advance(5_000);
    // Earlier tests' contexts may expire in the same pass: count at least this test's five.
    const reaped = await t.wharf.contexts.reapNow();
    expect(reaped).toBeGreaterThanOrEqual(5);
    expect(await t.wharf.contexts.reapNow()).toBe(0);
    const events = await stream.waitFor(11);
    expect(events.slice(6).map((e) => [e.event, e.data.context_id])).toEqual(ids.map((id) => ['expired', id]));
    expect((await get('reap-keep')).statusCode).toBe(200);
    await stream.close();
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    const counted = new RegExp(`wharf_context_expired_total\\{backend="${backend.name}"\\} (\\d+)`).exec(metrics);
    expect(Number(counted?.[1])).toBeGreaterThanOrEqual(reaped);
  });

  it('lets a client choose the id, answers 409 on a live collision and reuses an expired id', async () => {
    const first = await create({ context_id: 'session:42', data: { n: 1 } }, '?ttl_seconds=5');
    expect(first.statusCode).toBe(201);
    expect(first.json().context_id).toBe('session:42');
    const clash = await create({ context_id: 'session:42', data: { n: 2 } });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().detail).toContain('session:42');
    expect((await get('session:42')).json().payload.data).toEqual({ n: 1 });
    t.clock.advance(5_000);
    const reused = await create({ context_id: 'session:42', data: { n: 3 } });
    expect(reused.statusCode).toBe(201);
    expect(reused.json().version).toBe(1);
  });

  it('lets exactly one of many concurrent If-Match writers win', async () => {
    const { context_id } = (await create({ data: { winner: null } })).json();
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.app.inject({
          method: 'PUT',
          url: `/api/v1/contexts/${context_id}`,
          headers: { ...json, 'if-match': '"1"' },
          payload: { data: { winner: i } },
        }),
      ),
    );
    const statuses = attempts.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(11);
    const winner = attempts.find((r) => r.statusCode === 200)!.json().payload.data.winner;
    const now = (await get(context_id)).json();
    expect(now).toMatchObject({ version: 2, payload: { data: { winner } } });
    const loser = attempts.find((r) => r.statusCode === 412)!;
    expect(loser.headers['content-type']).toMatch(/problem\+json/);
    expect(loser.json().detail).toContain('version 2');
  });

  it('loses no update among concurrent merge patches without If-Match', async () => {
    const { context_id } = (await create({ data: {} })).json();
    const patches = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.app.inject({
          method: 'PATCH',
          url: `/api/v1/contexts/${context_id}`,
          headers: { ...adminHeaders, 'content-type': 'application/merge-patch+json' },
          payload: JSON.stringify({ data: { [`k${i}`]: i } }),
        }),
      ),
    );
    expect(patches.map((p) => p.statusCode)).toEqual(Array(10).fill(200));
    const final = (await get(context_id)).json();
    expect(final.version).toBe(11);
    expect(Object.keys(final.payload.data).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
  });

  it('merges patches per RFC 7396 and checks If-Match and deletes with If-Match', async () => {
    const { context_id } = (
      await create({ data: { a: { b: 1, c: 2 }, list: [1, 2], gone: true }, metadata: { tag: 'x' } })
    ).json();
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/contexts/${context_id}`,
      headers: { ...adminHeaders, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
      payload: JSON.stringify({ data: { a: { c: null, d: 3 }, list: [9], gone: null }, metadata: { tag: 'y' } }),
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().payload).toEqual({ data: { a: { b: 1, d: 3 }, list: [9] }, metadata: { tag: 'y' } });
    const stale = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/contexts/${context_id}`,
      headers: { ...adminHeaders, 'if-match': '"1"' },
    });
    expect(stale.statusCode).toBe(412);
    const ok = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/contexts/${context_id}`,
      headers: { ...adminHeaders, 'if-match': '"2"' },
    });
    expect(ok.statusCode).toBe(204);
  });

  it('lists a namespace with metadata filters and cursor pagination', async () => {
    for (let i = 0; i < 7; i++) {
      await create({
        context_id: `list-${i}`,
        namespace: 'team/list',
        data: { i },
        metadata: { kind: i % 2 ? 'odd' : 'even' },
      });
    }
    await create({ context_id: 'list-other', namespace: 'team/other', data: {} });
    await create(
      { context_id: 'list-short', namespace: 'team/list', data: {}, metadata: { kind: 'odd' } },
      '?ttl_seconds=1',
    );
    t.clock.advance(1_000);
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = await t.app.inject({
        url: `/api/v1/contexts?namespace=team/list&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        headers: adminHeaders,
      });
      expect(page.statusCode).toBe(200);
      seen.push(...page.json().contexts.map((c: { context_id: string }) => c.context_id));
      cursor = page.json().metadata.next_cursor ?? '';
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `list-${i}`));
    expect(pages).toBe(3);
    const odd = await t.app.inject({
      url: '/api/v1/contexts?namespace=team/list&metadata.kind=odd',
      headers: adminHeaders,
    });
    expect(odd.json().contexts.map((c: { context_id: string }) => c.context_id)).toEqual([
      'list-1',
      'list-3',
      'list-5',
    ]);
    const bad = await t.app.inject({
      url: '/api/v1/contexts?namespace=team/list&cursor=nonsense',
      headers: adminHeaders,
    });
    expect(bad.statusCode).toBe(400);
  });

  it('streams every change of a namespace in order, and resumes after Last-Event-ID', async () => {
    const watcher = await openEventStream(`${base}/api/v1/contexts/events?namespace=watched`, adminHeaders);
    expect(watcher.response.status).toBe(200);
    expect(watcher.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const one = await openEventStream(`${base}/api/v1/contexts/w-1/events?namespace=watched`, adminHeaders);
    await create({ context_id: 'w-1', namespace: 'watched', data: { n: 0 } }, '?ttl_seconds=30');
    await create({ context_id: 'w-2', namespace: 'watched', data: {} });
    for (let n = 1; n <= 20; n++) {
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/contexts/w-1',
        headers: { ...adminHeaders, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ data: { n } }),
      });
    }
    await t.app.inject({ method: 'DELETE', url: '/api/v1/contexts/w-2', headers: adminHeaders });
    // Every write restarts the TTL (default 3600 s), so w-1 expires an hour after its last patch.
    t.clock.advance(3_600_000);
    await t.wharf.contexts.reapNow();
    const events = await watcher.waitFor(24);
    expect(events.map((e) => e.event)).toEqual([
      'created',
      'created',
      ...Array(20).fill('updated'),
      'deleted',
      'expired',
    ]);
    expect(
      events.slice(2, 22).map((e) => (e.data.context as { payload: { data: { n: number } } }).payload.data.n),
    ).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(events.slice(2, 22).map((e) => e.data.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(new Set(events.map((e) => e.id)).size).toBe(24);
    expect(events.every((e) => e.id === e.data.event_id)).toBe(true);

    const single = await one.waitFor(22);
    expect(single.every((e) => e.data.context_id === 'w-1')).toBe(true);
    expect(single.at(-1)?.event).toBe('expired');

    const resumed = await openEventStream(`${base}/api/v1/contexts/events?namespace=watched`, {
      ...adminHeaders,
      'last-event-id': events[19]!.id,
    });
    const rest = await resumed.waitFor(4);
    expect(rest.map((e) => e.id)).toEqual(events.slice(20).map((e) => e.id));
    for (const s of [watcher, one, resumed]) await s.close();

    const badResume = await fetch(`${base}/api/v1/contexts/events?namespace=watched`, {
      headers: { ...adminHeaders, 'last-event-id': 'not an id' },
    });
    expect(badResume.status).toBe(400);
    expect((await fetch(`${base}/api/v1/contexts/missing/events`, { headers: adminHeaders })).status).toBe(404);
  });
});
