/**
 * Child process for the liveness-probes scenario: many tiny MCP endpoints on loopback, answering by hand (no SDK,
 * so the fake costs little next to Wharf). Even paths are modern (2026-07-28 `server/discover`, `tools/list`);
 * odd paths are legacy-only (they refuse `server/discover` like an SDK v1 server, then serve `initialize`,
 * `notifications/initialized`, `tools/list` and the session DELETE). Receives {ports, pathsPerPort} over IPC and
 * answers {type: 'listening', ports}.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMcpConfig {
  ports: number;
  pathsPerPort: number;
}

export type FakeMcpMessage = { type: 'listening'; ports: number[] } | { type: 'error'; message: string };

const TOOLS = [{ name: 'echo', inputSchema: { type: 'object' } }];

function answer(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const index = Number(/\/mcp\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
  const modern = index % 2 === 0;
  if (req.method === 'DELETE') return answer(res, modern ? 405 : 200, {});
  if (req.method !== 'POST') return answer(res, 405, {});
  let message: { id?: number; method?: string };
  try {
    message = JSON.parse(body) as { id?: number; method?: string };
  } catch {
    return answer(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  const { id, method } = message;
  if (modern) {
    if (method === 'server/discover') {
      return answer(res, 200, {
        jsonrpc: '2.0',
        id,
        result: {
          resultType: 'complete',
          supportedVersions: ['2026-07-28'],
          capabilities: { tools: {} },
          _meta: { 'io.modelcontextprotocol/serverInfo': { name: `fake-modern-${index}`, version: '1.0.0' } },
          ttlMs: 0,
          cacheScope: 'public',
        },
      });
    }
    if (method === 'tools/list')
      return answer(res, 200, { jsonrpc: '2.0', id, result: { resultType: 'complete', tools: TOOLS } });
    return answer(res, 404, { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
  }
  if (method === 'server/discover') {
    return answer(res, 400, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: 'Bad Request: Server not initialized' },
    });
  }
  if (method === 'initialize') {
    return answer(
      res,
      200,
      {
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: `fake-legacy-${index}`, version: '1.0.0' },
        },
      },
      { 'mcp-session-id': `s${index}-${Date.now()}` },
    );
  }
  if (method === 'notifications/initialized') {
    res.writeHead(202);
    return void res.end();
  }
  if (method === 'tools/list') return answer(res, 200, { jsonrpc: '2.0', id, result: { tools: TOOLS } });
  return answer(res, 404, { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
}

process.once('message', (config: FakeMcpConfig) => {
  void (async () => {
    try {
      const ports: number[] = [];
      for (let i = 0; i < config.ports; i++) {
        const server = http.createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
        });
        server.keepAliveTimeout = 60_000;
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        ports.push((server.address() as AddressInfo).port);
      }
      process.send?.({ type: 'listening', ports } satisfies FakeMcpMessage);
    } catch (error) {
      process.send?.({ type: 'error', message: (error as Error).message } satisfies FakeMcpMessage);
    }
  })();
});
process.on('SIGTERM', () => process.exit(0));
