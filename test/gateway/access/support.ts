import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { MemoryAuditTrail } from '../../auth/login/support.js';
import { createTestApp } from '../../support/app.js';
import type { TestApp } from '../../support/app.js';

export interface GatewayTestServer extends TestApp {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** `${origin}/mcp` */
  url: string;
  audit: MemoryAuditTrail;
}

/** A Wharf listening on loopback with the given WHARF_GATEWAY_* settings and an in-memory audit trail. */
export async function startGateway(env: Record<string, string> = {}): Promise<GatewayTestServer> {
  const audit = new MemoryAuditTrail();
  const t = await createTestApp({
    env: { WHARF_ALLOW_PRIVATE_NETWORKS: 'true', ...env },
    overrides: { auditTrail: audit },
  });
  const origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...t, origin, url: `${origin}/mcp`, audit };
}

/** An SDK v2 client (2026-07-28) with the given request headers. */
export async function connectModern(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client(
    { name: 'gateway-access-test', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A raw legacy `initialize` POST, the simplest request that reaches the guard and the host. */
export function initialize(headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  };
}
