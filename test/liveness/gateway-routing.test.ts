import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutableInstance } from '../../src/liveness/instances.js';
import { InstanceRouting } from '../../src/liveness/routing.js';
import { ManualTime } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { adminHeaders, createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { startSdkUpstream } from '../gateway/support.js';
import type { ToyUpstream } from '../gateway/support.js';
import { connect, publish } from '../mcp/support.js';

const TTL_MS = 30_000;
const SERVER = 'io.github.acme/balanced';
const noTimers = { reapMs: 0, probeTickMs: 0, flushMs: 0, targetRefreshMs: 0, healthPollMs: 0, directoryPollMs: 0 };

/** Two real MCP servers registered as instances of one registry server, reached through the gateway's /mcp. */
describe('the gateway routes to passing registered instances', () => {
  const time = new ManualTime();
  let t: TestApp;
  let gatewayUrl: string;
  let one: ToyUpstream;
  let two: ToyUpstream;
  let client: Client;
  const instances: { id: string; token: string; upstream: ToyUpstream }[] = [];

  beforeAll(async () => {
    [one, two] = await Promise.all([startSdkUpstream(), startSdkUpstream()]);
    t = await createTestApp({
      env: {
        WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
        WHARF_PROBES: 'false',
        WHARF_INSTANCE_TTL_SECONDS: String(TTL_MS / 1000),
        WHARF_GATEWAY_CONNECT_TIMEOUT_MS: '2000',
        WHARF_SECRET_KEY: 'liveness-routing-test-secret-0123456789',
        WHARF_JWT_PRIVATE_KEY: '22'.repeat(32),
      },
      overrides: { time, livenessTiming: noTimers },
    });
    gatewayUrl = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
    // The published remote is a public name nothing answers at: calls can only succeed through an instance.
    await publish(t, SERVER, '1.0.0', {
      remotes: [{ type: 'streamable-http', url: 'https://balanced.invalid/mcp' }],
    });
    for (const upstream of [one, two]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/instances',
        headers: adminHeaders,
        payload: { server: SERVER, url: `${upstream.url}/mcp`, metadata: { version: '1.0.0' } },
      });
      expect(res.statusCode).toBe(201);
      instances.push({ ...(res.json() as { id: string; token: string }), upstream });
    }
    const attached = await t.app.inject({
      method: 'POST',
      url: '/api/v1/gateway/upstreams',
      headers: adminHeaders,
      payload: { server: SERVER, alias: 'bal' },
    });
    expect(attached.statusCode).toBe(201);
    client = await connect(gatewayUrl, 'modern', adminHeaders);
  });
  afterAll(async () => {
    await client?.close();
    await t?.close();
    await Promise.all([one?.close(), two?.close()]);
  });

  const echo = async (text: string) => {
    const before = [one.seen.length, two.seen.length];
    const result = await client.callTool({ name: 'bal__echo', arguments: { text } });
    const answeredBy = one.seen.length > (before[0] ?? 0) ? one : two.seen.length > (before[1] ?? 0) ? two : undefined;
    return { result, answeredBy };
  };
  const beat = async (instance: { id: string; token: string }) =>
    t.app.inject({
      method: 'PUT',
      url: `/api/v1/instances/${instance.id}/heartbeat`,
      headers: { authorization: `Bearer ${instance.token}` },
    });
  /** From a fresh client each time: a modern client caches lists for the TTL the list's cache hint gives. */
  const toolNames = async () => {
    const fresh = await connect(gatewayUrl, 'modern', adminHeaders);
    try {
      return (await fresh.listTools()).tools.map((tool) => tool.name);
    } finally {
      await fresh.close();
    }
  };
  /** Waits for the gateway to follow a liveness change (directory → hook → resync), without sleeping blindly. */
  const until = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 5000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it('routes to a registered instance, not the remote URL, and fails over when it goes critical', async () => {
    const first = await echo('hello');
    expect(first.result.content).toEqual([{ type: 'text', text: 'echo: hello' }]);
    expect(first.answeredBy).toBeDefined();
    // Stateless (2026-07-28) calls are spread over the passing instances in turn.
    const spread = new Set([first.answeredBy, (await echo('a')).answeredBy, (await echo('b')).answeredBy]);
    expect(spread).toEqual(new Set([one, two]));
    // 2025-era calls go over the pooled connection, which stays with one instance while it passes.
    const legacy = await connect(gatewayUrl, 'legacy', adminHeaders);
    const legacyEcho = async (text: string) => {
      const before = [one.seen.length, two.seen.length];
      await legacy.callTool({ name: 'bal__echo', arguments: { text } });
      return one.seen.length > (before[0] ?? 0) ? one : two.seen.length > (before[1] ?? 0) ? two : undefined;
    };
    const serving = await legacyEcho('sticky');
    expect(serving).toBeDefined();
    expect(await legacyEcho('again')).toBe(serving);
    expect(await legacyEcho('and again')).toBe(serving);
    await legacy.close();

    // The serving instance stops beating; the other keeps going. After one TTL the reaper marks it critical.
    const [live] = instances.filter((i) => i.upstream !== serving);
    time.advance(TTL_MS - 5000);
    await beat(live!);
    time.advance(6000);
    await t.wharf.liveness.reap();
    const states = (await t.app.inject({ url: `/api/v1/instances?server=${SERVER}` })).json().instances;
    expect(states.map((i: { state: string }) => i.state).sort()).toEqual(['critical', 'passing']);

    await until(async () => (await echo('after')).answeredBy === live!.upstream, 'calls to reach the passing instance');
    const after = await echo('failed over');
    expect(after.result.content).toEqual([{ type: 'text', text: 'echo: failed over' }]);
    expect(after.answeredBy).toBe(live!.upstream);
  });

  it('withdraws the tools when every registered instance is critical, and brings them back on a heartbeat', async () => {
    time.advance(TTL_MS + 1000);
    await t.wharf.liveness.reap();
    await until(async () => !(await toolNames()).includes('bal__echo'), 'the tools to be withdrawn');
    const refused = await client.callTool({ name: 'bal__echo', arguments: { text: 'x' } }).then(
      (result) => result,
      (error: unknown) => ({ error: String(error) }),
    );
    // Never silently sent to the remote URL (or to a critical instance): the tool is gone until an instance passes.
    expect(JSON.stringify(refused)).toMatch(/bal__echo/);
    expect(JSON.stringify(refused)).not.toMatch(/echo: x/);

    const back = instances[0]!;
    expect((await beat(back)).json().state).toBe('passing');
    await until(async () => (await toolNames()).includes('bal__echo'), 'the tools to return');
    expect((await echo('back')).answeredBy).toBe(back.upstream);
  });
});

describe('InstanceRouting', () => {
  const instance = (id: string, url: string, state: 'passing' | 'critical' = 'passing'): RoutableInstance => ({
    id,
    server: SERVER,
    url,
    transport: 'streamable-http',
    version: undefined,
    state,
  });
  const upstream = {
    server: SERVER,
    version: '1.0.0',
    url: 'https://remote.example/mcp',
    transport: 'streamable-http',
  };
  const directoryOf = (entries: RoutableInstance[]) => {
    const listeners: (() => void)[] = [];
    return {
      entries,
      directory: () => entries,
      onDirectoryChange: (l: () => void) => void listeners.push(l),
      change: () => listeners.forEach((l) => l()),
    };
  };
  const logger = createLogger('silent');

  it('uses the remote URL when no instance is registered, and skips other versions and transports', () => {
    const directory = directoryOf([
      { ...instance('a', 'https://a.example/mcp'), version: '2.0.0' },
      { ...instance('b', 'https://b.example/mcp'), transport: 'sse' },
    ]);
    const routing = new InstanceRouting(directory, { allowPrivateNetworks: false, logger });
    expect(routing.endpoints(upstream)).toEqual([upstream.url]);
  });

  it('rotates round-robin to the successor when the chosen instance leaves, and starts where `random` says', () => {
    const directory = directoryOf([
      instance('a', 'https://a.example/mcp'),
      instance('b', 'https://b.example/mcp'),
      instance('c', 'https://c.example/mcp'),
    ]);
    const routing = new InstanceRouting(directory, { allowPrivateNetworks: false, logger, random: () => 1 / 1e6 });
    let changes = 0;
    routing.onChange(() => (changes += 1));
    expect(routing.endpoints(upstream)).toEqual([
      'https://b.example/mcp',
      'https://c.example/mcp',
      'https://a.example/mcp',
    ]);
    // A new instance joins the rotation of stateless calls (the gateway is told) without moving a healthy choice.
    directory.entries.push(instance('d', 'https://d.example/mcp'));
    directory.change();
    expect(changes).toBe(1);
    expect(routing.endpoints(upstream)).toEqual([
      'https://b.example/mcp',
      'https://c.example/mcp',
      'https://d.example/mcp',
      'https://a.example/mcp',
    ]);
    // Nothing changed: nothing to tell.
    directory.change();
    expect(changes).toBe(1);
    directory.entries[1] = instance('b', 'https://b.example/mcp', 'critical');
    directory.change();
    expect(changes).toBe(2);
    expect(routing.endpoints(upstream)[0]).toBe('https://c.example/mcp');
    directory.entries.splice(2, 1);
    directory.change();
    expect(routing.endpoints(upstream)[0]).toBe('https://d.example/mcp');
  });

  it('refuses instance URLs at non-public literal addresses unless private networks are allowed', () => {
    const entries = [instance('a', 'http://127.0.0.1:9000/mcp'), instance('b', 'http://10.1.2.3/mcp')];
    expect(
      new InstanceRouting(directoryOf(entries), { allowPrivateNetworks: false, logger }).endpoints(upstream),
    ).toEqual([]);
    expect(
      new InstanceRouting(directoryOf([...entries, instance('c', 'https://c.example/mcp')]), {
        allowPrivateNetworks: false,
        logger,
      }).endpoints(upstream),
    ).toEqual(['https://c.example/mcp']);
    expect(
      new InstanceRouting(directoryOf(entries), { allowPrivateNetworks: true, logger }).endpoints(upstream),
    ).toHaveLength(2);
  });

  it('answers nothing when every registered instance is critical (no fallback to the remote URL)', () => {
    const directory = directoryOf([instance('a', 'https://a.example/mcp', 'critical')]);
    expect(new InstanceRouting(directory, { allowPrivateNetworks: false, logger }).endpoints(upstream)).toEqual([]);
  });
});
