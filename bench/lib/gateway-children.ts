/**
 * Child-process entries for the gateway scenario, one file, chosen by argv[2]:
 *  - `upstream`: a zero-latency SDK v2 MCP server (one `echo` tool, both eras) on node:http;
 *  - `gateway <upstreamPort>`: a Wharf (services + HTTP app, in-process) with that upstream attached, its
 *    registered instance mapped to loopback through the gateway's healthy-instances hook.
 * Each reports `{type: 'listening', port}` over IPC.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { createWharf } from '../../src/wharf.js';

export type ChildMessage = { type: 'listening'; port: number } | { type: 'error'; message: string };

const ADMIN = 'bench-admin-token-0123456789';

async function upstream(): Promise<number> {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'echo', version: '1.0.0' });
    server.registerTool(
      'echo',
      { description: 'Echo', inputSchema: z.object({ text: z.string() }) },
      async ({ text }) => ({ content: [{ type: 'text', text }] }),
    );
    return server;
  });
  const server = http.createServer({ keepAliveTimeout: 72_000 }, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const request = new Request(`http://127.0.0.1${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers: Object.entries(req.headers).flatMap(([k, v]) =>
        typeof v === 'string' ? [[k, v] as [string, string]] : [],
      ),
      ...(req.method === 'POST' && { body }),
    });
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
    if (response.body === null) return res.end();
    Readable.fromWeb(response.body as never).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function gateway(upstreamPort: number): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-gateway-'));
  const config = loadConfig(
    { dataDir },
    { WHARF_ADMIN_TOKEN: ADMIN, WHARF_ALLOW_PRIVATE_NETWORKS: 'true', WHARF_LOG_LEVEL: 'warn' },
  );
  const wharf = await createWharf(config, createLogger(config.logLevel), {
    gatewayEndpoints: ({ url }) => [`http://127.0.0.1:${upstreamPort}${new URL(url).pathname}`],
  });
  const app = await buildApp(wharf);
  const headers = { authorization: `Bearer ${ADMIN}` };
  const published = await app.inject({
    method: 'POST',
    url: '/v0.1/publish',
    headers,
    payload: {
      $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
      name: 'io.github.bench/echo',
      description: 'zero-latency echo upstream',
      version: '1.0.0',
      remotes: [{ type: 'streamable-http', url: 'https://echo.bench.example/mcp' }],
    },
  });
  if (published.statusCode !== 200) throw new Error(`publish: ${published.body}`);
  const attached = await app.inject({
    method: 'POST',
    url: '/api/v1/gateway/upstreams',
    headers,
    payload: { server: 'io.github.bench/echo', alias: 'echo' },
  });
  if (attached.statusCode !== 201) throw new Error(`attach: ${attached.body}`);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return Number(new URL(address).port);
}

const [role, arg] = process.argv.slice(2);
(role === 'gateway' ? gateway(Number(arg)) : upstream()).then(
  (port) => process.send?.({ type: 'listening', port } satisfies ChildMessage),
  (error: unknown) => {
    process.send?.({
      type: 'error',
      message: error instanceof Error ? error.message : String(error),
    } satisfies ChildMessage);
    process.exit(1);
  },
);
