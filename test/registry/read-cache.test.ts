import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { RegistryReadCache } from '../../src/registry/read-cache.js';

describe('cached registry reads', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp();
    // A second process-like instance on the same database file, as `wharf import` or another replica would be.
    b = await createTestApp({ config: { database: a.wharf.config.database } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const names = async (t: TestApp) =>
    (await t.app.inject({ url: '/v0.1/servers?search=cache-' }))
      .json()
      .servers.map((s: { server: { name: string } }) => s.server.name);

  it('answers with an ETag and 304 for a matching If-None-Match', async () => {
    const first = await a.app.inject({ url: '/v0.1/servers' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await a.app.inject({ url: '/v0/servers', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('drops cached answers at once on a local write', async () => {
    expect(await names(a)).toEqual([]);
    await a.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: adminHeaders,
      payload: serverJson('com.example/cache-1'),
    });
    expect(await names(a)).toEqual(['com.example/cache-1']);
  });

  it('sees writes made by another process within the poll interval', async () => {
    expect(await names(a)).toEqual(['com.example/cache-1']);
    const published = await b.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: adminHeaders,
      payload: serverJson('com.example/cache-2'),
    });
    expect(published.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 2200));
    expect(await names(a)).toEqual(['com.example/cache-1', 'com.example/cache-2']);
  });
});

describe('RegistryReadCache', () => {
  it('computes every read afresh when disabled, still with a content ETag', async () => {
    const cache = new RegistryReadCache({ readGeneration: async () => 0, enabled: false });
    let computed = 0;
    const compute = async () => `{"n":${++computed}}`;
    const first = await cache.get('k', compute);
    const second = await cache.get('k', compute);
    expect([first.body.toString(), second.body.toString()]).toEqual(['{"n":1}', '{"n":2}']);
    expect(first.etag).not.toBe(second.etag);
  });

  it('evicts the least recently used answers beyond its byte budget', async () => {
    const cache = new RegistryReadCache({ readGeneration: async () => 0, maxBytes: 40 });
    let computed = 0;
    const compute = async () => {
      computed += 1;
      return 'x'.repeat(10);
    };
    for (const key of ['a', 'b', 'c', 'd']) await cache.get(key, compute);
    await cache.get('a', compute); // refreshes a
    await cache.get('e', compute); // evicts b, the oldest
    expect(computed).toBe(5);
    await cache.get('a', compute);
    expect(computed).toBe(5);
    await cache.get('b', compute);
    expect(computed).toBe(6);
  });

  it('does not keep an answer computed while a write landed', async () => {
    const cache = new RegistryReadCache({ readGeneration: async () => 0 });
    let computed = 0;
    await cache.get('k', async () => {
      computed += 1;
      cache.invalidate();
      return '{}';
    });
    await cache.get('k', async () => {
      computed += 1;
      return '{}';
    });
    expect(computed).toBe(2);
  });
});
