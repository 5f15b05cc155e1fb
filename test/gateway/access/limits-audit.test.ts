import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayRateLimits, RateLimited } from '../../../src/gateway/access/rate-limits.js';
import { ADMIN_TOKEN } from '../../support/app.js';
import { bearer, connectModern, initialize, startGateway } from './support.js';
import type { GatewayTestServer } from './support.js';

type ToolResult = { isError?: boolean; content: Array<{ text?: string }>; _meta?: Record<string, unknown> };

describe('gateway access: per-key and per-tool limits, audit and metrics', () => {
  let t: GatewayTestServer;
  const clients: Client[] = [];
  beforeAll(async () => {
    t = await startGateway({
      WHARF_GATEWAY_RATE_LIMIT_CALLS: '4',
      WHARF_GATEWAY_RATE_LIMIT_TOOL_CALLS: '2',
      WHARF_GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '3600',
      WHARF_GATEWAY_AUDIT_ARGUMENTS: 'keys',
    });
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await t?.close();
  });

  it('limits calls per tool and per key with an isError result carrying retry-after', async () => {
    const client = await connectModern(t.url, bearer(ADMIN_TOKEN));
    clients.push(client);
    const call = (name: string, args: Record<string, unknown>) =>
      client.callTool({ name, arguments: args }) as Promise<ToolResult>;
    expect((await call('search_servers', { query: 'secret-value' })).isError).toBeFalsy();
    expect((await call('search_servers', { query: 'secret-value' })).isError).toBeFalsy();
    const perTool = await call('search_servers', { query: 'secret-value' });
    expect(perTool.isError).toBe(true);
    expect(perTool.content[0]?.text).toMatch(/^Too many calls of search_servers: retry after \d+ s$/);
    expect(perTool._meta?.['dev.wharf/retryAfterSeconds']).toBeGreaterThan(3000);
    // Another tool has its own budget, until the caller's overall budget (4, refused calls included) is spent.
    expect((await call('list_versions', { name: 'io.example/none' })).content[0]?.text).not.toMatch(/Too many/);
    const perKey = await call('list_versions', { name: 'io.example/none' });
    expect(perKey.content[0]?.text).toMatch(/^Too many tool calls: retry after \d+ s$/);

    // Another caller (anonymous here) is counted separately.
    const anonymous = await connectModern(t.url);
    clients.push(anonymous);
    const result = (await anonymous.callTool({ name: 'search_servers', arguments: {} })) as ToolResult;
    expect(result.isError).toBeFalsy();
  });

  it('writes one audit record per call with redacted arguments (keys only when configured)', () => {
    const calls = t.audit.events.filter((e) => e.action === 'gateway.call');
    expect(calls.length).toBeGreaterThanOrEqual(6);
    expect(calls[0]).toMatchObject({
      action: 'gateway.call',
      actor: { method: 'admin-token', subject: 'admin' },
      target: 'registry/search_servers',
      outcome: 'success',
      detail: {
        virtualServer: 'default',
        upstream: 'registry',
        tool: 'search_servers',
        outcome: 'success',
        arguments: 'redacted',
        argumentKeys: ['query'],
        argumentBytes: JSON.stringify({ query: 'secret-value' }).length,
      },
    });
    expect(typeof calls[0]?.detail?.latencyMs).toBe('number');
    expect(calls[2]).toMatchObject({ outcome: 'denied', detail: { outcome: 'rate_limited' } });
    expect(calls.at(-1)).toMatchObject({
      actor: { method: 'none', subject: 'anonymous' },
      outcome: 'success',
      sourceIp: '127.0.0.1',
    });
    expect(JSON.stringify(t.audit.events)).not.toContain('secret-value');
  });

  it('exposes call counters, latency and rate-limit counters at /metrics', async () => {
    const text = await (await fetch(`${t.origin}/metrics`)).text();
    expect(text).toMatch(
      /wharf_gateway_calls_total\{method="tools\/call",upstream="registry",tool="search_servers",outcome="success"\} 3/,
    );
    expect(text).toMatch(/wharf_gateway_calls_total\{[^}]*tool="list_versions",outcome="rate_limited"\} 1/);
    expect(text).toMatch(
      /wharf_gateway_call_duration_seconds_count\{method="tools\/call",upstream="registry",outcome="success"\}/,
    );
    expect(text).toMatch(/wharf_gateway_rate_limited_total\{scope="tool"\} 1/);
    expect(text).toMatch(/wharf_gateway_rate_limited_total\{scope="calls"\} 1/);
  });
});

describe('gateway access: whole-request limit', () => {
  let t: GatewayTestServer;
  beforeAll(async () => {
    t = await startGateway({ WHARF_GATEWAY_RATE_LIMIT_REQUESTS: '2' });
  });
  afterAll(async () => t?.close());

  it('answers HTTP 429 with Retry-After once a caller spent its requests, per caller', async () => {
    expect((await fetch(t.url, initialize())).status).toBe(200);
    expect((await fetch(t.url, initialize())).status).toBe(200);
    const limited = await fetch(t.url, initialize());
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({
      error: { code: -32000, message: expect.stringMatching(/Too many requests/) },
    });
    // The admin token is another caller with its own budget.
    expect((await fetch(t.url, initialize(bearer(ADMIN_TOKEN)))).status).toBe(200);
  });
});

const redisBinary = spawnSync('redis-server', ['--version']).status === 0;

describe.skipIf(!redisBinary)('gateway access: limits shared through Redis', () => {
  let redis: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForPort(port);
  });
  afterAll(() => {
    redis?.kill();
  });

  it('counts calls of two gateway replicas against one budget', async () => {
    const settings = { requestsPerKey: 0, callsPerKey: 0, callsPerTool: 3, windowSeconds: 60 };
    const url = `redis://127.0.0.1:${port}`;
    const [a, b] = await Promise.all([
      GatewayRateLimits.create(settings, url),
      GatewayRateLimits.create(settings, url),
    ]);
    try {
      await a.call('key:k1', 'tool');
      await b.call('key:k1', 'tool');
      await a.call('key:k1', 'tool');
      const refused = await b.call('key:k1', 'tool').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RateLimited);
      expect((refused as RateLimited).retryAfterSeconds).toBeGreaterThan(0);
      await b.call('key:k2', 'tool');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
if (!redisBinary) console.warn('redis-server not found: skipping the Redis rate-limit test');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server did not listen on ${port}`);
}
