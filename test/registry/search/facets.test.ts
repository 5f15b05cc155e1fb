/**
 * Facet counts (GET /api/v1/registry/facets) against a brute-force count of the rows the list endpoint returns for
 * the same query, on a catalogue holding every facet kind: several transports and registry types per server,
 * remotes and packages together, neither, upper-case namespaces and registry types, several versions whose facets
 * differ, deprecated and deleted latest versions. Both counting paths of the store (candidates of a sparse query,
 * the scan of a dense one) are compared with the same brute force, on both databases.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ListFilter } from '../../../src/registry/model.js';
import { SearchIndexStore } from '../../../src/registry/search/search-store.js';
import type { FacetCounts } from '../../../src/registry/search/search-store.js';
import { adminHeaders, createTestApp, serverJson } from '../../support/app.js';
import type { TestApp } from '../../support/app.js';
import { describeEachDatabase } from '../../support/databases.js';
import { NOTABLE, generatedServers, publishAll } from './fixture.js';

interface Entry {
  server: {
    name: string;
    remotes?: { type: string }[];
    packages?: { registryType: string; transport: { type: string } }[];
  };
  _meta: Record<string, { status?: string }>;
}

interface FacetsBody {
  total: number;
  /** Value counts per facet, and `namespace`: the top namespaces as [{value, count}]. */
  facets: Record<string, Record<string, number> | { value: string; count: number }[]>;
}

const enc = encodeURIComponent;
const TOP = 5;

/**
 * What the endpoint must answer for `entries`, computed from the server.json documents alone. Filters and facets
 * look at the server's latest version (`latest`, by name) whatever version a row is; the status is the row's.
 */
function bruteForce(entries: readonly Entry[], top: number, latest?: ReadonlyMap<string, Entry>): FacetsBody {
  const facets: Record<string, Record<string, number>> = {
    transport: { 'streamable-http': 0, sse: 0, stdio: 0 },
    registry_type: {},
    status: { active: 0, deprecated: 0, deleted: 0 },
    has_remote: { true: 0, false: 0 },
    has_package: { true: 0, false: 0 },
  };
  const namespaces = new Map<string, number>();
  const bump = (facet: string, value: string) => {
    const bucket = facets[facet]!;
    bucket[value] = (bucket[value] ?? 0) + 1;
  };
  for (const entry of entries) {
    const { server } = latest?.get(entry.server.name) ?? entry;
    const remotes = server.remotes ?? [];
    const packages = server.packages ?? [];
    for (const transport of new Set([...remotes.map((r) => r.type), ...packages.map((p) => p.transport.type)])) {
      bump('transport', transport);
    }
    for (const type of new Set(packages.map((p) => p.registryType.toLowerCase()))) bump('registry_type', type);
    bump('status', entry._meta['io.modelcontextprotocol.registry/official']?.status ?? 'missing');
    bump('has_remote', String(remotes.length > 0));
    bump('has_package', String(packages.length > 0));
    const namespace = server.name.slice(0, server.name.indexOf('/')).toLowerCase();
    namespaces.set(namespace, (namespaces.get(namespace) ?? 0) + 1);
  }
  const namespace = [...namespaces]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([value, count]) => ({ value, count }));
  return { total: entries.length, facets: { ...facets, namespace } };
}

/** The store's answer in the endpoint's shape (zero buckets included), to compare with the brute force. */
function asBody(result: FacetCounts): FacetsBody {
  const facets: Record<string, Record<string, number>> = {
    transport: { 'streamable-http': 0, sse: 0, stdio: 0 },
    registry_type: {},
    status: { active: 0, deprecated: 0, deleted: 0 },
    has_remote: { true: 0, false: 0 },
    has_package: { true: 0, false: 0 },
  };
  for (const { facet, value, count } of result.counts) facets[facet]![value] = count;
  return { total: result.total, facets: { ...facets, namespace: result.namespaces } };
}

const pkg = (registryType: string, identifier: string, transport = 'stdio') => ({
  registryType,
  identifier,
  version: '1.0.0',
  transport:
    transport === 'stdio' ? { type: 'stdio' } : { type: transport, url: `https://${identifier}.pkg.example/mcp` },
});

/** Servers combining facets, beyond the one-kind fixture servers. */
const MIXED: { name: string; version: string; extra: Record<string, unknown> }[] = [
  {
    name: 'com.mixed/everything-mcp',
    version: '1.0.0',
    extra: {
      description: 'Remotes and packages together, weather and tides',
      remotes: [
        { type: 'sse', url: 'https://everything.mcp.example/sse' },
        { type: 'streamable-http', url: 'https://everything.mcp.example/mcp' },
      ],
      packages: [pkg('npm', '@mixed/everything'), pkg('pypi', 'mixed-everything', 'streamable-http')],
    },
  },
  {
    name: 'Com.Shouty/Loud-Server',
    version: '1.0.0',
    extra: { description: 'Upper-case namespace, upper-case registry type', packages: [pkg('NPM', '@shouty/loud')] },
  },
  {
    name: 'com.shouty/quiet-mcp',
    version: '1.0.0',
    extra: {
      description: 'Two registry types, one transport',
      packages: [pkg('oci', 'shouty-quiet'), pkg('npm', 'q')],
    },
  },
  { name: 'com.bare/nothing-mcp', version: '1.0.0', extra: { description: 'Neither remotes nor packages' } },
  // Two versions whose facets differ: only the latest one counts.
  {
    name: 'com.versions/shifting-mcp',
    version: '1.0.0',
    extra: { description: 'First a package', packages: [pkg('pypi', 'shifting')] },
  },
  {
    name: 'com.versions/shifting-mcp',
    version: '2.0.0',
    extra: { description: 'Then a remote', remotes: [{ type: 'sse', url: 'https://shifting.mcp.example/sse' }] },
  },
  {
    name: 'com.status/tired-mcp',
    version: '1.0.0',
    extra: { description: 'Deprecated weather', packages: [pkg('cargo', 'tired', 'sse')] },
  },
  {
    name: 'com.status/gone-mcp',
    version: '1.0.0',
    extra: { description: 'Deleted weather', remotes: [{ type: 'streamable-http', url: 'https://gone.mcp.example/' }] },
  },
];

describeEachDatabase('registry facets', (database) => {
  let t: TestApp;
  let since = '';

  const get = async (url: string) => {
    const response = await t.app.inject({ url });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response;
  };
  /** Every row the list endpoint returns for `query`, following nextCursor. */
  const listAll = async (query: string) => {
    const out: Entry[] = [];
    let cursor: string | undefined;
    do {
      const page = (await get(`/v0.1/servers?${query}&limit=100${cursor ? `&cursor=${enc(cursor)}` : ''}`)).json() as {
        servers: Entry[];
        metadata: { nextCursor?: string };
      };
      out.push(...page.servers);
      cursor = page.metadata.nextCursor;
    } while (cursor);
    return out;
  };

  beforeAll(async () => {
    t = await createTestApp({ database });
    await publishAll(t, [...NOTABLE, ...generatedServers(40)]);
    for (const { name, version, extra } of MIXED) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v0/publish',
        payload: serverJson(name, version, extra),
        headers: adminHeaders,
      });
      expect(response.statusCode, `${name}: ${response.body}`).toBe(200);
    }
    // Everything published so far is older than `since`; the status changes below are newer.
    await new Promise((resolve) => setTimeout(resolve, 5));
    since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const [name, status] of [
      ['com.status/tired-mcp', 'deprecated'],
      ['com.status/gone-mcp', 'deleted'],
    ] as const) {
      const response = await t.app.inject({
        method: 'PATCH',
        url: `/v0.1/servers/${enc(name)}/status`,
        payload: { status },
        headers: adminHeaders,
      });
      expect(response.statusCode, response.body).toBe(200);
    }
  }, 60_000);
  afterAll(async () => t?.close());

  const QUERIES = [
    '',
    'search=mcp',
    'search=MCP',
    'search=server',
    'search=weather',
    'search=mcp+server',
    'search=weather+forecast',
    'search=io.github',
    'search=shifting',
    'search=slak',
    'search=tides',
    'search=nothingmatches',
    'search=%2F',
    'search=y-m',
    'search=ever',
    'transport=sse',
    'transport=stdio&search=mcp',
    'registry_type=npm',
    'registry_type=NPM&search=server',
    'has_remote=false',
    'has_package=true&search=weather',
    'namespace=com.shouty',
    'namespace=io.github.&search=mcp',
    'status=deprecated',
    'status=deleted',
    'include_deleted=true&search=weather',
    'include_deleted=true&has_remote=true',
    'version=1.0.0',
    'version=1.0.0&search=shifting',
  ];

  it('counts exactly what the list returns, for searches and every filter', async () => {
    for (const query of [...QUERIES, `updated_since=${enc(since)}`, `updated_since=${enc(since)}&search=mcp`]) {
      const listQuery = query.includes('version=') ? query : `version=latest&${query}`;
      const latest = new Map(
        (await listAll('version=latest&include_deleted=true')).map((entry) => [entry.server.name, entry]),
      );
      const expected = bruteForce(await listAll(listQuery), TOP, latest);
      const answered = (await get(`/api/v1/registry/facets?top=${TOP}&${query}`)).json() as FacetsBody;
      expect(answered, query).toEqual(expected);
      // Registry types in byte order, whichever way they were counted: the same bytes and ETag for the same counts.
      const types = Object.keys(answered.facets.registry_type ?? {});
      expect(types, query).toEqual([...types].sort());
    }
  });

  it('gives the same counts on the dense scan, on the candidates of a search and in memory', async () => {
    const db = t.wharf.database;
    const memory = t.wharf.searchMemory!;
    await memory.whenAnswering();
    // Threshold 1: every word counts as dense, so every search takes the scan; infinity: never.
    const dense = new SearchIndexStore(db, db.db, 1);
    const sparse = new SearchIndexStore(db, db.db, Number.POSITIVE_INFINITY);
    const filters: [string, Partial<ListFilter>][] = [
      ['', {}],
      ['transport=sse', { transport: 'sse' }],
      ['include_deleted=true', { includeDeleted: true }],
      ['namespace=io.github', { namespace: 'io.github' }],
    ];
    for (const search of ['mcp', 'server', 'weather', 'mcp server', 'io.github', 'ever', 'slak', 'y-m', 'a', '/']) {
      for (const [query, extra] of filters) {
        const filter: ListFilter = { limit: 0, includeDeleted: false, version: 'latest', search, ...extra };
        const expected = bruteForce(await listAll(`version=latest&search=${enc(search)}&${query}`), TOP);
        for (const store of [dense, sparse]) {
          const counted = await store.facets(await store.plan(search), filter, TOP);
          expect(asBody(counted), `"${search}" ${query}`).toEqual(expected);
        }
        const inMemory = memory.facets(filter, TOP);
        expect(inMemory, `memory answers "${search}" ${query}`).toBeDefined();
        expect(asBody(inMemory!), `"${search}" ${query} in memory`).toEqual(expected);
        // The same bytes whichever way they were counted (the ETag depends on them).
        const fromSql = await sparse.facets(await sparse.plan(search), filter, TOP);
        expect(JSON.stringify(inMemory), `"${search}" ${query}`).toBe(JSON.stringify(fromSql));
      }
    }
  });
});
