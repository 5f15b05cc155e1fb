import type { Client } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { adminHeaders } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { ACCEPT, MODERN, connect, modernMeta, publish } from '../mcp/support.js';
import type { Era } from '../mcp/support.js';
import { createGatewayTestApp, listen, serveFetch } from './support.js';
import type { Listening } from './support.js';

/**
 * Call forwarding (src/gateway/call-forwarding.ts): a modern call to a modern upstream is forwarded as it is. The
 * upstream here tells who called it: the downstream client's own identity arrives only when the message was
 * forwarded (the SDK path calls with the gateway's identity), which is how these tests know which path answered.
 */
interface Probe extends Listening {
  bodies: Record<string, unknown>[];
  headers: Headers[];
  /** How many `hang` calls saw their cancellation (the upstream's abort signal fired). */
  cancelled: number;
  release(): void;
}

async function startProbe(): Promise<Probe> {
  const bodies: Record<string, unknown>[] = [];
  const headers: Headers[] = [];
  let release = () => {};
  const state = { cancelled: 0 };
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'probe', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.registerTool('whoami', { description: 'Who is calling' }, async () => ({
      content: [{ type: 'text', text: server.server.getClientVersion()?.name ?? 'unknown' }],
    }));
    server.registerTool('fail', { description: 'Always a tool error' }, async () => ({
      content: [{ type: 'text', text: 'it failed' }],
      isError: true,
    }));
    server.registerTool(
      'add',
      { description: 'Add', inputSchema: z.object({ a: z.number(), b: z.number() }) },
      async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
    );
    server.registerTool('hang', { description: 'Answers when released' }, async (ctx) => {
      ctx.mcpReq.signal.addEventListener('abort', () => (state.cancelled += 1));
      await new Promise<void>((resolve) => (release = resolve));
      return { content: [{ type: 'text', text: 'released' }] };
    });
    return server;
  });
  const listening = await listen(
    serveFetch(async (request) => {
      headers.push(request.headers);
      if (request.method === 'POST') {
        const text = await request.clone().text();
        if (text) bodies.push(JSON.parse(text) as Record<string, unknown>);
      }
      return handler.fetch(request);
    }),
  );
  return {
    ...listening,
    bodies,
    headers,
    get cancelled() {
      return state.cancelled;
    },
    release: () => release(),
    close: async () => {
      release();
      await handler.close();
      await listening.close();
    },
  };
}

async function gatewayFor(probe: Probe, env: Record<string, string> = {}): Promise<{ t: TestApp; url: string }> {
  const t = await createGatewayTestApp(() => [`${probe.url}/mcp`], env);
  const url = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
  await publish(t, 'io.github.acme/probe', '1.0.0', {
    remotes: [{ type: 'streamable-http', url: 'https://probe.example.com/mcp' }],
  });
  const attached = await t.app.inject({
    method: 'POST',
    url: '/api/v1/gateway/upstreams',
    headers: adminHeaders,
    payload: { server: 'io.github.acme/probe', headers: { 'X-Api-Key': 'probe-secret' } },
  });
  expect(attached.statusCode, attached.body).toBe(201);
  return { t, url };
}

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[] };

async function auditedCalls(t: TestApp): Promise<{ target: string; detail: Record<string, unknown> }[]> {
  const response = await t.app.inject({ url: '/api/v1/audit?action=gateway.call&limit=100', headers: adminHeaders });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as { events: { target: string; detail: Record<string, unknown> }[] }).events;
}

describe('gateway call forwarding of modern tools/call to a modern upstream', () => {
  let probe: Probe;
  let t: TestApp;
  let url: string;
  const clients: Client[] = [];
  const client = async (era: Era) => {
    const connected = await connect(url, era, adminHeaders);
    clients.push(connected);
    return connected;
  };

  beforeAll(async () => {
    probe = await startProbe();
    ({ t, url } = await gatewayFor(probe));
  });
  afterAll(async () => {
    for (const connected of clients) await connected.close();
    // A connection whose call was cancelled lingers until keep-alive ends (as on the SDK path); tests don't wait.
    t?.app.server.closeAllConnections();
    await t?.close();
    await probe?.close();
  });

  it('forwards a modern client’s call with its own envelope, renamed for the upstream, with the upstream’s credentials', async () => {
    const modern = await client('modern');
    const result = (await modern.callTool({ name: 'probe__whoami', arguments: {} })) as ToolResult;
    expect(result.content).toEqual([{ type: 'text', text: 'wharf-test' }]);
    const forwarded = probe.bodies.at(-1) as { params: { name: string; _meta: Record<string, unknown> } };
    expect(forwarded.params.name).toBe('whoami');
    expect(forwarded.params._meta['io.modelcontextprotocol/clientInfo']).toEqual({
      name: 'wharf-test',
      version: '1.0.0',
    });
    const sent = probe.headers.at(-1);
    expect(sent?.get('mcp-name')).toBe('whoami');
    expect(sent?.get('x-api-key')).toBe('probe-secret');
    // No token passthrough: the client's bearer never reaches the upstream.
    expect(sent?.get('authorization')).toBeNull();
  });

  it('leaves legacy clients on the SDK path (the gateway’s own identity reaches the upstream)', async () => {
    const legacy = await client('legacy');
    const result = (await legacy.callTool({ name: 'probe__whoami', arguments: {} })) as ToolResult;
    expect(result.content).toEqual([{ type: 'text', text: 'wharf-gateway' }]);
  });

  it('returns tool errors and protocol errors as the upstream gives them, and audits each call', async () => {
    const modern = await client('modern');
    const failed = (await modern.callTool({ name: 'probe__fail', arguments: {} })) as ToolResult;
    expect(failed).toMatchObject({ isError: true, content: [{ type: 'text', text: 'it failed' }] });
    const sum = (await modern.callTool({ name: 'probe__add', arguments: { a: 2, b: 3 } })) as ToolResult;
    expect(sum.content).toEqual([{ type: 'text', text: '5' }]);
    const invalid = await modern
      .callTool({ name: 'probe__add', arguments: { a: 'two' } })
      .then((r) => ({ isError: (r as ToolResult).isError === true }))
      .catch(() => ({ isError: true }));
    expect(invalid.isError).toBe(true);

    const calls = await auditedCalls(t);
    const outcomes = calls.filter((c) => c.target.startsWith('probe/')).map((c) => [c.target, c.detail.outcome]);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        ['probe/probe__fail', 'tool_error'],
        ['probe/probe__add', 'success'],
      ]),
    );
    expect(JSON.stringify(calls)).not.toContain('two');
  });

  it('refuses a malformed modern request the way the SDK path does (header and body disagree)', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        ...adminHeaders,
        'content-type': 'application/json',
        accept: ACCEPT,
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': 'probe__fail',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'probe__whoami', arguments: {}, _meta: modernMeta },
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { id: number; error: { message: string } };
    expect(body.id).toBe(7);
    expect(body.error.message).toMatch(/Mcp-Name/);
  });

  it('cancels the upstream exchange when the client goes away, and answers a hung call within the timeout', async () => {
    const modern = await client('modern');
    const before = probe.bodies.length;
    const controller = new AbortController();
    const pending = modern.callTool({ name: 'probe__hang', arguments: {} }, { signal: controller.signal });
    await vi.waitFor(() => expect(probe.bodies.length).toBe(before + 1), { timeout: 5000, interval: 20 });
    controller.abort();
    await expect(pending).rejects.toThrow();
    await vi.waitFor(() => expect(probe.cancelled).toBe(1), { timeout: 5000, interval: 20 });
    probe.release();
  });
});

describe('gateway call forwarding failures', () => {
  it('reports an upstream that stops answering as a timeout, and a dead one as unavailable', async () => {
    const probe = await startProbe();
    const { t, url } = await gatewayFor(probe, { WHARF_GATEWAY_CALL_TIMEOUT_MS: '300' });
    const modern = await connect(url, 'modern', adminHeaders);
    try {
      expect(((await modern.callTool({ name: 'probe__whoami', arguments: {} })) as ToolResult).content[0]?.text).toBe(
        'wharf-test',
      );
      const hung = (await modern.callTool({ name: 'probe__hang', arguments: {} })) as ToolResult;
      expect(hung).toMatchObject({ isError: true });
      expect(hung.content[0]?.text).toBe('upstream probe did not answer within 300 ms');

      await probe.close();
      const dead = (await modern.callTool({ name: 'probe__whoami', arguments: {} })) as ToolResult;
      expect(dead.isError).toBe(true);
      expect(dead.content[0]?.text).toMatch(/^upstream probe (failed|is unavailable)/);

      const outcomes = (await auditedCalls(t)).map((c) => c.detail.outcome);
      expect(outcomes).toEqual(expect.arrayContaining(['success', 'timeout', 'unavailable']));
    } finally {
      await modern.close();
      await t.close();
      await probe.close().catch(() => undefined);
    }
  });
});

describe('WHARF_GATEWAY_FORWARD_CALLS=false', () => {
  it('sends every call through the SDK path (the gateway’s own identity reaches the upstream)', async () => {
    const probe = await startProbe();
    const { t, url } = await gatewayFor(probe, { WHARF_GATEWAY_FORWARD_CALLS: 'false' });
    const modern = await connect(url, 'modern', adminHeaders);
    try {
      const result = (await modern.callTool({ name: 'probe__whoami', arguments: {} })) as ToolResult;
      expect(result.content).toEqual([{ type: 'text', text: 'wharf-gateway' }]);
    } finally {
      await modern.close();
      await t.close();
      await probe.close();
    }
  });
});
