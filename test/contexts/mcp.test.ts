import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/authenticator.js';
import { principalFromAuthInfo, registerContextTools } from '../../src/contexts/mcp.js';
import type { WharfError } from '../../src/platform/errors.js';
import { contextBackends } from './support.js';
import type { ContextTestApp } from './support.js';

/**
 * A stand-in for the gateway's /mcp host: a real HTTP server that authenticates the bearer token with
 * Wharf's Authenticator and serves an MCP server with the context tools, over the SDK's HTTP handler.
 */
async function startMcpHost(t: ContextTestApp) {
  const handler: McpHttpHandler = createMcpHandler(() => {
    const server = new McpServer({ name: 'wharf-contexts-test', version: '1.0.0' });
    registerContextTools(server, { service: t.wharf.contexts, principalOf: principalFromAuthInfo });
    return server;
  });
  const server = http.createServer(async (req, res) => {
    try {
      let principal: Principal | undefined;
      try {
        principal = req.headers.authorization
          ? await t.wharf.authenticator.authenticate(req.headers.authorization)
          : undefined;
      } catch (error) {
        res.writeHead(401, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Unauthorized', status: 401, detail: (error as WharfError).detail }));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
      });
      const response = await handler.fetch(request, {
        ...(principal
          ? { authInfo: { token: 'redacted', clientId: principal.subject, scopes: [], extra: { principal } } }
          : {}),
      });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body)
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      res.end();
    } catch (error) {
      res.writeHead(500);
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    async close() {
      await handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function connect(url: string, authorization?: string) {
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: authorization ? { authorization } : {} },
    }),
  );
  return client;
}

type Structured = Record<string, unknown> & { payload: { data: Record<string, unknown> } };

describe('context MCP tools over HTTP with the MCP SDK client [sqlite]', () => {
  let t: ContextTestApp;
  let host: Awaited<ReturnType<typeof startMcpHost>>;
  beforeAll(async () => {
    t = await contextBackends.find((b) => b.name === 'sqlite')!.start();
    host = await startMcpHost(t);
  });
  afterAll(async () => {
    await host?.close();
    await t?.close();
  });

  it('lets an agent create, read, update, list and delete contexts, and read context://{id}', async () => {
    const { authorization } = await t.bearer('agent-1', [{ action: 'context_writer', resource: 'agents/*' }]);
    const agent = await connect(host.url, authorization);
    const tools = (await agent.listTools()).tools;
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'context_create',
      'context_delete',
      'context_get',
      'context_list',
      'context_update',
    ]);
    const create = tools.find((tool) => tool.name === 'context_create')!;
    expect(create.inputSchema.required).toEqual(['data']);
    expect(create.outputSchema?.properties).toHaveProperty('payload');

    const created = await agent.callTool({
      name: 'context_create',
      arguments: {
        namespace: 'agents/planner',
        data: { goal: 'ship', steps: [] },
        metadata: { kind: 'plan' },
        ttl_seconds: 600,
      },
    });
    expect(created.isError).toBeFalsy();
    const context = created.structuredContent as Structured;
    expect(context).toMatchObject({ namespace: 'agents/planner', version: 1, payload: { data: { goal: 'ship' } } });
    expect(JSON.parse((created.content as { text: string }[])[0]!.text)).toEqual(context);
    const id = context.context_id as string;

    const merged = await agent.callTool({
      name: 'context_update',
      arguments: { context_id: id, data: { steps: ['design'] }, merge: true, expected_version: 1 },
    });
    expect((merged.structuredContent as Structured).payload.data).toEqual({ goal: 'ship', steps: ['design'] });
    const stale = await agent.callTool({
      name: 'context_update',
      arguments: { context_id: id, data: { goal: 'other' }, expected_version: 1 },
    });
    expect(stale.isError).toBe(true);
    expect((stale.content as { text: string }[])[0]!.text).toContain('412 precondition_failed');

    // Replace (like PUT) sets data and metadata as given.
    const replaced = await agent.callTool({
      name: 'context_update',
      arguments: { context_id: id, data: { goal: 'done' }, metadata: { kind: 'plan' } },
    });
    expect((replaced.structuredContent as Structured).version).toBe(3);

    const read = await agent.callTool({ name: 'context_get', arguments: { context_id: id } });
    expect((read.structuredContent as Structured).payload.data).toEqual({ goal: 'done' });

    const resource = await agent.readResource({ uri: `context://${id}` });
    expect(resource.contents[0]).toMatchObject({ uri: `context://${id}`, mimeType: 'application/json' });
    expect(JSON.parse((resource.contents[0] as { text: string }).text).payload.data).toEqual({ goal: 'done' });
    const templates = await agent.listResourceTemplates();
    expect(templates.resourceTemplates.map((r) => r.uriTemplate)).toContain('context://{id}');

    const list = await agent.callTool({
      name: 'context_list',
      arguments: { namespace: 'agents/planner', metadata: { kind: 'plan' } },
    });
    expect((list.structuredContent as { contexts: Structured[] }).contexts.map((c) => c.context_id)).toEqual([id]);

    const deleted = await agent.callTool({ name: 'context_delete', arguments: { context_id: id } });
    expect(deleted.structuredContent).toEqual({ deleted: true, context_id: id });
    const gone = await agent.callTool({ name: 'context_get', arguments: { context_id: id } });
    expect(gone.isError).toBe(true);
    expect((gone.content as { text: string }[])[0]!.text).toContain('404 not_found');
    await agent.close();
  });

  it('applies the same access rules and input checks as the REST API', async () => {
    const { authorization } = await t.bearer('reader-1', [{ action: 'context_reader', resource: 'agents/*' }]);
    const reader = await connect(host.url, authorization);
    const denied = await reader.callTool({ name: 'context_create', arguments: { namespace: 'agents/x', data: {} } });
    expect(denied.isError).toBe(true);
    expect((denied.content as { text: string }[])[0]!.text).toContain(
      '403 forbidden: context_writer permission on namespace "agents/x" is required',
    );
    await reader.close();

    const anonymous = await connect(host.url);
    const unauthenticated = await anonymous.callTool({ name: 'context_get', arguments: { context_id: 'x' } });
    expect(unauthenticated.isError).toBe(true);
    expect((unauthenticated.content as { text: string }[])[0]!.text).toContain('Authentication required');
    await anonymous.close();

    const admin = await connect(host.url, 'Bearer test-admin-token-0123456789');
    const badTtl = await admin.callTool({ name: 'context_create', arguments: { data: {}, ttl_seconds: 10 ** 9 } });
    expect(badTtl.isError).toBe(true);
    expect((badTtl.content as { text: string }[])[0]!.text).toContain('ttl_seconds must be a whole number');
    const notObject = await admin.callTool({ name: 'context_create', arguments: { data: [1] } });
    expect(notObject.isError).toBe(true);
    await admin.close();
  });
});
