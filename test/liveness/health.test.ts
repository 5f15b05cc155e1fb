import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { concreteUrl, remoteTargets } from '../../src/liveness/probe/targets.js';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { startEverything, startHangingServer, startHtmlServer, startModernServer } from './support/targets.js';
import type { Target } from './support/targets.js';

const HEALTH = 'dev.wharf/health';
const noTimers = { reapMs: 0, probeTickMs: 0, flushMs: 0, targetRefreshMs: 0, healthPollMs: 0 };
const enc = encodeURIComponent;

async function warmUp(url: string): Promise<void> {
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'warm', version: '1' } },
    }),
  }).then((r) => r.text());
}

describe('probe targets from server.json remotes', () => {
  it('makes template URLs concrete from defaults, and skips those without', () => {
    expect(concreteUrl({ url: 'https://{tenant}.example.com/mcp', variables: { tenant: { default: 'acme' } } })).toBe(
      'https://acme.example.com/mcp',
    );
    expect(concreteUrl({ url: 'https://{tenant}.example.com/mcp', variables: { tenant: {} } })).toBeUndefined();
    const doc = JSON.stringify({
      remotes: [
        { type: 'streamable-http', url: 'https://a.example.com/mcp' },
        { type: 'sse', url: 'https://a.example.com/sse' },
        {
          type: 'streamable-http',
          url: 'https://{region}.example.com/mcp',
          variables: { region: { isRequired: true } },
        },
      ],
    });
    expect(remoteTargets('com.example/a', doc)).toEqual([
      {
        id: 'remote:com.example/a:https://a.example.com/mcp',
        kind: 'remote',
        server: 'com.example/a',
        url: 'https://a.example.com/mcp',
        transport: 'streamable-http',
      },
      {
        id: 'remote:com.example/a:https://a.example.com/sse',
        kind: 'remote',
        server: 'com.example/a',
        url: 'https://a.example.com/sse',
        transport: 'sse',
      },
    ]);
  });
});

describeEachDatabase('published health', (database) => {
  let t: TestApp;
  const targets: Target[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      database,
      env: {
        WHARF_PROBE_TIMEOUT_MS: '3000',
        // A loaded CI machine can take seconds for a local handshake; slowness is not what this test checks.
        WHARF_PROBE_SLOW_MS: '3000',
        WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
      },
      overrides: { livenessTiming: noTimers },
    });
    targets.push(
      ...(await Promise.all([
        startEverything('streamableHttp'),
        startModernServer(),
        startHtmlServer(),
        startHangingServer(),
      ])),
    );
    // server-everything answers its very first handshake slowly (lazy loading); a cold start is not what we test.
    await warmUp(targets[0]!.url);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(targets.map((x) => x.close()));
  });

  const publish = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: serverJson(name, '1.0.0', extra),
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(200);
  };
  const registerInstance = async (server: string, url: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      payload: { server, url },
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(201);
  };
  const latest = async (name: string) =>
    (await t.app.inject({ url: `/v0.1/servers/${enc(name)}/versions/latest` })).json();
  const names = async (query: string) =>
    ((await t.app.inject({ url: `/v0.1/servers?${query}` })).json().servers as { server: { name: string } }[]).map(
      (s) => s.server.name,
    );

  it('probes instances and remotes and publishes what it saw in _meta, the list filter, history and metrics', async () => {
    const [legacy, modern, html, hanging] = targets as [Target, Target, Target, Target];
    await publish('com.example/legacy');
    await publish('com.example/modern');
    await publish('com.example/html');
    await publish('com.example/mixed');
    await publish('com.example/unprobed');
    // An https remote on a loopback port nobody listens on; and a template remote without a default (never probed).
    await publish('com.example/remote', {
      remotes: [
        { type: 'streamable-http', url: 'https://127.0.0.2:{port}/mcp', variables: { port: { default: '9' } } },
        {
          type: 'streamable-http',
          url: 'https://{tenant}.example.com/mcp',
          variables: { tenant: { isRequired: true } },
        },
      ],
    });
    await registerInstance('com.example/legacy', legacy.url);
    await registerInstance('com.example/modern', modern.url);
    await registerInstance('com.example/html', html.url);
    await registerInstance('com.example/mixed', modern.url);
    await registerInstance('com.example/mixed', hanging.url);

    // Cached before any probe: no health yet.
    expect((await latest('com.example/modern'))._meta[HEALTH]).toBeUndefined();
    await t.wharf.liveness.probeNow();

    await vi.waitFor(async () => expect((await latest('com.example/modern'))._meta[HEALTH]).toBeDefined(), {
      timeout: 2000,
    });
    const modernHealth = (await latest('com.example/modern'))._meta[HEALTH];
    expect(modernHealth).toMatchObject({
      status: 'passing',
      protocolVersion: '2026-07-28',
      era: 'modern',
      uptime24h: 1,
      targets: 1,
    });
    expect(modernHealth.latencyMs).toEqual(expect.any(Number));
    expect(Date.parse(modernHealth.checkedAt)).not.toBeNaN();
    const legacyHealth = (await latest('com.example/legacy'))._meta[HEALTH];
    expect(legacyHealth, JSON.stringify(legacyHealth)).toMatchObject({
      status: 'passing',
      protocolVersion: '2025-11-25',
      era: 'legacy',
    });
    expect((await latest('com.example/html'))._meta[HEALTH]).toMatchObject({ status: 'critical', uptime24h: 0 });
    expect((await latest('com.example/html'))._meta[HEALTH].lastError).toMatch(/answered HTML, not MCP/);
    expect((await latest('com.example/mixed'))._meta[HEALTH]).toMatchObject({
      status: 'warning',
      targets: 2,
      lastError: 'timed out after 3 s',
    });
    const remote = (await latest('com.example/remote'))._meta[HEALTH];
    expect(remote).toMatchObject({
      status: 'critical',
      targets: 1,
      lastError: 'connection refused: nothing listens there',
    });
    expect((await latest('com.example/unprobed'))._meta[HEALTH]).toBeUndefined();
    // The official block is untouched and comes first.
    expect(Object.keys((await latest('com.example/modern'))._meta)).toEqual([
      'io.modelcontextprotocol.registry/official',
      HEALTH,
    ]);

    expect(await names('health=passing')).toEqual(['com.example/legacy', 'com.example/modern']);
    expect(await names('health=critical')).toEqual(['com.example/html', 'com.example/remote']);
    expect(await names('health=warning')).toEqual(['com.example/mixed']);
    expect(await names('health=unknown&search=unprobed')).toEqual(['com.example/unprobed']);
    expect((await t.app.inject({ url: '/v0.1/servers?health=dead' })).statusCode).toBe(422);
    const list = (await t.app.inject({ url: '/v0.1/servers?search=com.example/modern' })).json();
    expect(list.servers[0]._meta[HEALTH].status).toBe('passing');

    const history = await t.app.inject({ url: `/api/v1/health/servers/${enc('com.example/mixed')}` });
    expect(history.statusCode).toBe(200);
    const h = history.json();
    expect(h.health.status).toBe('warning');
    expect(h.targets).toHaveLength(2);
    const hung = h.targets.find((x: { url: string }) => x.url === hanging.url);
    expect(hung).toMatchObject({
      status: 'critical',
      lastError: 'timed out after 3 s',
      consecutiveFailures: 1,
      kind: 'instance',
    });
    const ok = h.targets.find((x: { url: string }) => x.url === modern.url);
    expect(ok).toMatchObject({
      status: 'passing',
      era: 'modern',
      reportedName: 'modern-fixture',
      toolCount: 2,
      toolNames: ['echo', 'add'],
    });
    expect(h.latencyMs.samples).toBe(1);
    expect(h.latencyMs.p50).toEqual(expect.any(Number));
    expect(h.uptime24h).toBe(0.5);
    expect(h.transitions).toHaveLength(2);
    expect((await t.app.inject({ url: '/api/v1/health/servers/com.example%2Fnope' })).statusCode).toBe(404);

    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/wharf_liveness_servers\{status="passing"\} 2/);
    expect(metrics).toMatch(/wharf_liveness_servers\{status="critical"\} 2/);
    expect(metrics).toMatch(/wharf_liveness_servers\{status="warning"\} 1/);
    expect(metrics).toMatch(/wharf_liveness_probes_total\{status="passing",era="modern"\} 2/);
  });

  it('serves the same health from another process sharing the database', async () => {
    const { createWharf } = await import('../../src/wharf.js');
    const { createLogger } = await import('../../src/platform/observability/logger.js');
    const other = await createWharf(
      { ...t.wharf.config, liveness: { ...t.wharf.config.liveness, probes: false } },
      createLogger('silent'),
      {
        livenessTiming: noTimers,
      },
    );
    try {
      expect(other.liveness.health.summary('com.example/modern')).toMatchObject({ status: 'passing', era: 'modern' });
      expect(other.liveness.health.namesFor('critical').names.sort()).toEqual([
        'com.example/html',
        'com.example/remote',
      ]);
    } finally {
      await other.close();
    }
  });
});
