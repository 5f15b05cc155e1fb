/**
 * The in-memory ranked search against the SQL search (its oracle): the same pages, byte for byte, for many
 * queries, filters and cursors; and its consistency rules (local writes at once, other processes' writes after
 * the generation poll), on both databases.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ListFilter } from '../../../src/registry/model.js';
import { MemorySearchIndex } from '../../../src/registry/search/memory-index.js';
import { MemoryIndexSource } from '../../../src/registry/search/memory-source.js';
import { parseListCursor } from '../../../src/registry/search/cursor.js';
import { canonicalJson } from '../../../src/registry/validation/index.js';
import type { ServerJSON } from '../../../src/registry/validation/index.js';
import { serverListJson } from '../../../src/registry/wire.js';
import { adminHeaders, createTestApp } from '../../support/app.js';
import type { TestApp } from '../../support/app.js';
import { describeEachDatabase } from '../../support/databases.js';
import { NOTABLE, generatedServers, publishAll, serverDocument } from './fixture.js';

const GENERATED = generatedServers(2500).slice(60);
const WORDS = [...new Set(GENERATED.flatMap((s) => `${s.name} ${s.description}`.toLowerCase().split(/[^a-z0-9]+/)))]
  .filter((w) => w.length >= 3)
  .sort();

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function queries(): string[] {
  const next = random(42);
  const pick = () => WORDS[Math.floor(next() * WORDS.length)]!;
  const out = [
    'weather',
    'weather forecast',
    'forecast weather',
    'severe weather',
    'postgres',
    'PostgreSQL',
    'postgress',
    'slack',
    'slak',
    'kubernetes',
    'kubernetse',
    'stripe',
    'invoice',
    'github issues',
    'issues',
    'browser automation',
    'githubissues',
    'mcp',
    'MCP',
    'server',
    'tools',
    'io.github',
    'io.github.acme',
    'acme/weather',
    ' weather ',
    'weather-fore',
    'a',
    'search records',
    'mcp server',
    'github mcp',
    'zzqx',
    'nomatch-7f3a9c',
    'ẑẑqxÿ',
    'wether',
    'postgers',
    // Typos at the first and last positions (the in-memory index skips positions no indexed word can reach).
    'eather',
    'ewather',
    'weathers',
    'weatherz',
    'qeather',
    '/',
    '50%_x',
  ];
  for (let i = 0; i < 25; i++) out.push(pick());
  for (let i = 0; i < 15; i++) out.push(pick().slice(0, 2 + Math.floor(next() * 3)));
  for (let i = 0; i < 15; i++) {
    const word = pick();
    const at = Math.floor(next() * word.length);
    out.push(word.length >= 5 ? word.slice(0, at) + word.slice(at + 1) : `${word}x`);
  }
  for (let i = 0; i < 15; i++) out.push(`${pick()} ${pick().slice(0, 4)}`);
  return [...new Set(out)];
}

const FILTERS: Omit<ListFilter, 'limit' | 'search'>[] = [
  { includeDeleted: false },
  { includeDeleted: true },
  { includeDeleted: false, transport: 'stdio' },
  { includeDeleted: false, registryType: 'npm', hasPackage: true },
  { includeDeleted: false, hasRemote: true },
  { includeDeleted: false, namespace: 'io.github' },
  { includeDeleted: false, namespace: 'io.github.acme/' },
  { includeDeleted: false, status: 'deprecated' },
  { includeDeleted: true, status: 'deleted' },
];

describeEachDatabase('in-memory search', (database) => {
  let t: TestApp;
  let memory: MemorySearchIndex;
  const healthMeta = (name: string) => (name.endsWith('0') ? `"dev.wharf/health":{"status":"passing"}` : undefined);

  beforeAll(async () => {
    t = await createTestApp({ database });
    memory = t.wharf.searchMemory!;
    await publishAll(t, NOTABLE);
    const now = new Date('2026-01-01T00:00:00.000Z').toISOString();
    for (let i = 0; i < GENERATED.length; i += 300) {
      await t.wharf.registry.applyMirrorPage({
        upstream: 'https://upstream.example',
        syncedAt: now,
        conflict: 'skip',
        confirmUnchanged: false,
        entries: GENERATED.slice(i, i + 300).map((server, j) => {
          const document = serverDocument(server) as unknown as ServerJSON;
          const status = (i + j) % 13 === 0 ? 'deprecated' : (i + j) % 17 === 0 ? 'deleted' : 'active';
          return {
            name: server.name,
            version: '1.0.0',
            status,
            statusChangedAt: now,
            statusMessage: null,
            publishedAt: now,
            updatedAt: now,
            isLatest: true,
            document: canonicalJson(document),
            remoteUrls: (document.remotes ?? []).map((r) => r.url!),
          };
        }),
      });
    }
    await memory.whenAnswering();
    expect(memory.size).toBe(NOTABLE.length + GENERATED.length);
  }, 120_000);
  afterAll(async () => t?.close());

  /** Compares every page of `search` under `base` (up to `maxPages`), following the SQL cursor. */
  const compare = async (search: string, base: Omit<ListFilter, 'limit' | 'search'>, limit: number, maxPages = 4) => {
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const filter: ListFilter = { ...base, search, limit, version: 'latest' };
      if (cursor) filter.cursor = parseListCursor(cursor, search);
      const fromMemory = (await t.wharf.registry.searchPage(filter, healthMeta))?.body.toString();
      const sql = await t.wharf.registry.list(filter);
      expect(fromMemory, `memory answers ${JSON.stringify(filter)}`).toBeDefined();
      expect(fromMemory, JSON.stringify(filter)).toBe(serverListJson(sql.servers, sql.nextCursor, healthMeta));
      cursor = sql.nextCursor;
      if (!cursor) return;
    }
  };

  it('answers every query exactly like the SQL search, page after page', async () => {
    for (const search of queries()) await compare(search, { includeDeleted: false }, 7, 5);
  }, 120_000);

  it('applies every filter exactly like the SQL search', async () => {
    const some = queries().filter((_, i) => i % 3 === 0);
    for (const search of some) for (const filter of FILTERS) await compare(search, filter, 10, 2);
    const names = GENERATED.filter((_, i) => i % 5 === 0).map((s) => s.name);
    for (const search of ['mcp', 'weather', 'tools server']) {
      await compare(search, { includeDeleted: false, names: { names, exclude: false } }, 10, 3);
      await compare(search, { includeDeleted: false, names: { names, exclude: true } }, 10, 3);
    }
  }, 120_000);

  it("changes a page's ETag exactly when its bytes change", async () => {
    const filter: ListFilter = { search: 'weather', limit: 10, version: 'latest', includeDeleted: false };
    const first = await t.wharf.registry.searchPage(filter, healthMeta);
    const again = await t.wharf.registry.searchPage(filter, healthMeta);
    expect(first?.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(again?.body.equals(first!.body)).toBe(true);
    expect(again?.etag).toBe(first?.etag);
    // One server's health `_meta` differs: different bytes, different ETag.
    const shown = (JSON.parse(first!.body.toString()) as { servers: { server: { name: string } }[] }).servers;
    const changed = shown[3]!.server.name;
    const otherHealth = (name: string) =>
      name === changed ? '"dev.wharf/health":{"status":"critical"}' : healthMeta(name);
    const moved = await t.wharf.registry.searchPage(filter, otherHealth);
    expect(moved?.body.equals(first!.body)).toBe(false);
    expect(moved?.etag).not.toBe(first?.etag);
    // Another page size: different bytes (count, cursor), different ETag.
    const smaller = await t.wharf.registry.searchPage({ ...filter, limit: 9 }, healthMeta);
    expect(smaller?.etag).not.toBe(first?.etag);
  });

  it('answers like SQL on an entry budget of a few entries (evicted, then read again)', async () => {
    const small = new MemorySearchIndex(new MemoryIndexSource(t.wharf.database), { maxEntryBytes: 6000 });
    small.start();
    try {
      await small.whenAnswering();
      for (const search of ['weather', 'mcp', 'postgres', 'weather', 'slack', 'mcp']) {
        const filter: ListFilter = { search, limit: 3, version: 'latest', includeDeleted: false };
        const page = await small.page(filter, healthMeta);
        const sql = await t.wharf.registry.list(filter);
        expect(page?.body.toString(), search).toBe(serverListJson(sql.servers, sql.nextCursor, healthMeta));
      }
    } finally {
      small.stop();
    }
  });

  it('pages through a dense query to its end with large pages', async () => {
    await compare('mcp', { includeDeleted: false }, 100, 40);
    await compare('io.github', { includeDeleted: false }, 100, 40);
  }, 120_000);

  it('serves the list endpoint from memory with the same bytes as the SQL path', async () => {
    await memory.whenAnswering();
    const url = '/v0.1/servers?version=latest&limit=5&search=weather';
    const fast = await t.app.inject({ url });
    const filter: ListFilter = { search: 'weather', version: 'latest', limit: 5, includeDeleted: false };
    const sql = await t.wharf.registry.list(filter);
    expect(fast.statusCode).toBe(200);
    const health = (name: string) => {
      const json = t.wharf.liveness.health.metaJson(name);
      return json === undefined ? undefined : `"dev.wharf/health":${json}`;
    };
    expect(fast.body).toBe(serverListJson(sql.servers, sql.nextCursor, health));
  });

  it('reflects a local write at once', async () => {
    await memory.whenAnswering();
    const server = { name: 'io.github.fresh/zebracorn', description: 'A zebracorn finder', kind: null };
    const response = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: serverDocument(server),
      headers: adminHeaders,
    });
    expect(response.statusCode).toBe(200);
    const found = await t.app.inject({ url: '/v0.1/servers?version=latest&search=zebracorn' });
    expect(found.json().servers.map((s: { server: { name: string } }) => s.server.name)).toEqual([server.name]);
    await memory.whenAnswering();
    const filter: ListFilter = { search: 'zebracorn', version: 'latest', limit: 5, includeDeleted: false };
    expect(memory.rankedPage(filter)?.hits.map((h) => h.doc.name)).toEqual([server.name]);
    await compare('zebracorn', { includeDeleted: false }, 5);
    // More local writes (new names, a status change, a hard delete), then dense and filtered pages again.
    for (const name of ['io.github.aardvark/mcp-weather', 'io.github.zz/mcp-weather-tools']) {
      const published = await t.app.inject({
        method: 'POST',
        url: '/v0/publish',
        payload: serverDocument({ name, description: 'Weather over MCP', kind: { remote: 'sse' } }),
        headers: adminHeaders,
      });
      expect(published.statusCode, published.body).toBe(200);
    }
    const target = encodeURIComponent(NOTABLE[0]!.name);
    const deprecated = await t.app.inject({
      method: 'PATCH',
      url: `/v0/servers/${target}/versions/1.0.0/status`,
      payload: { status: 'deprecated', statusMessage: 'use another' },
      headers: adminHeaders,
    });
    expect(deprecated.statusCode, deprecated.body).toBe(200);
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/v0/servers/${encodeURIComponent(NOTABLE[1]!.name)}/versions/1.0.0`,
      headers: adminHeaders,
    });
    expect(removed.statusCode, removed.body).toBeLessThan(300);
    await memory.whenAnswering();
    for (const search of ['mcp', 'weather', 'mcp weather', NOTABLE[0]!.name, NOTABLE[1]!.name, 'io.github']) {
      await compare(search, { includeDeleted: false }, 20, 3);
      await compare(search, { includeDeleted: false, status: 'deprecated' }, 20, 2);
      await compare(search, { includeDeleted: false, transport: 'sse' }, 20, 2);
    }
  });

  it('follows writes made by another Wharf on the same database after the generation poll', async () => {
    const other = await createTestApp({ database, config: { database: t.wharf.config.database } });
    try {
      await memory.whenAnswering();
      const server = { name: 'io.github.elsewhere/quokkafinder', description: 'Finds quokkas', kind: null };
      const response = await other.app.inject({
        method: 'POST',
        url: '/v0/publish',
        payload: serverDocument(server),
        headers: adminHeaders,
      });
      expect(response.statusCode).toBe(200);
      await memory.poll();
      await memory.whenAnswering();
      const filter: ListFilter = { search: 'quokka', version: 'latest', limit: 5, includeDeleted: false };
      expect(memory.rankedPage(filter)?.hits.map((h) => h.doc.name)).toEqual([server.name]);
      await compare('quokka', { includeDeleted: false }, 5);
      await compare('mcp', { includeDeleted: false }, 30, 2);
    } finally {
      await other.close();
    }
  }, 60_000);
});
