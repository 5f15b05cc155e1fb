import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpProbe } from '../../src/liveness/probe/mcp-probe.js';
import { createOutboundClient } from '../../src/platform/net/index.js';
import {
  startClosingServer,
  startEverything,
  startHangingServer,
  startHtmlServer,
  startModernServer,
} from './support/targets.js';
import type { Target } from './support/targets.js';

const client = createOutboundClient({ allowPrivateNetworks: true, userAgent: 'wharf-test', timeoutMs: 5000 });
const probe = new McpProbe(client);
const targets: Target[] = [];
const start = async (t: Promise<Target>) => {
  const target = await t;
  targets.push(target);
  return target;
};

afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
  await client.close();
});

describe('MCP probes against real servers', () => {
  let streamable: Target;
  let sse: Target;
  let modern: Target;
  beforeAll(async () => {
    [streamable, sse, modern] = await Promise.all([
      start(startEverything('streamableHttp')),
      start(startEverything('sse')),
      start(startModernServer()),
    ]);
  });

  it('server-everything over Streamable HTTP: falls back from server/discover to the legacy handshake', async () => {
    const result = await probe.probe(streamable.url, 'streamable-http', { timeoutMs: 5000, slowMs: 5000 });
    expect(result).toMatchObject({ status: 'passing', era: 'legacy', protocolVersion: '2025-11-25' });
    expect(result.serverName).toBe('mcp-servers/everything');
    expect(result.toolNames).toContain('echo');
    expect(result.error).toBeUndefined();
  });

  it('server-everything over the deprecated HTTP+SSE transport', async () => {
    const result = await probe.probe(sse.url, 'sse', { timeoutMs: 5000, slowMs: 5000 });
    expect(result).toMatchObject({ status: 'passing', era: 'sse', serverName: 'mcp-servers/everything' });
    expect(result.toolNames).toContain('get-sum');
  });

  it('an SDK v2 server answers server/discover: modern era', async () => {
    const result = await probe.probe(modern.url, 'streamable-http', { timeoutMs: 5000, slowMs: 5000 });
    expect(result).toMatchObject({
      status: 'passing',
      era: 'modern',
      protocolVersion: '2026-07-28',
      serverName: 'modern-fixture',
      serverVersion: '3.1.4',
      toolNames: ['echo', 'add'],
    });
  });
});

describe('MCP probes against broken endpoints', () => {
  it('a server that never answers is critical: timed out', async () => {
    const hanging = await start(startHangingServer());
    const result = await probe.probe(hanging.url, 'streamable-http', { timeoutMs: 300 });
    expect(result.status).toBe('critical');
    expect(result.error).toBe('timed out after 0.3 s');
  });

  it('a web page is critical: answered HTML, not MCP', async () => {
    const html = await start(startHtmlServer());
    const result = await probe.probe(html.url, 'streamable-http', { timeoutMs: 2000 });
    expect(result.status).toBe('critical');
    expect(result.error).toMatch(/^answered HTML, not MCP/);
  });

  it('a server that drops the connection is critical: connection closed', async () => {
    const closing = await start(startClosingServer());
    const result = await probe.probe(closing.url, 'streamable-http', { timeoutMs: 2000 });
    expect(result.status).toBe('critical');
    expect(result.error).toBe('connection closed by the server before it answered');
  });

  it('nothing listening is critical: connection refused', async () => {
    const closing = await startHtmlServer();
    await closing.close();
    const result = await probe.probe(closing.url, 'streamable-http', { timeoutMs: 2000 });
    expect(result).toMatchObject({ status: 'critical', error: 'connection refused: nothing listens there' });
  });

  it('an SSE remote that is a web page is critical', async () => {
    const html = await start(startHtmlServer());
    const result = await probe.probe(html.url, 'sse', { timeoutMs: 2000 });
    expect(result.status).toBe('critical');
    expect(result.error).toMatch(/answered HTML, not MCP/);
  });
});
