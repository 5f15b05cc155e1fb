import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { McpServer, ResourceTemplate, createMcpHandler } from '@modelcontextprotocol/server';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { UpstreamEndpoints } from '../../src/gateway/service.js';
import { adminHeaders, createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { publish } from '../mcp/support.js';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function listen(server: http.Server): Promise<Listening> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Serves a web-standard handler on node:http (the SDK v2 server speaks Request/Response). */
export function serveFetch(handler: (request: Request) => Promise<Response>): http.Server {
  return http.createServer(async (req, res) => {
    const controller = new AbortController();
    res.once('close', () => controller.abort());
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers: Object.entries(req.headers).flatMap(([k, v]) =>
        v === undefined ? [] : Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v] as [string, string]],
      ),
      ...(hasBody && { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' }),
      signal: controller.signal,
    } as RequestInit);
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
    if (response.body === null) return res.end();
    Readable.fromWeb(response.body as never).pipe(res);
  });
}

export interface ToyUpstream extends Listening {
  /** Headers of every request received, to check credential injection and the absence of passthrough. */
  seen: Headers[];
  handler: McpHttpHandler;
  /** Calls of the `slow` tool, with whether the upstream saw them cancelled (their abort signal fired). */
  slowCalls: { started: number; cancelled: boolean }[];
}

/**
 * An SDK v2 MCP server (both eras via createMcpHandler) with `echo` and `add` tools, plus any names given.
 * When `apiKey` is set, requests without `X-Api-Key: <apiKey>` get 401. `protocolExtras` adds a resource template and
 * a `slow` tool (progress, cancellation).
 */
export async function startSdkUpstream(
  options: { apiKey?: string; extraTools?: string[]; protocolExtras?: boolean } = {},
): Promise<ToyUpstream> {
  const seen: Headers[] = [];
  const slowCalls: ToyUpstream['slowCalls'] = [];
  const handler = createMcpHandler(() => {
    const server = new McpServer(
      { name: 'toy', version: '1.0.0' },
      { capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} } },
    );
    server.registerTool(
      'echo',
      { description: 'Echo the text back', inputSchema: z.object({ text: z.string() }) },
      async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }),
    );
    server.registerTool(
      'add',
      {
        description: 'Add two numbers',
        inputSchema: z.object({ a: z.number(), b: z.number() }),
        outputSchema: z.object({ sum: z.number() }),
      },
      async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
    );
    server.registerResource('greeting', 'toy://greeting', { mimeType: 'text/plain' }, async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello from toy' }],
    }));
    if (options.protocolExtras) registerExtras(server, slowCalls);
    server.registerPrompt(
      'greet',
      { description: 'Greet someone', argsSchema: z.object({ who: z.string().describe('Whom to greet') }) },
      async ({ who }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${who}` } }] }),
    );
    for (const name of options.extraTools ?? []) {
      server.registerTool(name, { description: `extra ${name}` }, async () => ({
        content: [{ type: 'text', text: name }],
      }));
    }
    return server;
  });
  const server = serveFetch(async (request) => {
    seen.push(request.headers);
    if (options.apiKey !== undefined && request.headers.get('x-api-key') !== options.apiKey) {
      return new Response('unauthorized', { status: 401 });
    }
    return handler.fetch(request);
  });
  const listening = await listen(server);
  return {
    ...listening,
    seen,
    handler,
    slowCalls,
    close: async () => {
      await handler.close();
      await listening.close();
    },
  };
}

/** A resource template `toy://items/{id}` and a `slow` tool that reports progress and notices its cancellation. */
function registerExtras(server: McpServer, slowCalls: ToyUpstream['slowCalls']): void {
  server.registerResource(
    'item',
    new ResourceTemplate('toy://items/{id}', { list: undefined }),
    { description: 'One item by id', mimeType: 'text/plain' },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: `item ${String(id)}` }] }),
  );
  // Reports progress `steps` times, then waits for `waitMs` (or its cancellation) before answering.
  server.registerTool(
    'slow',
    { description: 'Slow work with progress', inputSchema: z.object({ steps: z.number(), waitMs: z.number() }) },
    async ({ steps, waitMs }, ctx) => {
      const call = { started: Date.now(), cancelled: false };
      slowCalls.push(call);
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (let step = 1; step <= steps && progressToken !== undefined; step++) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress: step, total: steps, message: `step ${step}` },
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        ctx.mcpReq.signal.addEventListener('abort', () => {
          call.cancelled = true;
          clearTimeout(timer);
          resolve();
        });
      });
      return { content: [{ type: 'text', text: call.cancelled ? 'cancelled' : 'done' }] };
    },
  );
}

/** Accepts connections and requests, and never answers. */
export async function startHungUpstream(): Promise<Listening> {
  return listen(http.createServer(() => undefined));
}

/** A loopback port nothing listens on (connection refused). */
export async function deadPort(): Promise<number> {
  const probe = await listen(http.createServer());
  await probe.close();
  return probe.port;
}

/** `@modelcontextprotocol/server-everything` as a child process in `streamableHttp` or `sse` mode on a free port. */
export async function startEverything(mode: 'streamableHttp' | 'sse'): Promise<Listening> {
  const port = await deadPort();
  const bin = fileURLToPath(import.meta.resolve('@modelcontextprotocol/server-everything/package.json'));
  const child = spawn(process.execPath, [path.join(path.dirname(bin), 'dist/index.js'), mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server-everything ${mode} did not start: ${output}`)), 15_000);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/port \d+/i.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server-everything ${mode} exited (${code}): ${output}`)));
  });
  child.stderr.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A gateway (test app listening on loopback) with one upstream per alias attached: each published as
 * `io.github.acme/<alias>` at `https://<alias>.example.com/mcp` and reached at the loopback URL `upstreams` gives.
 * Aliases listed in `legacy` are spoken to in 2025-11-25.
 */
/**
 * A test Wharf whose gateway reaches upstreams where `endpoints` says (the published remotes are public https
 * URLs), with loopback upstreams allowed, short timeouts and a fixed secret key; `env` adds or overrides settings.
 */
export function createGatewayTestApp(endpoints: UpstreamEndpoints, env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({
    env: {
      WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
      WHARF_GATEWAY_CONNECT_TIMEOUT_MS: '2000',
      WHARF_GATEWAY_CALL_TIMEOUT_MS: '5000',
      WHARF_SECRET_KEY: 'gateway-test-secret-key-0123456789abcdef',
      ...env,
    },
    overrides: { gatewayEndpoints: endpoints },
  });
}

export async function startGatewayWith(
  upstreams: Record<string, string>,
  options: { legacy?: string[] } = {},
): Promise<{ t: TestApp; url: string }> {
  const endpoints: UpstreamEndpoints = ({ url: remote }) => {
    const alias = /^https:\/\/([^.]+)\.example\.com\//.exec(remote)?.[1] ?? '';
    return [upstreams[alias] ?? remote];
  };
  const t = await createGatewayTestApp(endpoints, {
    WHARF_GATEWAY_LEGACY_ALIASES: (options.legacy ?? []).join(','),
  });
  const url = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
  for (const alias of Object.keys(upstreams)) {
    await publish(t, `io.github.acme/${alias}`, '1.0.0', {
      remotes: [{ type: 'streamable-http', url: `https://${alias}.example.com/mcp` }],
    });
    const attached = await t.app.inject({
      method: 'POST',
      url: '/api/v1/gateway/upstreams',
      headers: adminHeaders,
      payload: { server: `io.github.acme/${alias}` },
    });
    if (attached.statusCode !== 201) throw new Error(`attach ${alias}: ${attached.body}`);
  }
  return { t, url };
}
