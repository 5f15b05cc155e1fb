import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WharfConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import type { Database } from '../../src/platform/storage/database.js';
import type { ServerVersion } from '../../src/registry/model.js';
import { RegistryStore } from '../../src/registry/store.js';
import { describeEachDatabase } from '../support/databases.js';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

function entry(name: string, version: string, second: number, extra: Partial<ServerVersion> = {}): ServerVersion {
  return {
    name,
    version,
    status: 'active',
    statusChangedAt: at(second),
    statusMessage: null,
    publishedAt: at(second),
    updatedAt: at(second),
    isLatest: false,
    document: JSON.stringify({ name, version }),
    ...extra,
  };
}

describeEachDatabase('RegistryStore contract', (testDatabase) => {
  let database: Database;
  let store: RegistryStore;
  let config: WharfConfig['database'];

  beforeAll(async () => {
    config = await testDatabase.create();
    database = await openDatabase(config);
    store = new RegistryStore(database);
    // Names chosen so that bytewise order differs from a natural-language collation.
    await store.insert(entry('com.example/b-server', '1.0.0', 1), ['https://b.example.com/mcp']);
    await store.insert(entry('com.example/b-server', '1.10.0', 2), []);
    await store.insert(entry('com.example/b-server', '1.9.0', 3, { isLatest: true }), []);
    await store.insert(entry('com.example/A-server', '0.1.0', 4, { isLatest: true }), ['https://a.example.com/mcp']);
    await store.insert(entry('com.example/c_server', '2.0.0', 5, { isLatest: true, status: 'deleted' }), [
      'https://c.example.com/mcp',
    ]);
    await store.insert(entry('io.github.x/y', '1.0.0+build', 6, { isLatest: true, status: 'deprecated' }), []);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('applies migrations once: opening again is a no-op', async () => {
    const again = await openDatabase(config);
    await again.close();
    expect(await store.list({ limit: 100, includeDeleted: true })).toHaveLength(6);
  });

  it('lists in bytewise (name, version) order with keyset cursors', async () => {
    const all = await store.list({ limit: 100, includeDeleted: true });
    expect(all.map((v) => `${v.name}:${v.version}`)).toEqual([
      'com.example/A-server:0.1.0',
      'com.example/b-server:1.0.0',
      'com.example/b-server:1.10.0',
      'com.example/b-server:1.9.0',
      'com.example/c_server:2.0.0',
      'io.github.x/y:1.0.0+build',
    ]);
    const page = await store.list({
      limit: 2,
      includeDeleted: true,
      cursor: { name: 'com.example/b-server', version: '1.0.0' },
    });
    expect(page.map((v) => v.version)).toEqual(['1.10.0', '1.9.0']);
    const legacy = await store.list({ limit: 10, includeDeleted: true, cursor: { name: 'com.example/b-server' } });
    expect(legacy.map((v) => v.name)).toEqual(['com.example/c_server', 'io.github.x/y']);
  });

  it('hides deleted versions unless asked', async () => {
    const visible = await store.list({ limit: 100, includeDeleted: false });
    expect(visible.some((v) => v.status === 'deleted')).toBe(false);
    expect(visible).toHaveLength(5);
  });

  it('filters by latest, exact version, updated_since and name substring', async () => {
    const latest = await store.list({ limit: 100, includeDeleted: false, version: 'latest' });
    expect(latest.map((v) => v.name)).toEqual(['com.example/A-server', 'com.example/b-server', 'io.github.x/y']);
    expect((await store.list({ limit: 100, includeDeleted: true, version: '1.10.0' })).map((v) => v.name)).toEqual([
      'com.example/b-server',
    ]);
    const since = await store.list({ limit: 100, includeDeleted: true, updatedSince: at(4) });
    expect(since.map((v) => v.version)).toEqual(['2.0.0', '1.0.0+build']);
    const search = await store.list({ limit: 100, includeDeleted: true, search: 'A-SERV' });
    expect(search.map((v) => v.name)).toEqual(['com.example/A-server']);
    // LIKE wildcards in the search are literal characters.
    expect((await store.list({ limit: 100, includeDeleted: true, search: 'c_s' })).map((v) => v.name)).toEqual([
      'com.example/c_server',
    ]);
    expect(await store.list({ limit: 100, includeDeleted: true, search: '%' })).toHaveLength(0);
  });

  it('searches names through the names index with short, long, mixed-case and wildcard terms', async () => {
    const names = async (search: string) =>
      (await store.list({ limit: 100, includeDeleted: true, search })).map((v) => `${v.name}:${v.version}`);
    expect(await names('a-')).toEqual(['com.example/A-server:0.1.0']);
    expect(await names('B-SeRvEr')).toEqual([
      'com.example/b-server:1.0.0',
      'com.example/b-server:1.10.0',
      'com.example/b-server:1.9.0',
    ]);
    expect(await names('x/')).toEqual(['io.github.x/y:1.0.0+build']);
    expect(await names('c_s')).toEqual(['com.example/c_server:2.0.0']);
    expect(await names('nothing-like-this')).toEqual([]);
  });

  it('advances the generation with every write transaction, and only then', async () => {
    const before = await store.generation();
    await store.writeTransaction('com.example/none', async () => undefined);
    expect(await store.generation()).toBe(before + 1);
    await expect(
      store.writeTransaction('com.example/none', async () => {
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');
    expect(await store.generation()).toBe(before + 1);
  });

  it('returns domain objects with booleans and ISO timestamps', async () => {
    const found = await store.find('com.example/b-server', '1.9.0', false);
    expect(found).toMatchObject({ isLatest: true, publishedAt: at(3), statusMessage: null, status: 'active' });
    expect(await store.find('com.example/c_server', '2.0.0', false)).toBeUndefined();
    expect(await store.find('com.example/c_server', '2.0.0', true)).toBeDefined();
    expect((await store.findLatest('com.example/b-server', false))?.version).toBe('1.9.0');
    expect((await store.versions('com.example/b-server', false)).map((v) => v.version)).toEqual([
      '1.9.0',
      '1.10.0',
      '1.0.0',
    ]);
  });

  it('moves the latest flag and bumps updated_at of the version losing it', async () => {
    await store.writeTransaction('com.example/b-server', (s) => s.moveLatest('com.example/b-server', '1.10.0', at(30)));
    const [old, now] = await Promise.all([
      store.find('com.example/b-server', '1.9.0', false),
      store.find('com.example/b-server', '1.10.0', false),
    ]);
    expect(old).toMatchObject({ isLatest: false, updatedAt: at(30) });
    expect(now).toMatchObject({ isLatest: true });
  });

  it('changes status only where something differs, and keeps statusChangedAt when the status stays', async () => {
    const changed = await store.setStatus('com.example/b-server', undefined, 'deprecated', 'use c', at(40));
    expect(changed).toBe(3);
    expect(await store.setStatus('com.example/b-server', undefined, 'deprecated', 'use c', at(41))).toBe(0);
    expect(await store.setStatus('com.example/b-server', '1.0.0', 'deprecated', 'other', at(42))).toBe(1);
    const v = await store.find('com.example/b-server', '1.0.0', true);
    expect(v).toMatchObject({ statusMessage: 'other', statusChangedAt: at(40), updatedAt: at(42) });
  });

  it('finds the owner of a remote URL among non-deleted other servers', async () => {
    expect(await store.findRemoteUrlOwner(['https://a.example.com/mcp'], 'com.example/new')).toEqual({
      url: 'https://a.example.com/mcp',
      serverName: 'com.example/A-server',
    });
    expect(await store.findRemoteUrlOwner(['https://a.example.com/mcp'], 'com.example/A-server')).toBeUndefined();
    expect(await store.findRemoteUrlOwner(['https://c.example.com/mcp'], 'com.example/new')).toBeUndefined();
  });

  it('replaces a document and its remotes, and hard-deletes a version', async () => {
    await store.replaceDocument(
      'com.example/A-server',
      '0.1.0',
      '{"edited":true}',
      ['https://a2.example.com/mcp'],
      at(50),
    );
    expect((await store.find('com.example/A-server', '0.1.0', false))?.document).toBe('{"edited":true}');
    expect(await store.findRemoteUrlOwner(['https://a.example.com/mcp'], 'x/y')).toBeUndefined();
    expect((await store.findRemoteUrlOwner(['https://a2.example.com/mcp'], 'x/y'))?.serverName).toBe(
      'com.example/A-server',
    );
    expect(await store.delete('com.example/A-server', '0.1.0')).toBe(true);
    expect(await store.delete('com.example/A-server', '0.1.0')).toBe(false);
    expect(await store.list({ limit: 10, includeDeleted: true, search: 'A-server' })).toEqual([]);
    expect(await store.findRemoteUrlOwner(['https://a2.example.com/mcp'], 'x/y')).toBeUndefined();
  });

  it('rolls back every write of a failed transaction', async () => {
    await expect(
      store.writeTransaction('com.example/d', async (s) => {
        await s.insert(entry('com.example/d', '1.0.0', 60), ['https://d.example.com/mcp']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.find('com.example/d', '1.0.0', true)).toBeUndefined();
    expect(await store.findRemoteUrlOwner(['https://d.example.com/mcp'], 'x/y')).toBeUndefined();
  });

  it('enforces one latest version per server in the schema itself', async () => {
    await expect(store.insert(entry('io.github.x/y', '2.0.0', 70, { isLatest: true }), [])).rejects.toThrow();
  });
});
