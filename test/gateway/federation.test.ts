import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import type { UpstreamEndpoints } from '../../src/gateway/service.js';
import { describeEachDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { connect, publish } from '../mcp/support.js';
import type { Era } from '../mcp/support.js';
import { deadPort, startEverything, startHungUpstream, startSdkUpstream } from './support.js';
import type { Listening, ToyUpstream } from './support.js';

// Long enough for a healthy local upstream to connect on a loaded machine; the hung one still costs only this.
const CONNECT_TIMEOUT_MS = 2000;
const ENV = {
  WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
  WHARF_GATEWAY_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
  WHARF_GATEWAY_CALL_TIMEOUT_MS: '2000',
  WHARF_SECRET_KEY: 'gateway-test-secret-key-0123456789abcdef',
  WHARF_JWT_PRIVATE_KEY: '11'.repeat(32),
};
const API_KEY = 'upstream-api-key-s3cr3t-value';

/**
 * Where each published server really runs: its registered instance on loopback (published remotes must be public
 * https URLs), handed to the gateway through its healthy-instances hook.
 */
const instances = new Map<string, number>();
const endpoints: UpstreamEndpoints = ({ url }) => {
  const parsed = new URL(url);
  const port = instances.get(parsed.hostname);
  return port === undefined ? [url] : [`http://127.0.0.1:${port}${parsed.pathname}`];
};

/** A remote whose path is a URL variable and whose API key header is a secret input. */
function remote(port: number, type = 'streamable-http', path = 'mcp') {
  const host = `up-${port}.example.com`;
  instances.set(host, port);
  return {
    remotes: [
      {
        type,
        url: `https://${host}/{endpoint}`,
        variables: { endpoint: { description: 'Endpoint path', isRequired: true, default: path } },
        headers: [{ name: 'X-Api-Key', description: 'API key', isRequired: true, isSecret: true }],
      },
    ],
  };
}

async function attach(t: TestApp, body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/v1/gateway/upstreams', headers: adminHeaders, payload: body });
}

interface Gateway extends TestApp {
  url: string;
}

async function startGateway(
  database?: TestDatabase,
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<Gateway> {
  const t = await createTestApp({
    env: { ...ENV, ...env },
    ...(database && { database }),
    config,
    overrides: { gatewayEndpoints: endpoints },
  });
  const address = await t.app.listen({ host: '127.0.0.1', port: (config.port as number | undefined) ?? 0 });
  return { ...t, url: `${address}/mcp` };
}

describeEachDatabase('gateway upstreams API', (database) => {
  let t: Gateway;
  let toy: ToyUpstream;
  beforeAll(async () => {
    toy = await startSdkUpstream({ apiKey: API_KEY });
    t = await startGateway(database);
    await publish(t, 'io.github.acme/toy', '1.0.0', remote(toy.port));
    await publish(t, 'io.github.acme/local-only', '1.0.0');
  });
  afterAll(async () => {
    await t?.close();
    await toy?.close();
  });

  it('attaches a registry server, fills variables, masks secrets and reports state', async () => {
    const response = await attach(t, { server: 'io.github.acme/toy', headers: { 'X-Api-Key': API_KEY } });
    expect(response.statusCode, response.body).toBe(201);
    const view = response.json();
    expect(view).toMatchObject({
      alias: 'toy',
      server: 'io.github.acme/toy',
      version: '1.0.0',
      remote: 0,
      transport: 'streamable-http',
      url: `https://up-${toy.port}.example.com/mcp`,
      headers: { 'X-Api-Key': '********' },
    });
    expect(response.body).not.toContain(API_KEY);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/gateway/upstreams', headers: adminHeaders });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(API_KEY);
    expect(list.json().upstreams[0].status).toHaveProperty('breaker');
  });

  it('keeps secrets encrypted at rest', async () => {
    const rows = await t.wharf.database.db.selectFrom('gateway_upstreams').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(API_KEY);
    expect(rows[0]?.secrets).toMatch(/^v1\./);
    expect(rows[0]?.headers).toBe('{}');
  });

  it('refuses bad input with problem+json naming the field', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ server: 'io.github.acme/toy', alias: 'Bad_Alias', headers: { 'X-Api-Key': 'k' } }, 422, 'alias'],
      [{ server: 'io.github.acme/toy', alias: 'registry', headers: { 'X-Api-Key': 'k' } }, 422, 'reserved'],
      [{ server: 'io.github.acme/toy', headers: { 'X-Api-Key': 'k' } }, 409, 'already exists'],
      [{ server: 'io.github.acme/toy', alias: 'toy2' }, 422, 'X-Api-Key'],
      [{ server: 'io.github.acme/toy', alias: 'toy3', remote: 4, headers: { 'X-Api-Key': 'k' } }, 422, 'no remote'],
      [{ server: 'io.github.acme/nope' }, 422, 'not in the registry'],
      [{ server: 'io.github.acme/local-only' }, 422, 'no remotes'],
      [{ server: 'io.github.acme/toy', extra: 1 }, 422, ''],
    ];
    for (const [body, status, text] of cases) {
      const response = await attach(t, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toContain(text);
    }
  });

  it('is for admins only', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/gateway/upstreams' });
    expect(anonymous.statusCode).toBeGreaterThanOrEqual(400);
    expect(anonymous.statusCode).toBeLessThan(500);
    const token = await t.app.inject({ method: 'POST', url: '/v0.1/auth/none' });
    const publisher = { authorization: `Bearer ${token.json().registry_token}` };
    const refused = await t.app.inject({ method: 'GET', url: '/api/v1/gateway/upstreams', headers: publisher });
    expect(refused.statusCode).toBe(403);
  });

  it('updates without losing secrets, and detaches', async () => {
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/gateway/upstreams/toy',
      headers: adminHeaders,
      payload: { variables: { endpoint: 'mcp' } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().headers).toEqual({ 'X-Api-Key': '********' });
    const targets = await t.wharf.gateway.targets();
    expect(targets[0]?.headers['X-Api-Key']).toBe(API_KEY);
    const gone = await t.app.inject({ method: 'DELETE', url: '/api/v1/gateway/upstreams/toy', headers: adminHeaders });
    expect(gone.statusCode).toBe(204);
    const again = await t.app.inject({ method: 'DELETE', url: '/api/v1/gateway/upstreams/toy', headers: adminHeaders });
    expect(again.statusCode).toBe(404);
  });
});

describe('gateway federation', () => {
  let t: Gateway;
  let toy: ToyUpstream;
  let other: ToyUpstream;
  let hung: Listening;

  beforeAll(async () => {
    toy = await startSdkUpstream({ apiKey: API_KEY });
    other = await startSdkUpstream({ apiKey: API_KEY, extraTools: ['only_here'] });
    hung = await startHungUpstream();
    const dead = await deadPort();
    t = await startGateway();
    await publish(t, 'io.github.acme/toy', '1.0.0', remote(toy.port));
    await publish(t, 'io.github.acme/other', '1.0.0', remote(other.port));
    await publish(t, 'io.github.acme/hung', '1.0.0', remote(hung.port));
    await publish(t, 'io.github.acme/dead', '1.0.0', remote(dead));
    for (const server of ['toy', 'other', 'hung', 'dead']) {
      const response = await attach(t, { server: `io.github.acme/${server}`, headers: { 'X-Api-Key': API_KEY } });
      expect(response.statusCode, response.body).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([toy?.close(), other?.close(), hung?.close()]);
  });

  describe.each<Era>(['modern', 'legacy'])('with a %s client', (era) => {
    let client: Client;
    beforeAll(async () => {
      client = await connect(t.url, era, adminHeaders);
    });
    afterAll(async () => client?.close());

    it('merges healthy upstreams and the registry tools; hung and dead ones cost only their timeout', async () => {
      const started = performance.now();
      const { tools } = await client.listTools();
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(CONNECT_TIMEOUT_MS + 3000);
      const names = tools.map((tool) => tool.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'search_servers',
          'toy__echo',
          'toy__add',
          'other__echo',
          'other__add',
          'other__only_here',
        ]),
      );
      expect(names.some((name) => name.startsWith('hung__') || name.startsWith('dead__'))).toBe(false);
      const add = tools.find((tool) => tool.name === 'toy__add');
      expect(add?.inputSchema).toMatchObject({ type: 'object', properties: { a: { type: 'number' } } });
      expect(add?.outputSchema).toMatchObject({ type: 'object' });
    });

    it('routes calls to the right upstream with its credentials, never the caller’s token', async () => {
      const before = toy.seen.length;
      const echoed = await client.callTool({ name: 'toy__echo', arguments: { text: 'hi' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'echo: hi' }]);
      const sum = await client.callTool({ name: 'other__add', arguments: { a: 2, b: 3 } });
      expect(sum.structuredContent).toEqual({ sum: 5 });
      const received = toy.seen.slice(before);
      expect(received.length).toBeGreaterThan(0);
      for (const headers of received) {
        expect(headers.get('x-api-key')).toBe(API_KEY);
        expect(headers.get('authorization')).toBeNull();
      }
    });

    it('federates resources under <alias>+<uri> and routes reads', async () => {
      const { resources } = await client.listResources();
      const uris = resources.map((resource) => resource.uri);
      expect(uris).toEqual(expect.arrayContaining(['toy+toy://greeting', 'other+toy://greeting']));
      const read = await client.readResource({ uri: 'other+toy://greeting' });
      expect(read.contents).toEqual([{ uri: 'other+toy://greeting', mimeType: 'text/plain', text: 'hello from toy' }]);
    });

    it('federates prompts as <alias>__<name> with their arguments', async () => {
      const { prompts } = await client.listPrompts();
      const greet = prompts.find((prompt) => prompt.name === 'toy__greet');
      expect(greet?.arguments).toEqual([{ name: 'who', description: 'Whom to greet', required: true }]);
      const result = await client.getPrompt({ name: 'other__greet', arguments: { who: 'Ada' } });
      expect(result.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello, Ada' } }]);
    });

    it('answers quickly again once the bad upstreams have failed', async () => {
      const started = performance.now();
      await client.listTools();
      expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS);
    });
  });

  it('serves legacy clients on the deprecated /sse + /messages pair, with the same tools', async () => {
    const client = new Client({ name: 'old-client', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
    await client.connect(new SSEClientTransport(new URL(t.url.replace(/\/mcp$/, '/sse'))));
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(['search_servers', 'toy__echo', 'other__add']));
      const echoed = await client.callTool({ name: 'toy__echo', arguments: { text: 'old' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'echo: old' }]);
    } finally {
      await client.close();
    }
    const stray = await fetch(t.url.replace(/\/mcp$/, '/messages?sessionId=nope'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(stray.status).toBe(404);
  });

  it('shows upstream state in the admin API', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/gateway/upstreams', headers: adminHeaders });
    const byAlias = Object.fromEntries(
      (response.json().upstreams as { alias: string; status: Record<string, unknown> }[]).map((u) => [
        u.alias,
        u.status,
      ]),
    );
    expect(byAlias.toy).toMatchObject({ state: 'ready', toolCount: 2, lastError: null });
    expect(byAlias.other).toMatchObject({ state: 'ready', toolCount: 3 });
    expect(byAlias.hung?.state).not.toBe('ready');
    expect(byAlias.hung?.lastError).toEqual(expect.any(String));
    expect(byAlias.dead?.state).toBe('unavailable');
    expect(byAlias.dead?.lastError).toEqual(expect.any(String));
  });

  it('serves a virtual server with a subset of the tools, and 404 for an unknown one', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/gateway/virtual-servers',
      headers: adminHeaders,
      payload: { name: 'math', tools: ['toy__add', 'other__*'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const client = await connect(`${t.url}/math`, 'modern', adminHeaders);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual([
        'other__add',
        'other__echo',
        'other__only_here',
        'toy__add',
      ]);
      const sum = await client.callTool({ name: 'toy__add', arguments: { a: 1, b: 1 } });
      expect(sum.structuredContent).toEqual({ sum: 2 });
    } finally {
      await client.close();
    }
    const unknown = await fetch(`${t.url}/nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
  });

  it('drops the tools of an upstream that goes down, and tells subscribers', async () => {
    const client = await connect(t.url, 'legacy', adminHeaders);
    try {
      await other.close();
      const result = await client.callTool({ name: 'other__echo', arguments: { text: 'x' } });
      expect(result.isError).toBe(true);
      const { tools } = await client.listTools();
      expect(tools.some((tool) => tool.name.startsWith('other__'))).toBe(false);
      expect(tools.some((tool) => tool.name === 'toy__echo')).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('gateway in front of server-everything (Streamable HTTP and legacy SSE)', () => {
  let t: Gateway;
  let http: Listening;
  let sse: Listening;
  beforeAll(async () => {
    [http, sse] = await Promise.all([startEverything('streamableHttp'), startEverything('sse')]);
    // A child process answers its very first request slowly (module loading); give it room.
    t = await startGateway(undefined, {}, { WHARF_GATEWAY_CONNECT_TIMEOUT_MS: '10000' });
    const everything = (port: number, type: string, endpoint: string) => {
      const host = `everything-${port}.example.com`;
      instances.set(host, port);
      return { remotes: [{ type, url: `https://${host}/${endpoint}` }] };
    };
    await publish(t, 'io.github.acme/everything-http', '1.0.0', everything(http.port, 'streamable-http', 'mcp'));
    await publish(t, 'io.github.acme/everything-sse', '1.0.0', everything(sse.port, 'sse', 'sse'));
    expect((await attach(t, { server: 'io.github.acme/everything-http', alias: 'eh' })).statusCode).toBe(201);
    expect((await attach(t, { server: 'io.github.acme/everything-sse', alias: 'es' })).statusCode).toBe(201);
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    await Promise.all([http?.close(), sse?.close()]);
  });

  it.each<Era>(['modern', 'legacy'])('lists and calls both through /mcp with a %s client', async (era) => {
    const client = await connect(t.url, era, adminHeaders);
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(['eh__echo', 'es__echo', 'eh__get-sum', 'es__get-sum']));
      for (const alias of ['eh', 'es']) {
        const result = await client.callTool({ name: `${alias}__echo`, arguments: { message: `via ${alias}` } });
        expect(result.isError).toBeFalsy();
        expect(JSON.stringify(result.content)).toContain(`via ${alias}`);
      }
    } finally {
      await client.close();
    }
  });
});

describe('gateway restart', () => {
  it('serves a legacy client’s next call after the gateway restarts on the same database and key', async () => {
    const toy = await startSdkUpstream({ apiKey: API_KEY });
    const first = await startGateway();
    const port = Number(new URL(first.url).port);
    try {
      await publish(first, 'io.github.acme/toy', '1.0.0', remote(toy.port));
      expect(
        (await attach(first, { server: 'io.github.acme/toy', headers: { 'X-Api-Key': API_KEY } })).statusCode,
      ).toBe(201);
      const client = await connect(first.url, 'legacy', adminHeaders);
      expect((await client.callTool({ name: 'toy__echo', arguments: { text: 'one' } })).content).toEqual([
        { type: 'text', text: 'echo: one' },
      ]);
      const { database } = first.wharf.config;
      // A process that dies takes its connections along (the client's GET stream included).
      const closing = first.app.close();
      first.app.server.closeAllConnections();
      await closing;
      await first.wharf.close();
      const second = await startGateway(undefined, { database, port });
      try {
        const result = await client.callTool({ name: 'toy__echo', arguments: { text: 'two' } });
        expect(result.content).toEqual([{ type: 'text', text: 'echo: two' }]);
        await client.close();
      } finally {
        await second.close();
      }
    } finally {
      await toy.close();
    }
  });
});
