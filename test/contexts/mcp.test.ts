import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, adminHeaders } from '../support/app.js';
import { CONTEXT_TOOLS, connect } from '../mcp/support.js';
import type { Era } from '../mcp/support.js';
import { describeEachContextBackend } from './support.js';
import type { ContextTestApp } from './support.js';

/**
 * An agent drives the context store through Wharf's own `/mcp` endpoint with the MCP SDK client, in both protocol
 * eras, next to the registry tools: the same rules, limits and audit records as the REST API.
 */

type ContextJson = {
  context_id: string;
  namespace: string;
  version: number;
  expires_at: string | null;
  payload: { data: Record<string, unknown>; metadata: Record<string, unknown> };
};
type ToolResult = Awaited<ReturnType<Client['callTool']>>;

const text = (result: ToolResult): string => (result.content as { type: string; text: string }[])[0]?.text ?? '';
const context = (result: ToolResult): ContextJson => {
  expect(result.isError, text(result)).toBeFalsy();
  return result.structuredContent as ContextJson;
};

describeEachContextBackend('context tools at /mcp', (backend) => {
  let t: ContextTestApp;
  let url: string;
  const clients: Client[] = [];
  const open = async (era: Era, authorization?: string) => {
    const client = await connect(url, era, authorization === undefined ? {} : { authorization });
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    // The smallest document limit, so an oversize document stays small.
    t = await backend.start({ env: { WHARF_CONTEXT_MAX_BYTES: '1024', WHARF_CONTEXT_MAX_TTL_SECONDS: '86400' } });
    url = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
  });
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await t?.close();
  });

  describe.each<Era>(['modern', 'legacy'])('over the %s era', (era) => {
    const ns = `agents/${era}`;
    let agent: Client;
    let subject: string;
    beforeAll(async () => {
      subject = `agent-${era}`;
      const { authorization } = await t.bearer(subject, [{ action: 'context_writer', resource: 'agents/*' }]);
      agent = await open(era, authorization);
    });

    it('lists the context tools and resource template next to the registry ones', async () => {
      expect(agent.getProtocolEra()).toBe(era);
      const { tools } = await agent.listTools();
      const names = tools.map((tool) => tool.name);
      expect(names).toEqual(
        expect.arrayContaining(['search_servers', 'get_server', 'list_versions', ...CONTEXT_TOOLS]),
      );
      const create = tools.find((tool) => tool.name === 'context_create')!;
      expect(create.inputSchema.required).toEqual(['data']);
      expect(create.inputSchema.properties?.ttl_seconds).toMatchObject({ minimum: 0, maximum: 86400 });
      expect(create.outputSchema?.properties).toHaveProperty('payload');
      expect(tools.find((tool) => tool.name === 'context_get')?.annotations?.readOnlyHint).toBe(true);
      const { resourceTemplates } = await agent.listResourceTemplates();
      expect(resourceTemplates.map((r) => r.uriTemplate)).toEqual(
        expect.arrayContaining(['registry://servers/{name}', 'context://{id}']),
      );
    });

    it('creates, reads, patches with an expected version, lists, reads the resource and deletes', async () => {
      const created = context(
        await agent.callTool({
          name: 'context_create',
          arguments: {
            namespace: ns,
            context_id: `plan-${era}`,
            data: { goal: 'ship', steps: [] },
            metadata: { kind: 'plan' },
            ttl_seconds: 600,
          },
        }),
      );
      expect(created).toMatchObject({ context_id: `plan-${era}`, namespace: ns, version: 1 });
      expect(Date.parse(created.expires_at!) - t.clock.now()).toBe(600_000);
      const id = created.context_id;

      const read = await agent.callTool({ name: 'context_get', arguments: { context_id: id } });
      expect(context(read).payload).toEqual({ data: { goal: 'ship', steps: [] }, metadata: { kind: 'plan' } });
      expect(JSON.parse(text(read))).toEqual(read.structuredContent);

      const patched = context(
        await agent.callTool({
          name: 'context_update',
          arguments: { context_id: id, merge: true, data: { steps: ['design'], goal: null }, expected_version: 1 },
        }),
      );
      expect(patched.version).toBe(2);
      expect(patched.payload.data).toEqual({ steps: ['design'] });

      // A second writer still holding version 1 loses, and is told what to do.
      const stale = await agent.callTool({
        name: 'context_update',
        arguments: { context_id: id, data: { steps: [] }, expected_version: 1 },
      });
      expect(stale.isError).toBe(true);
      expect(text(stale)).toBe(
        `412 precondition_failed: Context "${id}" is at version 2 (ETag "2"), not the one in If-Match; read it again and retry`,
      );

      const replaced = context(
        await agent.callTool({
          name: 'context_update',
          arguments: { context_id: id, data: { done: true }, metadata: { kind: 'plan' }, ttl_seconds: 0 },
        }),
      );
      expect(replaced).toMatchObject({ version: 3, expires_at: null, payload: { data: { done: true } } });

      for (const n of [1, 2]) {
        context(
          await agent.callTool({
            name: 'context_create',
            arguments: { namespace: ns, context_id: `zz-${era}-${n}`, data: { n }, metadata: { kind: 'note' } },
          }),
        );
      }
      const firstPage = await agent.callTool({ name: 'context_list', arguments: { namespace: ns, limit: 2 } });
      const page = firstPage.structuredContent as { contexts: ContextJson[]; next_cursor?: string };
      expect(page.contexts.map((c) => c.context_id)).toEqual([id, `zz-${era}-1`]);
      expect(page.next_cursor).toBeTypeOf('string');
      const rest = await agent.callTool({
        name: 'context_list',
        arguments: { namespace: ns, limit: 2, cursor: page.next_cursor },
      });
      expect((rest.structuredContent as { contexts: ContextJson[] }).contexts.map((c) => c.context_id)).toEqual([
        `zz-${era}-2`,
      ]);
      const notes = await agent.callTool({
        name: 'context_list',
        arguments: { namespace: ns, metadata: { kind: 'note' } },
      });
      expect((notes.structuredContent as { contexts: ContextJson[] }).contexts).toHaveLength(2);

      const resource = await agent.readResource({ uri: `context://${id}` });
      expect(resource.contents[0]).toMatchObject({ uri: `context://${id}`, mimeType: 'application/json' });
      expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ version: 3 });

      const deleted = await agent.callTool({ name: 'context_delete', arguments: { context_id: id } });
      expect(deleted.structuredContent).toEqual({ deleted: true, context_id: id });
      const gone = await agent.callTool({ name: 'context_get', arguments: { context_id: id } });
      expect(gone.isError).toBe(true);
      expect(text(gone)).toContain(`404 not_found: Context "${id}" not found`);
      await expect(agent.readResource({ uri: `context://${id}` })).rejects.toThrow(/not found/);
      // The REST API sees the same store.
      const rest404 = await t.app.inject({ url: `/api/v1/contexts/${id}`, headers: adminHeaders });
      expect(rest404.statusCode).toBe(404);
      const other = await t.app.inject({ url: `/api/v1/contexts/zz-${era}-1`, headers: adminHeaders });
      expect(other.json()).toMatchObject({ namespace: ns, payload: { data: { n: 1 } } });
    });

    it('answers bad input with tool errors that say what to fix, and writes nothing', async () => {
      const call = (name: string, args: Record<string, unknown>) => agent.callTool({ name, arguments: args });
      const cases: [string, Record<string, unknown>, string][] = [
        ['context_create', { namespace: ns, data: [1, 2] }, 'data must be a JSON object such as {"step": 1}'],
        ['context_create', { namespace: ns, data: 'text' }, 'data must be a JSON object'],
        ['context_create', { namespace: ns, data: {}, metadata: null }, 'metadata must be a JSON object'],
        ['context_create', { namespace: ns, data: {}, ttl_seconds: -1 }, 'ttl_seconds must be a whole number'],
        ['context_create', { namespace: ns, data: {}, ttl_seconds: 86_401 }, 'from 0 (never expires) to 86400'],
        ['context_create', { namespace: ns, data: {}, ttl_seconds: 1.5 }, 'ttl_seconds must be a whole number'],
        ['context_create', { namespace: ns, data: {}, context_id: 'bad id!' }, '400 bad_request: Invalid context id'],
        ['context_create', { namespace: 'bad namespace', data: {} }, '400 bad_request: Invalid namespace'],
        [
          'context_create',
          { namespace: ns, data: { blob: 'x'.repeat(2000) } },
          '413 payload_too_large: The context document is',
        ],
        ['context_create', { namespace: ns }, 'data'],
        ['context_update', { context_id: 'nope', merge: 'yes' }, 'merge must be true or false'],
        ['context_update', { context_id: 'x', data: {}, expected_version: 0 }, 'expected_version starts at 1'],
        ['context_list', { namespace: ns, limit: 1000 }, 'limit must be a whole number from 1 to 500'],
        ['context_list', { namespace: ns, cursor: 'garbage' }, '400 bad_request: Invalid cursor'],
      ];
      for (const [tool, args, message] of cases) {
        const result = await call(tool, args);
        expect(result.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
        expect(text(result), `${tool} ${JSON.stringify(args)}`).toContain(message);
      }
      const oversize = await call('context_create', { namespace: ns, data: { blob: 'x'.repeat(2000) } });
      expect(text(oversize)).toContain('the limit is 1024 bytes (WHARF_CONTEXT_MAX_BYTES)');

      // A replace without data, and a patch that would grow past the limit, fail whole.
      context(await call('context_create', { namespace: ns, context_id: `limits-${era}`, data: { a: 1 } }));
      const noData = await call('context_update', { context_id: `limits-${era}` });
      expect(text(noData)).toContain('400 bad_request: Invalid context payload: data must be a JSON object');
      const tooBig = await call('context_update', {
        context_id: `limits-${era}`,
        merge: true,
        data: { blob: 'x'.repeat(2000) },
      });
      expect(text(tooBig)).toContain('413 payload_too_large');
      const unchanged = context(await call('context_get', { context_id: `limits-${era}` }));
      expect(unchanged).toMatchObject({ version: 1, payload: { data: { a: 1 } } });
      const listed = await call('context_list', { namespace: ns });
      expect((listed.structuredContent as { contexts: ContextJson[] }).contexts.map((c) => c.context_id)).toEqual([
        `limits-${era}`,
        `zz-${era}-1`,
        `zz-${era}-2`,
      ]);
    });

    it('applies the context roles of the caller, and tells anonymous callers to authenticate', async () => {
      const { authorization } = await t.bearer(`reader-${era}`, [{ action: 'context_reader', resource: ns }]);
      const reader = await open(era, authorization);
      expect(
        context(await reader.callTool({ name: 'context_get', arguments: { context_id: `zz-${era}-1` } })),
      ).toBeTruthy();
      const denied = await reader.callTool({ name: 'context_create', arguments: { namespace: ns, data: {} } });
      expect(denied.isError).toBe(true);
      expect(text(denied)).toContain(`403 forbidden: context_writer permission on namespace "${ns}" is required`);
      const elsewhere = await reader.callTool({ name: 'context_list', arguments: { namespace: 'team-b' } });
      expect(text(elsewhere)).toContain('403 forbidden: context_reader permission on namespace "team-b"');

      const anonymous = await open(era);
      const names = (await anonymous.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(CONTEXT_TOOLS));
      for (const [name, args] of [
        ['context_get', { context_id: `zz-${era}-1` }],
        ['context_create', { data: {} }],
        ['context_list', {}],
      ] as const) {
        const refused = await anonymous.callTool({ name, arguments: args });
        expect(refused.isError).toBe(true);
        expect(text(refused)).toMatch(
          /^401 unauthorized: Authentication required: the context tools need a bearer token/,
        );
      }
      await expect(anonymous.readResource({ uri: `context://zz-${era}-1` })).rejects.toThrow(/Authentication required/);
      // The registry tools still answer anonymous callers on the same connection.
      const search = await anonymous.callTool({ name: 'search_servers', arguments: {} });
      expect(search.isError).toBeFalsy();

      const admin = await open(era, `Bearer ${ADMIN_TOKEN}`);
      expect(
        context(await admin.callTool({ name: 'context_get', arguments: { context_id: `zz-${era}-1` } })).namespace,
      ).toBe(ns);
    });

    it('records MCP writes in the audit log, refusals included, without the document', async () => {
      const { authorization } = await t.bearer(`auditor-${era}`, [{ action: 'context_writer', resource: ns }]);
      const writer = await open(era, authorization);
      const id = `audited-${era}`;
      context(
        await writer.callTool({
          name: 'context_create',
          arguments: { namespace: ns, context_id: id, data: { secret: 'do-not-log' } },
        }),
      );
      context(await writer.callTool({ name: 'context_update', arguments: { context_id: id, data: { b: 1 } } }));
      context(
        await writer.callTool({ name: 'context_update', arguments: { context_id: id, merge: true, data: { c: 2 } } }),
      );
      const conflict = await writer.callTool({
        name: 'context_delete',
        arguments: { context_id: id, expected_version: 1 },
      });
      expect(conflict.isError).toBe(true);
      await writer.callTool({ name: 'context_delete', arguments: { context_id: id } });
      const anonymous = await open(era);
      await anonymous.callTool({ name: 'context_delete', arguments: { context_id: id } });

      const response = await t.app.inject({
        url: `/api/v1/audit?target=${encodeURIComponent(`context:${id}`)}`,
        headers: adminHeaders,
      });
      expect(response.statusCode).toBe(200);
      const events = (response.json() as { events: Record<string, unknown>[] }).events.reverse();
      expect(JSON.stringify(events)).not.toContain('do-not-log');
      const actor = { method: 'test', subject: `auditor-${era}` };
      expect(events.map((e) => [e.action, e.outcome])).toEqual([
        ['context.create', 'success'],
        ['context.replace', 'success'],
        ['context.patch', 'success'],
        ['context.delete', 'failure'],
        ['context.delete', 'success'],
        ['context.delete', 'denied'],
      ]);
      expect(events[0]).toMatchObject({
        actor,
        target: `context:${id}`,
        source_ip: '127.0.0.1',
        detail: { via: 'mcp', tool: 'context_create', status: 201, namespace: ns, version: 1 },
      });
      expect(events[2]).toMatchObject({ detail: { tool: 'context_update', status: 200, version: 3 } });
      expect(events[3]).toMatchObject({
        actor,
        detail: { via: 'mcp', status: 412, reason: expect.stringContaining('is at version 3') },
      });
      expect(events[4]).toMatchObject({ detail: { status: 204, namespace: ns, version: 3 } });
      expect(events[5]).toMatchObject({
        actor: null,
        detail: { status: 401, reason: expect.stringContaining('Authentication required') },
      });
    });
  });
});
