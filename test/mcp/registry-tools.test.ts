import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { connect, publish, startMcpServer } from './support.js';
import type { Era, McpTestServer } from './support.js';

const OFFICIAL = 'io.modelcontextprotocol.registry/official';

describeEachDatabase('registry MCP tools', (database) => {
  let t: McpTestServer;
  beforeAll(async () => {
    t = await startMcpServer({ database });
    for (let i = 0; i < 5; i++) await publish(t, `io.github.acme/weather-${i}`, '1.0.0');
    await publish(t, 'io.github.acme/weather-0', '1.1.0');
    await publish(t, 'com.example/notes', '2.0.0', { title: 'Notes' });
  });
  afterAll(async () => t?.close());

  describe.each<Era>(['modern', 'legacy'])('over the %s era', (era) => {
    let client: Client;
    beforeAll(async () => {
      client = await connect(t.url, era);
    });
    afterAll(async () => client?.close());

    it('negotiates the era', () => {
      expect(client.getProtocolEra()).toBe(era);
      expect(client.getNegotiatedProtocolVersion()).toBe(era === 'modern' ? '2026-07-28' : '2025-11-25');
    });

    it('lists the registry tools with input and output schemas', async () => {
      // The context store's tools follow the registry's (test/contexts/mcp.test.ts covers them).
      const tools = (await client.listTools()).tools.filter((tool) => !tool.name.startsWith('context_'));
      expect(tools.map((tool) => tool.name)).toEqual(['search_servers', 'get_server', 'list_versions']);
      for (const tool of tools) {
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.outputSchema?.type).toBe('object');
        expect(tool.annotations?.readOnlyHint).toBe(true);
      }
    });

    it('searches with structured content and a text fallback', async () => {
      const result = await client.callTool({ name: 'search_servers', arguments: { query: 'WEATHER' } });
      expect(result.isError).toBeFalsy();
      const structured = result.structuredContent as { servers: { server: { name: string; version: string } }[] };
      expect(structured.servers.map((s) => s.server.name)).toEqual(
        [0, 1, 2, 3, 4].map((i) => `io.github.acme/weather-${i}`),
      );
      expect(structured.servers[0]?.server.version).toBe('1.1.0');
      const text = result.content as { type: string; text: string }[];
      expect(text[0]?.type).toBe('text');
      expect(JSON.parse(text[0]?.text ?? '')).toEqual(structured);
    });

    it('pages with nextCursor until the last page', async () => {
      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const result = await client.callTool({
          name: 'search_servers',
          arguments: { query: 'acme', limit: 2, ...(cursor && { cursor }) },
        });
        const page = result.structuredContent as { servers: { server: { name: string } }[]; nextCursor?: string };
        names.push(...page.servers.map((s) => s.server.name));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(names).toHaveLength(5);
    });

    it('gets a server, latest or by version', async () => {
      const latest = await client.callTool({ name: 'get_server', arguments: { name: 'io.github.acme/weather-0' } });
      const entry = latest.structuredContent as {
        server: { version: string };
        _meta: Record<string, { isLatest: boolean }>;
      };
      expect(entry.server.version).toBe('1.1.0');
      expect(entry._meta[OFFICIAL]?.isLatest).toBe(true);
      const older = await client.callTool({
        name: 'get_server',
        arguments: { name: 'io.github.acme/weather-0', version: '1.0.0' },
      });
      expect((older.structuredContent as { server: { version: string } }).server.version).toBe('1.0.0');
    });

    it('lists versions with resource URIs', async () => {
      const result = await client.callTool({ name: 'list_versions', arguments: { name: 'io.github.acme/weather-0' } });
      const body = result.structuredContent as {
        count: number;
        versions: { version: string; isLatest: boolean; uri: string }[];
      };
      expect(body.count).toBe(2);
      expect(body.versions.find((v) => v.isLatest)?.version).toBe('1.1.0');
      expect(body.versions.find((v) => v.version === '1.0.0')?.uri).toBe(
        'registry://servers/io.github.acme%2Fweather-0/versions/1.0.0',
      );
    });

    it('answers bad arguments and unknown names with actionable isError results', async () => {
      const unknown = await client.callTool({ name: 'get_server', arguments: { name: 'com.example/missing' } });
      expect(unknown.isError).toBe(true);
      expect(JSON.stringify(unknown.content)).toContain('not found');
      expect(JSON.stringify(unknown.content)).toContain('search_servers');

      const badVersion = await client.callTool({
        name: 'get_server',
        arguments: { name: 'io.github.acme/weather-0', version: '9.9.9' },
      });
      expect(badVersion.isError).toBe(true);
      expect(JSON.stringify(badVersion.content)).toContain('Latest: 1.1.0');

      const noVersions = await client.callTool({ name: 'list_versions', arguments: { name: 'com.example/missing' } });
      expect(noVersions.isError).toBe(true);

      const wrongType = await client.callTool({ name: 'search_servers', arguments: { limit: 'many' } });
      expect(wrongType.isError).toBe(true);
      expect(JSON.stringify(wrongType.content)).toContain('limit');

      const badCursor = await client.callTool({ name: 'search_servers', arguments: { updatedSince: 'yesterday' } });
      expect(badCursor.isError).toBe(true);
      expect(JSON.stringify(badCursor.content)).toContain('RFC 3339');

      const missingName = await client.callTool({ name: 'get_server', arguments: {} });
      expect(missingName.isError).toBe(true);
    });

    it('reads server.json through the resource templates', async () => {
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((r) => r.uriTemplate)).toEqual([
        'registry://servers/{name}',
        'registry://servers/{name}/versions/{version}',
        'context://{id}',
      ]);
      const latest = await client.readResource({ uri: 'registry://servers/io.github.acme%2Fweather-0' });
      const content = latest.contents[0] as { text: string; mimeType: string };
      expect(content.mimeType).toBe('application/json');
      expect(JSON.parse(content.text)).toMatchObject({ name: 'io.github.acme/weather-0', version: '1.1.0' });
      const pinned = await client.readResource({
        uri: 'registry://servers/io.github.acme%2Fweather-0/versions/1.0.0',
      });
      expect(JSON.parse((pinned.contents[0] as { text: string }).text).version).toBe('1.0.0');
    });

    it('answers an unknown resource with a protocol error', async () => {
      await expect(client.readResource({ uri: 'registry://servers/com.example%2Fmissing' })).rejects.toThrow(
        /not found/,
      );
    });

    it('answers an unknown tool with a protocol error', async () => {
      await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/no_such_tool/);
    });
  });
});
