import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacySessions } from '../../src/mcp/sessions.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { ACCEPT, LEGACY, connect, messagesOf, startMcpServer } from './support.js';
import type { McpTestServer } from './support.js';

const SEED = randomBytes(32).toString('hex');
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const listTools = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

let a: McpTestServer;
let b: McpTestServer;
beforeAll(async () => {
  // Two independent processes' worth of Wharf sharing only the signing key, like two replicas.
  [a, b] = await Promise.all([
    startMcpServer({ env: { WHARF_JWT_PRIVATE_KEY: SEED } }),
    startMcpServer({ env: { WHARF_JWT_PRIVATE_KEY: SEED } }),
  ]);
});
afterAll(async () => Promise.all([a?.close(), b?.close()]));

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': LEGACY, ...headers },
    body,
  });

async function open(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await post(url, initialize, headers);
  expect(response.status).toBe(200);
  const [message] = await messagesOf(response);
  expect(message?.result).toMatchObject({ protocolVersion: LEGACY, serverInfo: { name: 'wharf' } });
  const id = response.headers.get('mcp-session-id');
  expect(id).toMatch(/^[\x21-\x7e]+$/);
  return id as string;
}

describe('2025-11-25 sessions', () => {
  it('issues a session on initialize that another replica honours (no sticky routing)', async () => {
    const session = await open(a.url);
    const response = await post(b.url, listTools, { 'mcp-session-id': session });
    expect(response.status).toBe(200);
    const [message] = await messagesOf(response);
    // The registry's three tools and the context store's five.
    expect((message?.result as { tools: unknown[] }).tools).toHaveLength(8);
  });

  it('answers a forged or unknown session id with 404 -32001', async () => {
    const session = await open(a.url);
    const forged = `${session.slice(0, -2)}xx`;
    for (const id of [forged, 'not-a-session']) {
      const response = await post(a.url, listTools, { 'mcp-session-id': id });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: -32001 } });
    }
  });

  it('binds a session to the credentials that opened it', async () => {
    const session = await open(a.url);
    const response = await post(a.url, listTools, {
      'mcp-session-id': session,
      authorization: `Bearer ${ADMIN_TOKEN}`,
    });
    expect(response.status).toBe(404);
    const own = await open(a.url, { authorization: `Bearer ${ADMIN_TOKEN}` });
    const ok = await post(a.url, listTools, { 'mcp-session-id': own, authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok.status).toBe(200);
  });

  it('refuses a protocol version header that differs from the negotiated one', async () => {
    const session = await open(a.url);
    const response = await post(a.url, listTools, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
    expect(response.status).toBe(400);
  });

  it('negotiates down to its latest legacy version for an unknown one', async () => {
    const body = JSON.parse(initialize);
    body.params.protocolVersion = '2024-01-01';
    const response = await post(a.url, JSON.stringify(body));
    const [message] = await messagesOf(response);
    expect(message?.result).toMatchObject({ protocolVersion: LEGACY });
  });

  it('streams list_changed notifications on GET and ends the session on DELETE', async () => {
    const session = await open(a.url);
    const controller = new AbortController();
    const stream = await fetch(a.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': LEGACY },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const second = await fetch(a.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session } });
    expect(second.status).toBe(409);

    const reader = stream.body!.getReader();
    let received = '';
    a.app.mcp.notifyToolsChanged();
    while (!received.includes('list_changed')) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    expect(received).toContain('"method":"notifications/tools/list_changed"');

    const ended = await fetch(a.url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
    expect(ended.status).toBe(200);
    // The stream closes with the session…
    while (!(await reader.read()).done);
    // …and the id is no longer accepted.
    const after = await post(a.url, listTools, { 'mcp-session-id': session });
    expect(after.status).toBe(404);
    controller.abort();
  });

  it('needs Accept: text/event-stream for the GET stream', async () => {
    const session = await open(a.url);
    const response = await fetch(a.url, { headers: { accept: 'application/json', 'mcp-session-id': session } });
    expect(response.status).toBe(406);
  });

  it('serves the SDK client’s legacy lifecycle (initialize, initialized, calls)', async () => {
    const client = await connect(a.url, 'legacy');
    const result = await client.callTool({ name: 'search_servers', arguments: {} });
    expect(result.isError).toBeFalsy();
    await client.close();
  });
});

describe('LegacySessions', () => {
  it('expires sessions after their lifetime', () => {
    let now = 1_000;
    const sessions = new LegacySessions({ key: randomBytes(32), ttlMs: 100, now: () => now });
    const id = sessions.issue(LEGACY, null);
    expect(sessions.verify(id)).toMatchObject({ protocolVersion: LEGACY, subject: null });
    now += 100;
    expect(sessions.verify(id)).toBeUndefined();
  });

  it('rejects ids signed with another key', () => {
    const one = new LegacySessions({ key: randomBytes(32) });
    const other = new LegacySessions({ key: randomBytes(32) });
    expect(other.verify(one.issue(LEGACY, null))).toBeUndefined();
  });
});
