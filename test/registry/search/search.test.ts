/**
 * The search, filter and facet contract of GET /v0(.1)/servers and GET /api/v1/registry/facets, on both databases.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../../src/platform/storage/database.js';
import { SearchIndexStore } from '../../../src/registry/search/search-store.js';
import { RegistryStore } from '../../../src/registry/store.js';
import { adminHeaders, createTestApp } from '../../support/app.js';
import type { TestApp } from '../../support/app.js';
import { describeEachDatabase } from '../../support/databases.js';
import { NOTABLE, generatedServers, publishAll, serverDocument } from './fixture.js';
import type { FixtureServer } from './fixture.js';

interface ListBody {
  servers: { server: { name: string; version: string; title?: string }; _meta: Record<string, { status: string }> }[];
  metadata: { nextCursor?: string; count: number };
}

const enc = encodeURIComponent;
const CATALOGUE = [...NOTABLE, ...generatedServers(60)];

describeEachDatabase('registry search', (database) => {
  let t: TestApp;
  const list = async (query: string) => {
    const response = await t.app.inject({ url: `/v0.1/servers?${query}` });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as ListBody;
  };
  const names = async (query: string) => (await list(query)).servers.map((s) => s.server.name);
  /** Every result, following nextCursor. */
  const allNames = async (query: string) => {
    const out: string[] = [];
    let page = await list(query);
    out.push(...page.servers.map((s) => s.server.name));
    while (page.metadata.nextCursor) {
      page = await list(`${query}&cursor=${enc(page.metadata.nextCursor)}`);
      out.push(...page.servers.map((s) => s.server.name));
    }
    return out;
  };
  const rows = async (query: string) => (await list(query)).servers.map((s) => `${s.server.name}@${s.server.version}`);
  const publish = async (server: FixtureServer, version = '1.0.0') => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: serverDocument(server, version),
      headers: adminHeaders,
    });
    expect(response.statusCode, response.body).toBe(200);
  };

  beforeAll(async () => {
    t = await createTestApp({ database });
    await publishAll(t, CATALOGUE);
  }, 60_000);
  afterAll(async () => t?.close());

  it('matches every word in any order, across name, title, description, remote URLs and package identifiers', async () => {
    // Both words anywhere: the weather server forecasts in its description.
    expect(await names('version=latest&search=forecast+weather')).toEqual([
      'io.github.skyward/weather-forecast',
      'io.github.acme/weather',
    ]);
    expect(await names('version=latest&search=radar')).toEqual(['com.stormtrack/alerts']);
    expect(await names('version=latest&search=MySQL%20explorer')).toEqual(['io.github.datahub/sql-explorer']);
    expect(await names('version=latest&search=mcp.slack.example')).toContain('com.slack/slack');
    expect(await names('version=latest&search=datahub%2Fsql-explorer%3A2.1.0')).toEqual([
      'io.github.datahub/sql-explorer',
    ]);
    expect(await names('version=latest&search=weather+nonexistentword')).toEqual([]);
  });

  it('matches word prefixes, camelCase parts and one typo in words of four letters or more', async () => {
    expect(await names('version=latest&search=kube')).toContain('io.github.kube/kubernetes');
    expect(await names('version=latest&search=issues')).toContain('io.github.octo/GitHubIssues');
    expect(await names('version=latest&search=kubernetse')).toEqual([
      'io.github.kube/kubernetes',
      'io.github.helmhub/helm-charts',
    ]);
    expect(await names('version=latest&search=slak')).toEqual(['com.slack/slack', 'io.github.chatops/slack-notifier']);
    // Three letters: no typo tolerance (one edit would turn "dns" into "dbs", "ops"…).
    expect(await names('version=latest&search=zzz')).toEqual([]);
    // A word that starts an indexed word is taken as typed: no typo variants are added.
    expect(await names('version=latest&search=slack')).not.toContain('io.github.chatops/black');
  });

  it('ranks exact name, then exact slug, name prefix, name words, name substring, title, description, other', async () => {
    const extra: FixtureServer[] = [
      { name: 'com.rank/zeta-tide', description: 'Ranked first by exact name', kind: null },
      { name: 'com.rank/tide', description: 'Exact slug', kind: null },
      { name: 'com.rank/tidepool', description: 'Name prefix (slug starts with the query)', kind: null },
      { name: 'com.rank/a-tide-b', description: 'A name word', kind: null },
      { name: 'com.rank/riptides', description: 'Contains the query inside a word', kind: null },
      { name: 'com.rank/t1', title: 'Tide Title', description: 'Title word', kind: null },
      { name: 'com.rank/d1', description: 'Description mentions the tide', kind: null },
      {
        name: 'com.rank/u1',
        description: 'Only the package identifier',
        kind: { pkg: 'npm', identifier: '@ocean/tide-mcp' },
      },
    ];
    for (const server of extra) await publish(server);
    const order = await names('version=latest&search=tide');
    expect(order).toEqual([
      'com.rank/tide',
      'com.rank/tidepool',
      'com.rank/a-tide-b',
      'com.rank/zeta-tide',
      'com.rank/riptides',
      'com.rank/t1',
      'com.rank/d1',
      'com.rank/u1',
    ]);
    expect((await names('version=latest&search=com.rank%2Fzeta-tide'))[0]).toBe('com.rank/zeta-tide');
    // Ties are broken by name: three servers that only mention the word in their description.
    expect(await names('version=latest&search=scheduling&limit=100')).toEqual(
      [...(await names('version=latest&search=scheduling&limit=100'))].sort(),
    );
  });

  it('still finds every server the official substring-on-name search found', async () => {
    const all = await allNames('version=latest&limit=100');
    expect(all.length).toBeGreaterThan(100);
    for (const query of [
      'mcp',
      'SERVER',
      'io.github',
      'hub/',
      'eather',
      'b',
      '-',
      'o.git',
      'tools-1',
      'acme/weather',
    ]) {
      const before = all.filter((name) => name.toLowerCase().includes(query.toLowerCase()));
      expect(before.length, query).toBeGreaterThan(0);
      const after = await allNames(`version=latest&limit=100&search=${enc(query)}`);
      for (const name of before) expect(after, `"${query}" lost ${name}`).toContain(name);
    }
  });

  it('pages a ranked result with opaque cursors: no duplicates, no gaps, same order as one big page', async () => {
    const whole = await rows('version=latest&limit=100&search=mcp');
    expect(whole.length).toBeGreaterThan(20);
    const paged: string[] = [];
    let url = 'version=latest&limit=7&search=mcp';
    for (let pages = 0; pages < 50; pages++) {
      const page = await list(url);
      paged.push(...page.servers.map((s) => `${s.server.name}@${s.server.version}`));
      const cursor = page.metadata.nextCursor;
      if (!cursor) break;
      expect(cursor).toMatch(/^r1\.[A-Za-z0-9_-]+$/);
      url = `version=latest&limit=7&search=mcp&cursor=${enc(cursor)}`;
    }
    expect(paged).toEqual(whole);
  });

  it('answers dense queries on its fast path with exactly the rows of the full ranked query, page after page', async () => {
    const db = t.wharf.database;
    // Threshold 1: every word counts as dense, so the fast path runs wherever it applies.
    const fast = new SearchIndexStore(db, db.db, 1);
    // A small window also takes the walks' give-up paths and the walk over many name-prefix matches.
    const narrow = new SearchIndexStore(db, db.db, 1, 12);
    const full = new SearchIndexStore(db, db.db, Number.POSITIVE_INFINITY);
    const page = async (
      store: SearchIndexStore,
      query: string,
      cursor?: { rank: number; name: string; version: string },
    ) => {
      const plan = await store.plan(query);
      const filter = { limit: 4, includeDeleted: false, version: 'latest', ...(cursor ? { cursor } : {}) };
      return (await store.rankedPage(plan, filter, ['server_name', 'version'])).map((r) => ({
        rank: Number(r.search_rank),
        name: String(r.server_name),
        version: String(r.version),
      }));
    };
    for (const query of [
      'mcp',
      'server',
      'tools',
      'io.github',
      'mcp server',
      'weather',
      'slack',
      'a',
      'github',
      'notes-mcp',
    ]) {
      let cursor: { rank: number; name: string; version: string } | undefined;
      for (let i = 0; i < 8; i++) {
        const expected = await page(full, query, cursor);
        expect(await page(fast, query, cursor), `"${query}" page ${i + 1}`).toEqual(expected);
        expect(await page(narrow, query, cursor), `"${query}" page ${i + 1}, narrow window`).toEqual(expected);
        cursor = expected.at(-1);
        if (!cursor) break;
      }
    }
  });

  it('refuses cursors that belong to another listing, with a 400 naming the problem', async () => {
    const ranked = (await list('version=latest&limit=2&search=mcp')).metadata.nextCursor ?? '';
    const plain = (await list('version=latest&limit=2')).metadata.nextCursor ?? '';
    expect(plain).toContain(':');
    const cases = [
      `search=weather&cursor=${enc(ranked)}`,
      `cursor=${enc(ranked)}`,
      `search=mcp&cursor=${enc(plain)}`,
      `search=mcp&cursor=r1.not-json`,
    ];
    for (const query of cases) {
      const response = await t.app.inject({ url: `/v0.1/servers?${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().detail).toMatch(/^Invalid cursor/);
    }
  });

  it('searches the latest version and follows edits, new versions, status changes and deletions', async () => {
    const name = 'com.lifecycle/tracker';
    await publish({ name, title: 'Parcel Tracker', description: 'Track parcels', kind: null }, '1.0.0');
    expect(await names('version=latest&search=parcel')).toEqual([name]);
    await publish({ name, title: 'Freight Tracker', description: 'Track freight', kind: null }, '2.0.0');
    expect(await names('version=latest&search=parcel')).toEqual([]);
    expect(await names('version=latest&search=freight')).toEqual([name]);
    // Without version=latest every version of a matching server is listed, as with the official search.
    expect(await rows('search=freight')).toEqual([`${name}@1.0.0`, `${name}@2.0.0`]);

    const edited = serverDocument({ name, title: 'Cargo Tracker', description: 'Track cargo', kind: null }, '2.0.0');
    const edit = await t.app.inject({
      method: 'PUT',
      url: `/v0.1/servers/${enc(name)}/versions/2.0.0`,
      payload: edited,
      headers: adminHeaders,
    });
    expect(edit.statusCode, edit.body).toBe(200);
    expect(await names('version=latest&search=freight')).toEqual([]);
    expect(await names('version=latest&search=cargo+tracker')).toEqual([name]);

    const deprecate = await t.app.inject({
      method: 'PATCH',
      url: `/v0.1/servers/${enc(name)}/versions/2.0.0/status`,
      payload: { status: 'deprecated', statusMessage: 'use the new tracker' },
      headers: adminHeaders,
    });
    expect(deprecate.statusCode, deprecate.body).toBe(200);
    expect(await names('version=latest&search=cargo+tracker&status=deprecated')).toEqual([name]);
    expect(await names('version=latest&search=cargo+tracker&status=active')).toEqual([]);

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v0.1/servers/${enc(name)}/versions/2.0.0`,
      headers: adminHeaders,
    });
    expect(deleted.statusCode).toBe(204);
    // Version 1.0.0 is the latest again, and so is its text.
    expect(await names('version=latest&search=parcel')).toEqual([name]);
    expect(await names('version=latest&search=cargo+tracker')).toEqual([]);
  });

  it('respects version, updated_since and include_deleted together with the search', async () => {
    const name = 'com.lifecycle/gone';
    await publish({ name, description: 'Vanishing act', kind: null });
    const since = new Date(Date.now() - 60_000).toISOString();
    const setStatus = (status: string) =>
      t.app.inject({
        method: 'PATCH',
        url: `/v0.1/servers/${enc(name)}/status`,
        payload: { status },
        headers: adminHeaders,
      });
    expect((await setStatus('deleted')).statusCode).toBe(200);
    expect(await names('version=latest&search=vanishing')).toEqual([]);
    expect(await names('version=latest&search=vanishing&include_deleted=true')).toEqual([name]);
    expect(await names('search=vanishing&status=deleted')).toEqual([name]);
    expect(await names(`search=vanishing&updated_since=${enc(since)}`)).toEqual([name]);
    expect(await names(`search=vanishing&updated_since=${enc(new Date(Date.now() + 60_000).toISOString())}`)).toEqual(
      [],
    );
    expect(await names('search=vanishing&version=1.0.0&include_deleted=true')).toEqual([name]);
    expect(await names('search=vanishing&version=9.9.9&include_deleted=true')).toEqual([]);
  });

  it('filters by transport, registry type, remotes, packages, namespace and status, with or without a search', async () => {
    const filtered = async (query: string) => names(`version=latest&limit=100&${query}`);
    const sse = await filtered('transport=sse');
    expect(sse).toContain('com.stormtrack/alerts');
    expect(sse).toContain('io.github.linear/linear');
    expect(sse).not.toContain('com.slack/slack');
    const sseWeather = await filtered('transport=sse&search=weather');
    expect(sseWeather[0]).toBe('com.stormtrack/alerts');
    expect(sseWeather).not.toContain('io.github.acme/weather');
    const stdioWeather = await filtered('transport=stdio&search=weather');
    expect(stdioWeather[0]).toBe('io.github.skyward/weather-forecast');
    expect(stdioWeather).not.toContain('com.stormtrack/alerts');
    expect(await filtered('registry_type=cargo')).toEqual(['io.github.rustacean/cargo-docs']);
    expect(await filtered('registry_type=NuGet')).toEqual(['io.github.azure/azure-devops', 'io.github.clock/time']);
    expect(await filtered('registry_type=mcpb')).toEqual(['io.github.figma/figma-dev']);
    expect(await filtered('has_remote=false&has_package=false&namespace=io.github.bare')).toEqual([
      'io.github.bare/no-distribution',
    ]);
    const remotes = await filtered('has_remote=true&search=weather');
    expect(remotes.slice(0, 2)).toEqual(['io.github.acme/weather', 'com.stormtrack/alerts']);
    expect(remotes).not.toContain('io.github.skyward/weather-forecast');
    expect(await filtered('namespace=io.github.acme')).toEqual(['io.github.acme/weather']);
    expect(await filtered('namespace=IO.GITHUB.ACME')).toEqual(['io.github.acme/weather']);
    expect(await filtered('namespace=com')).toEqual(expect.arrayContaining(['com.slack/slack', 'com.stripe/payments']));
    expect(await filtered('namespace=com.s')).toEqual([]);
    expect(await filtered('namespace=com.s.')).toEqual([]);
    // A namespace is matched whole: io.github.a is not a prefix of io.github.aws-labs.
    expect(await filtered('namespace=io.github.a&search=s3')).toEqual([]);
    expect(await filtered('namespace=io.github.aws-labs&search=s3')).toEqual(['io.github.aws-labs/aws-s3']);
    expect(await filtered('namespace=io.github&search=s3')).toEqual(['io.github.aws-labs/aws-s3']);
    // Plain listing with a filter keeps name order and plain name:version cursors.
    const page = await list('version=latest&limit=3&transport=stdio');
    expect(page.metadata.nextCursor).toMatch(/:1\.0\.0$/);
    const next = await list(`version=latest&limit=3&transport=stdio&cursor=${enc(page.metadata.nextCursor ?? '')}`);
    const both = [...page.servers, ...next.servers].map((s) => s.server.name);
    expect(both).toEqual([...both].sort());
  });

  it('answers 422 naming the parameter for invalid filter values', async () => {
    const cases: [string, string][] = [
      ['transport=carrier-pigeon', 'query.transport'],
      ['registry_type=npm%20OR%201', 'query.registry_type'],
      ['has_remote=maybe', 'query.has_remote'],
      ['has_package=2', 'query.has_package'],
      ['namespace=..%2F', 'query.namespace'],
      ['status=archived', 'query.status'],
    ];
    for (const [query, location] of cases) {
      for (const url of [`/v0.1/servers?${query}`, `/api/v1/registry/facets?${query}`]) {
        const response = await t.app.inject({ url });
        expect(response.statusCode, url).toBe(422);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        const body = response.json();
        expect(body.detail).toBe('validation failed');
        expect(body.errors.map((e: { location: string }) => e.location)).toContain(location);
      }
    }
    const top = await t.app.inject({ url: '/api/v1/registry/facets?top=0' });
    expect(top.statusCode).toBe(422);
  });

  it('keeps cached answers apart per search and filter, and drops them on writes', async () => {
    expect(t.wharf.config.registryCache).toBe(true);
    const query = 'version=latest&limit=100&search=weather';
    const sse = await names(`${query}&transport=sse`);
    const stdio = await names(`${query}&transport=stdio`);
    expect(sse).not.toEqual(stdio);
    expect(await names(`${query}&transport=sse`)).toEqual(sse);
    expect(await names(`${query}&transport=sse&has_package=true`)).toEqual([]);
    const facetCount = async () =>
      (
        (await t.app.inject({ url: '/api/v1/registry/facets?search=weather&transport=sse' })).json() as {
          total: number;
        }
      ).total;
    const before = await facetCount();
    await publish({ name: 'com.cache/weather-radio', description: 'Weather radio', kind: { remote: 'sse' } });
    expect(await names(`${query}&transport=sse`)).toContain('com.cache/weather-radio');
    expect(await names(`${query}&transport=stdio`)).toEqual(stdio);
    expect(await facetCount()).toBe(before + 1);
  });

  it('counts facets for a search and filters, consistent with the list', async () => {
    const facets = async (query: string) => {
      const response = await t.app.inject({ url: `/api/v1/registry/facets?${query}` });
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as {
        total: number;
        facets: Record<string, Record<string, number>> & { namespace: { value: string; count: number }[] };
      };
    };
    const weather = await facets('search=weather');
    const listed = await names('version=latest&limit=100&search=weather');
    expect(weather.total).toBe(listed.length);
    expect(weather.total).toBeGreaterThan(3);
    for (const transport of ['sse', 'stdio', 'streamable-http']) {
      const count = (await names(`version=latest&limit=100&search=weather&transport=${transport}`)).length;
      expect(weather.facets.transport?.[transport], transport).toBe(count);
    }
    for (const value of ['true', 'false']) {
      const count = (await names(`version=latest&limit=100&search=weather&has_remote=${value}`)).length;
      expect(weather.facets.has_remote?.[value]).toBe(count);
    }
    expect(weather.facets.status).toEqual({ active: weather.total, deprecated: 0, deleted: 0 });

    const all = await facets('top=3');
    expect(all.facets.namespace).toHaveLength(3);
    const counts = all.facets.namespace.map((n) => n.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(all.facets.registry_type).toMatchObject({ npm: expect.any(Number), cargo: 1, mcpb: 1 });
    const npmCount = (await names('version=latest&limit=100&registry_type=npm')).length;
    expect(npmCount).toBeLessThan(100);
    expect(all.facets.registry_type?.npm).toBe(npmCount);
    const narrowed = await facets('registry_type=cargo');
    expect(narrowed.total).toBe(1);
    expect(narrowed.facets.namespace).toEqual([{ value: 'io.github.rustacean', count: 1 }]);
  });
});

describeEachDatabase('registry search index upgrade', (database) => {
  it('indexes servers stored before the index existed, at start', async () => {
    const config = await database.create();
    const db = await openDatabase(config);
    const store = new RegistryStore(db);
    const now = new Date().toISOString();
    // Rows written straight to the table, as an older Wharf (without the search index) left them.
    await store.insert(
      {
        name: 'com.legacy/lighthouse',
        version: '1.0.0',
        status: 'active',
        statusChangedAt: now,
        statusMessage: null,
        publishedAt: now,
        updatedAt: now,
        isLatest: true,
        document: JSON.stringify({ name: 'com.legacy/lighthouse', description: 'Coastal beacon', version: '1.0.0' }),
      },
      [],
    );
    expect(await store.list({ limit: 10, includeDeleted: false, search: 'beacon' })).toEqual([]);
    expect(await store.indexUnindexed()).toBe(1);
    expect((await store.list({ limit: 10, includeDeleted: false, search: 'beacon' })).map((v) => v.name)).toEqual([
      'com.legacy/lighthouse',
    ]);
    expect(await store.indexUnindexed()).toBe(0);
    await db.close();
  });
});
