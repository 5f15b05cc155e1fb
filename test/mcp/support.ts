import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import type { TestDatabase } from '../support/databases.js';

export interface McpTestServer extends TestApp {
  /** http://127.0.0.1:<port>/mcp */
  url: string;
}

/** A Wharf listening on an ephemeral loopback port, with a few published servers. */
export async function startMcpServer(
  options: { database?: TestDatabase; env?: Record<string, string> } = {},
): Promise<McpTestServer> {
  const t = await createTestApp(options);
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...t, url: `${address}/mcp` };
}

export async function publish(t: TestApp, name: string, version = '1.0.0', extra: Record<string, unknown> = {}) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v0.1/publish',
    headers: adminHeaders,
    payload: serverJson(name, version, extra),
  });
  if (response.statusCode !== 200) throw new Error(`publish ${name}@${version}: ${response.body}`);
}

export type Era = 'modern' | 'legacy';

/** An SDK v2 client speaking the given era: pinned to 2026-07-28, or the 2025-11-25 `initialize` handshake. */
export async function connect(url: string, era: Era, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client(
    { name: 'wharf-test', version: '1.0.0' },
    { versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** The context store's tools, which /mcp serves after the registry's (src/contexts/mcp.ts). */
export const CONTEXT_TOOLS = ['context_create', 'context_get', 'context_update', 'context_delete', 'context_list'];

export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';
export const ACCEPT = 'application/json, text/event-stream';

/** The per-request envelope every 2026-07-28 request carries in params._meta. */
export const modernMeta = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' },
};

/** A raw 2026-07-28 request with the required headers (override or drop any with `headers`). */
export function modernRequest(
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string | undefined> = {},
): RequestInit {
  const all: Record<string, string | undefined> = {
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...headers,
  };
  return {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: modernMeta } }),
  };
}

/** The JSON-RPC messages of a response, whether it came as JSON or as an SSE stream. */
export async function messagesOf(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) return [JSON.parse(text)];
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line.length > 6)
    .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
}
