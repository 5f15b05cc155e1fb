import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/app.js';
import { ACCEPT, LEGACY, MODERN, messagesOf, modernMeta, modernRequest, publish, startMcpServer } from './support.js';
import type { McpTestServer } from './support.js';

let t: McpTestServer;
beforeAll(async () => {
  t = await startMcpServer();
  await publish(t, 'io.github.acme/weather', '1.0.0');
});
afterAll(async () => t?.close());

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body });

async function errorOf(response: Response) {
  const body = (await response.json()) as {
    jsonrpc: string;
    id: unknown;
    error: { code: number; message: string; data?: unknown };
  };
  expect(body.jsonrpc).toBe('2.0');
  return body;
}

describe('JSON-RPC framing', () => {
  it('answers a body that is not JSON with -32700 parse error', async () => {
    const response = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(response.status).toBe(400);
    const body = await errorOf(response);
    expect(body.error.code).toBe(-32700);
    expect(body.id).toBeNull();
  });

  it('answers an empty body with -32700', async () => {
    const response = await post('');
    expect(response.status).toBe(400);
    expect((await errorOf(response)).error.code).toBe(-32700);
  });

  it.each([
    ['a JSON string', '"hello"'],
    ['an object without jsonrpc', '{"id":1,"method":"tools/list"}'],
    ['a wrong jsonrpc version', '{"jsonrpc":"1.0","id":1,"method":"tools/list"}'],
    ['a null id', '{"jsonrpc":"2.0","id":null,"method":"tools/list"}'],
    ['a non-string method', '{"jsonrpc":"2.0","id":1,"method":42}'],
    ['array params', '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[]}'],
    ['an empty batch', '[]'],
  ])('answers %s with -32600 invalid request', async (_what, body) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).error.code).toBe(-32600);
  });

  it('echoes the request id on an invalid request when it can', async () => {
    const response = await post('{"jsonrpc":"2.0","id":"abc","method":"tools/list","params":"x"}');
    expect((await errorOf(response)).id).toBe('abc');
  });

  it('answers an unknown method with 404 and -32601 in the modern era', async () => {
    const response = await fetch(t.url, modernRequest('foo/bar'));
    expect(response.status).toBe(404);
    const body = await errorOf(response);
    expect(body.error.code).toBe(-32601);
    expect(body.id).toBe(1);
  });

  it('answers an unknown method with -32601 in the legacy era', async () => {
    const response = await post('{"jsonrpc":"2.0","id":7,"method":"foo/bar"}', { 'mcp-protocol-version': LEGACY });
    const [message] = await messagesOf(response);
    expect(message).toMatchObject({ id: 7, error: { code: -32601 } });
  });

  it('refuses a body that is not declared as JSON with 415', async () => {
    const response = await post('{}', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
  });

  it('answers an over-large body with 413 in JSON-RPC shape', async () => {
    const response = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { pad: 'x'.repeat(5_000_000) } }),
    );
    expect(response.status).toBe(413);
    expect((await errorOf(response)).error.message).toContain('limit');
  });
});

describe('2026-07-28 requests', () => {
  it('serves tools/list with resultType, cache hints and serverInfo', async () => {
    const response = await fetch(t.url, modernRequest('tools/list'));
    expect(response.status).toBe(200);
    const [message] = await messagesOf(response);
    const result = message?.result as Record<string, unknown>;
    expect(result).toMatchObject({ resultType: 'complete', ttlMs: 300_000, cacheScope: 'public' });
    expect((result._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo']).toMatchObject({
      name: 'wharf',
    });
  });

  it('marks an authenticated caller’s lists private', async () => {
    const response = await fetch(t.url, modernRequest('tools/list', {}, { authorization: `Bearer ${ADMIN_TOKEN}` }));
    const [message] = await messagesOf(response);
    expect(message?.result).toMatchObject({ cacheScope: 'private' });
  });

  it('implements server/discover', async () => {
    const response = await fetch(t.url, modernRequest('server/discover'));
    const [message] = await messagesOf(response);
    expect(message?.result).toMatchObject({
      resultType: 'complete',
      supportedVersions: expect.arrayContaining([MODERN]),
      capabilities: { tools: {}, resources: {} },
      cacheScope: 'public',
    });
    expect((message?.result as { instructions?: string }).instructions).toContain('search_servers');
  });

  it('serves tools/call when Mcp-Name names the tool', async () => {
    const response = await fetch(
      t.url,
      modernRequest(
        'tools/call',
        { name: 'search_servers', arguments: { query: 'weather' } },
        { 'mcp-name': 'search_servers' },
      ),
    );
    expect(response.status).toBe(200);
    const [message] = await messagesOf(response);
    expect(message?.result).toMatchObject({ resultType: 'complete', structuredContent: { count: 1 } });
  });

  it.each([
    ['Mcp-Name is missing on tools/call', 'tools/call', { 'mcp-name': undefined }],
    ['Mcp-Name differs from params.name', 'tools/call', { 'mcp-name': 'get_server' }],
    ['Mcp-Method differs from the body', 'tools/call', { 'mcp-name': 'search_servers', 'mcp-method': 'tools/list' }],
    ['Mcp-Method is missing', 'tools/list', { 'mcp-method': undefined }],
    ['MCP-Protocol-Version differs from _meta', 'tools/list', { 'mcp-protocol-version': LEGACY }],
  ])('answers 400 -32020 when %s', async (_what, method, headers) => {
    const params = method === 'tools/call' ? { name: 'search_servers', arguments: {} } : {};
    const response = await fetch(t.url, modernRequest(method, params, headers as Record<string, string | undefined>));
    expect(response.status).toBe(400);
    expect((await errorOf(response)).error.code).toBe(-32020);
  });

  it('accepts whitespace around header values', async () => {
    const response = await fetch(
      t.url,
      modernRequest(
        'tools/call',
        { name: 'get_server', arguments: { name: 'io.github.acme/weather' } },
        {
          'mcp-name': '  get_server ',
        },
      ),
    );
    expect(response.status).toBe(200);
  });

  it('answers an unsupported version with 400 -32022 naming the supported ones', async () => {
    const init = modernRequest('tools/list', {}, { 'mcp-protocol-version': '2099-01-01' });
    const body = JSON.parse(init.body as string);
    body.params._meta['io.modelcontextprotocol/protocolVersion'] = '2099-01-01';
    const response = await fetch(t.url, { ...init, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    const { error } = await errorOf(response);
    expect(error.code).toBe(-32022);
    expect(error.data).toMatchObject({ supported: [MODERN], requested: '2099-01-01' });
  });

  it('answers a modern version header without the _meta envelope with 400 -32602', async () => {
    const response = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', {
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/list',
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).error.code).toBe(-32602);
  });

  it('answers GET and DELETE without a session with 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(t.url, { method, headers: { accept: 'text/event-stream' } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBeTruthy();
    }
  });

  it('answers other HTTP methods with 405 naming the allowed ones', async () => {
    const response = await fetch(t.url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST, DELETE');
  });

  it('keeps modern requests free of sessions', async () => {
    const response = await fetch(t.url, modernRequest('tools/list'));
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(modernMeta['io.modelcontextprotocol/protocolVersion']).toBe(MODERN);
  });
});

describe('authentication', () => {
  it('answers an invalid bearer with 401 and a challenge', async () => {
    const response = await fetch(t.url, modernRequest('tools/list', {}, { authorization: 'Bearer nonsense' }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await errorOf(response)).error.message).toContain('token');
  });
});
