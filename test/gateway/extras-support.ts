/**
 * Upstreams for logging, completion and resource subscriptions through the gateway: real SDK v2 servers, one per era.
 * Modern: `createMcpHandler` (stateless, 2026-07-28 first), updates published on its listen router. Legacy: the
 * sessionful 2025-11-25 transport, one McpServer per session, updates sent on each subscribed session's GET stream.
 */
import { randomUUID } from 'node:crypto';
import {
  McpServer,
  ResourceTemplate,
  WebStandardStreamableHTTPServerTransport,
  completable,
  createMcpHandler,
} from '@modelcontextprotocol/server';
import type { ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { listen, serveFetch } from './support.js';
import type { Listening } from './support.js';

export const WATCHED = 'toy://watched';
export const COLOURS = ['red', 'green', 'blue', 'black', 'white'];

export interface ExtrasUpstream extends Listening {
  /** Tells the upstream's subscribers that `uri` changed. */
  update(uri: string): Promise<void>;
  /** URIs currently subscribed at the upstream (legacy: per session; modern: the gateway's listen streams). */
  subscriptions(): string[];
}

function build(server: McpServer): void {
  // Logs one message at each of four levels, then answers.
  server.registerTool('work', { description: 'Work that logs' }, async (ctx: ServerContext) => {
    for (const level of ['debug', 'info', 'warning', 'error'] as const) {
      await ctx.mcpReq.log(level, `${level} message`, 'toy');
    }
    return { content: [{ type: 'text', text: 'worked' }] };
  });
  server.registerPrompt(
    'paint',
    {
      description: 'Paint in a colour',
      argsSchema: z.object({
        colour: completable(z.string(), (value) => COLOURS.filter((colour) => colour.startsWith(value))),
      }),
    },
    async ({ colour }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `paint it ${colour}` } }] }),
  );
  server.registerResource(
    'number',
    new ResourceTemplate('toy://numbers/{n}', {
      list: undefined,
      // 150 candidates: more than one completion result may carry.
      complete: { n: (value) => Array.from({ length: 150 }, (_, i) => String(i)).filter((n) => n.startsWith(value)) },
    }),
    { mimeType: 'text/plain' },
    async (uri, { n }) => ({ contents: [{ uri: uri.href, text: `number ${String(n)}` }] }),
  );
  server.registerResource('watched', WATCHED, { mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, text: 'watched' }],
  }));
}

const capabilities = {
  tools: {},
  prompts: {},
  resources: { subscribe: true, listChanged: true },
  logging: {},
};

export async function startModernExtras(): Promise<ExtrasUpstream> {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'toy', version: '1.0.0' }, { capabilities });
    build(server);
    return server;
  });
  const listening = await listen(serveFetch((request) => handler.fetch(request)));
  return {
    ...listening,
    update: async (uri) => handler.notify.resourceUpdated(uri),
    subscriptions: () => [],
    close: async () => {
      await handler.close();
      await listening.close();
    },
  };
}

export async function startLegacyExtras(): Promise<ExtrasUpstream> {
  const sessions = new Map<string, { transport: WebStandardStreamableHTTPServerTransport; server: McpServer }>();
  const subscribed = new Map<string, Set<string>>();
  const listening = await listen(
    serveFetch(async (request) => {
      const id = request.headers.get('mcp-session-id');
      const existing = id === null ? undefined : sessions.get(id);
      if (existing) return existing.transport.handleRequest(request);
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => {
          sessions.set(sessionId, { transport, server });
          subscribed.set(sessionId, new Set());
        },
      });
      const server = new McpServer({ name: 'old', version: '1.0.0' }, { capabilities });
      build(server);
      server.server.setRequestHandler('resources/subscribe', (req, ctx) => {
        subscribed.get(ctx.sessionId ?? '')?.add(req.params.uri);
        return {};
      });
      server.server.setRequestHandler('resources/unsubscribe', (req, ctx) => {
        subscribed.get(ctx.sessionId ?? '')?.delete(req.params.uri);
        return {};
      });
      await server.connect(transport);
      return transport.handleRequest(request);
    }),
  );
  return {
    ...listening,
    update: async (uri) => {
      for (const [sessionId, uris] of subscribed) {
        if (uris.has(uri)) await sessions.get(sessionId)?.server.server.sendResourceUpdated({ uri });
      }
    },
    subscriptions: () => [...subscribed.values()].flatMap((uris) => [...uris]),
    close: async () => {
      await Promise.all([...sessions.values()].map(({ server }) => server.close().catch(() => undefined)));
      await listening.close();
    },
  };
}
