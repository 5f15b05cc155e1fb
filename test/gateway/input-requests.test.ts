/**
 * Input requests across the gateway, with real SDK v2 peers on both sides (docs/gateway.md#era-translation): a
 * 2025-11-25 upstream that elicits, samples and lists roots inside its tools, a 2026-07-28 upstream whose tool answers
 * `input_required`, and downstream clients of both eras that answer them (or declared nothing and cannot).
 */
import { randomUUID } from 'node:crypto';
import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import {
  McpServer,
  WebStandardStreamableHTTPServerTransport,
  acceptedContent,
  createMcpHandler,
  inputRequired,
} from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminHeaders } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import type { Era } from '../mcp/support.js';
import { listen, serveFetch, startGatewayWith } from './support.js';
import type { Listening } from './support.js';

const NAME_SCHEMA = {
  type: 'object' as const,
  properties: { name: { type: 'string' as const } },
  required: ['name'],
};

/** A sessionful 2025-11-25 server (SDK v2 hand-wired transport) whose tools ask their client for input. */
async function startLegacyUpstream(): Promise<Listening & { runs: Record<string, number> }> {
  const runs: Record<string, number> = {};
  const count = (tool: string) => (runs[tool] = (runs[tool] ?? 0) + 1);
  const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const build = () => {
    const server = new McpServer({ name: 'old', version: '1.0.0' }, { capabilities: { tools: {} } });
    const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
    const failure = (error: unknown) => text(`error: ${(error as Error).message}`);
    server.registerTool('ask_name', { description: 'Elicits a name' }, async (ctx) => {
      count('ask_name');
      try {
        const answer = await ctx.mcpReq.elicitInput({
          mode: 'form',
          message: 'Your name?',
          requestedSchema: NAME_SCHEMA,
        });
        return text(`action=${answer.action} name=${String(answer.content?.name)}`);
      } catch (error) {
        return failure(error);
      }
    });
    server.registerTool('ask_twice', { description: 'Elicits two names in turn' }, async (ctx) => {
      count('ask_twice');
      try {
        const first = await ctx.mcpReq.elicitInput({ mode: 'form', message: 'First?', requestedSchema: NAME_SCHEMA });
        const second = await ctx.mcpReq.elicitInput({ mode: 'form', message: 'Second?', requestedSchema: NAME_SCHEMA });
        return text(`${String(first.content?.name)} then ${String(second.content?.name)}`);
      } catch (error) {
        return failure(error);
      }
    });
    server.registerTool('sample', { description: 'Asks the client’s model' }, async (ctx) => {
      count('sample');
      try {
        const answer = await ctx.mcpReq.requestSampling({
          messages: [{ role: 'user', content: { type: 'text', text: 'Say hi' } }],
          maxTokens: 10,
        });
        const content = answer.content as { type: string; text?: string };
        return text(`model=${answer.model} said=${String(content.text)}`);
      } catch (error) {
        return failure(error);
      }
    });
    server.registerTool('roots', { description: 'Lists the client’s roots' }, async (ctx) => {
      count('roots');
      try {
        const answer = await ctx.mcpReq.send({ method: 'roots/list' });
        return text(answer.roots.map((root) => root.uri).join(','));
      } catch (error) {
        return failure(error);
      }
    });
    // Asks on the session's own stream, not the call's (as the conformance fixture does).
    server.registerTool('ask_unrelated', { description: 'Elicits without naming the call' }, async () => {
      count('ask_unrelated');
      try {
        const answer = await server.server.elicitInput({
          mode: 'form',
          message: 'Name?',
          requestedSchema: NAME_SCHEMA,
        });
        return text(`unrelated name=${String(answer.content?.name)}`);
      } catch (error) {
        return failure(error);
      }
    });
    return server;
  };
  const listening = await listen(
    serveFetch(async (request) => {
      const id = request.headers.get('mcp-session-id');
      if (id !== null) {
        const transport = transports.get(id);
        return transport ? transport.handleRequest(request) : new Response('unknown session', { status: 404 });
      }
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (session) => void transports.set(session, transport),
      });
      await build().connect(transport);
      return transport.handleRequest(request);
    }),
  );
  return {
    ...listening,
    runs,
    close: async () => {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      await listening.close();
    },
  };
}

/** A 2026-07-28 server whose `confirm` tool answers input_required until it gets the answer and its state back. */
async function startModernUpstream(): Promise<Listening & { handlerClose(): Promise<void> }> {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'new', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.registerTool(
      'confirm',
      { description: 'Asks for a confirmation', inputSchema: z.object({ what: z.string() }) },
      async ({ what }, ctx) => {
        const answer = acceptedContent(ctx.mcpReq.inputResponses, 'confirm');
        if (answer === undefined) {
          return inputRequired({
            inputRequests: {
              confirm: inputRequired.elicit({
                message: `Really ${what}?`,
                requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
              }),
            },
            requestState: `state-for-${what}`,
          });
        }
        const state = ctx.mcpReq.requestState<string>();
        return { content: [{ type: 'text', text: `${what}: ok=${String(answer.ok)} state=${String(state)}` }] };
      },
    );
    return server;
  });
  const listening = await listen(serveFetch((request) => handler.fetch(request)));
  return { ...listening, handlerClose: () => handler.close() };
}

const FULL: ClientCapabilities = { elicitation: { form: {} }, sampling: {}, roots: {} };

/** An SDK v2 client of `era` that answers every input request it declared. */
async function downstream(url: string, era: Era, capabilities: ClientCapabilities = FULL): Promise<Client> {
  const client = new Client(
    { name: 'input-test', version: '1.0.0' },
    { capabilities, versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' } },
  );
  if (capabilities.elicitation) {
    client.setRequestHandler('elicitation/create', async (request) => {
      const message = (request.params as { message: string }).message;
      const content: Record<string, string | boolean> = message.startsWith('Really')
        ? { ok: true }
        : { name: message === 'Second?' ? 'Bob' : 'Ada' };
      return { action: 'accept' as const, content };
    });
  }
  if (capabilities.sampling) {
    client.setRequestHandler('sampling/createMessage', async () => ({
      model: 'test-model',
      role: 'assistant',
      content: { type: 'text', text: 'hi there' },
    }));
  }
  if (capabilities.roots) {
    client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: adminHeaders } }));
  return client;
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((part) => part.text ?? '').join('');
}

describe('gateway input requests (elicitation, sampling, roots) across eras', () => {
  let t: TestApp;
  let url: string;
  let old: Awaited<ReturnType<typeof startLegacyUpstream>>;
  let modern: Awaited<ReturnType<typeof startModernUpstream>>;

  beforeAll(async () => {
    old = await startLegacyUpstream();
    modern = await startModernUpstream();
    ({ t, url } = await startGatewayWith({ old: `${old.url}/mcp`, new: `${modern.url}/mcp` }, { legacy: ['old'] }));
  });
  afterAll(async () => {
    await t?.close();
    await old?.close();
    await modern?.handlerClose();
    await modern?.close();
  });

  describe.each<Era>(['legacy', 'modern'])('a %s client in front of a 2025-11-25 upstream', (era) => {
    let client: Client;
    beforeAll(async () => {
      client = await downstream(url, era);
    });
    afterAll(async () => client?.close());

    it('answers the upstream’s elicitation', async () => {
      const result = await client.callTool({ name: 'old__ask_name', arguments: {} });
      expect(textOf(result)).toBe('action=accept name=Ada');
    });

    it('answers two elicitations in turn', async () => {
      expect(textOf(await client.callTool({ name: 'old__ask_twice', arguments: {} }))).toBe('Ada then Bob');
    });

    it('answers sampling and roots requests', async () => {
      expect(textOf(await client.callTool({ name: 'old__sample', arguments: {} }))).toBe(
        'model=test-model said=hi there',
      );
      expect(textOf(await client.callTool({ name: 'old__roots', arguments: {} }))).toBe('file:///work');
    });

    it('routes a request the upstream did not relate to the call to the one call in flight', async () => {
      expect(textOf(await client.callTool({ name: 'old__ask_unrelated', arguments: {} }))).toBe('unrelated name=Ada');
    });
  });

  it('relays live to a 2025 client (the upstream tool runs once) and replays for a 2026 client', async () => {
    const legacy = await downstream(url, 'legacy');
    const modernClient = await downstream(url, 'modern');
    try {
      const before = old.runs.ask_twice ?? 0;
      await legacy.callTool({ name: 'old__ask_twice', arguments: {} });
      expect(old.runs.ask_twice).toBe(before + 1);
      // Two questions: the first leg, and one re-issue per answer.
      await modernClient.callTool({ name: 'old__ask_twice', arguments: {} });
      expect(old.runs.ask_twice).toBe(before + 4);
    } finally {
      await legacy.close();
      await modernClient.close();
    }
  });

  describe.each<Era>(['legacy', 'modern'])('a %s client in front of a 2026-07-28 upstream', (era) => {
    let client: Client;
    beforeAll(async () => {
      client = await downstream(url, era);
    });
    afterAll(async () => client?.close());

    it('completes an input_required call (the gateway drives the rounds for a 2025 client)', async () => {
      const result = await client.callTool({ name: 'new__confirm', arguments: { what: 'deploy' } });
      expect(textOf(result)).toBe('deploy: ok=true state=state-for-deploy');
    });
  });

  it('passes the upstream’s input_required and requestState through to a 2026 client unchanged', async () => {
    const client = await downstream(url, 'modern');
    try {
      const first = (await client.request(
        { method: 'tools/call', params: { name: 'new__confirm', arguments: { what: 'ship' } } },
        { allowInputRequired: true },
      )) as { resultType?: string; inputRequests?: Record<string, { method: string }>; requestState?: string };
      expect(first.resultType).toBe('input_required');
      expect(first.inputRequests?.confirm?.method).toBe('elicitation/create');
      expect(first.requestState).toBe('state-for-ship');
    } finally {
      await client.close();
    }
  });

  describe('a 2026 client and the gateway’s own requestState', () => {
    let client: Client;
    let first: { resultType?: string; inputRequests?: Record<string, { method: string }>; requestState?: string };
    const call = (extra: Record<string, unknown>) =>
      client.request(
        { method: 'tools/call', params: { name: 'old__ask_name', arguments: {}, ...extra } },
        { allowInputRequired: true },
      );

    beforeAll(async () => {
      client = await downstream(url, 'modern');
      first = (await call({})) as typeof first;
    });
    afterAll(async () => client?.close());

    it('turns the upstream’s elicitation into input_required with a sealed state', () => {
      expect(first.resultType).toBe('input_required');
      expect(first.inputRequests).toEqual({
        r0: { method: 'elicitation/create', params: expect.objectContaining({ message: 'Your name?' }) },
      });
      expect(first.requestState).toMatch(/^wharf1\./);
    });

    it('completes the retry that answers it', async () => {
      const done = await call({
        inputResponses: { r0: { action: 'accept', content: { name: 'Grace' } } },
        requestState: first.requestState,
      });
      expect(textOf(done)).toBe('action=accept name=Grace');
    });

    it('rejects a tampered requestState with a JSON-RPC error', async () => {
      const state = first.requestState as string;
      const tampered = `${state.slice(0, -4)}${state.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      const attempt = call({
        inputResponses: { r0: { action: 'accept', content: { name: 'Eve' } } },
        requestState: tampered,
      });
      await expect(attempt).rejects.toBeInstanceOf(ProtocolError);
      await expect(attempt).rejects.toMatchObject({ code: -32602 });
    });

    it('refuses a state issued for another call', async () => {
      const other = await client.request(
        {
          method: 'tools/call',
          params: {
            name: 'old__ask_twice',
            arguments: {},
            inputResponses: { r0: { action: 'accept', content: { name: 'Eve' } } },
            requestState: first.requestState,
          },
        },
        { allowInputRequired: true },
      );
      expect(other).toMatchObject({ isError: true });
      expect(textOf(other)).toContain('issued for another call');
    });
  });

  describe.each<Era>(['legacy', 'modern'])('a %s client that declared no capabilities', (era) => {
    let client: Client;
    beforeAll(async () => {
      client = await downstream(url, era, {});
    });
    afterAll(async () => client?.close());

    it('gets the upstream told “not supported” (method not found)', async () => {
      const result = await client.callTool({ name: 'old__ask_name', arguments: {} });
      expect(textOf(result)).toMatch(/^error: .*did not declare/);
    });

    it('gets an error, not an input request, from a 2026 upstream that needs input', async () => {
      const outcome = await client.callTool({ name: 'new__confirm', arguments: { what: 'x' } }).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      if (era === 'modern') {
        // The SDK refuses to send an input request the client's envelope does not cover (-32021).
        expect(outcome).toMatchObject({ error: { code: -32021 } });
      } else {
        expect(outcome).toMatchObject({ result: { isError: true } });
        expect(textOf((outcome as { result: unknown }).result)).toMatch(/did not declare/);
      }
    });
  });
});
