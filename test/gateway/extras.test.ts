/**
 * Logging, completion and resource subscriptions through the gateway (docs/gateway.md#logging-completion-and-resource-subscriptions):
 * SDK v2 clients of both eras against a modern (`toy`) and a legacy-only (`old`) SDK v2 upstream.
 */
import type { Client } from '@modelcontextprotocol/client';
import type { LoggingMessageNotification } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminHeaders } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { connect } from '../mcp/support.js';
import type { Era } from '../mcp/support.js';
import { COLOURS, WATCHED, startLegacyExtras, startModernExtras } from './extras-support.js';
import { startGatewayWith } from './support.js';
import type { ExtrasUpstream } from './extras-support.js';

type Log = LoggingMessageNotification['params'];

describe('gateway logging and completion', () => {
  let t: TestApp;
  let url: string;
  let toy: ExtrasUpstream;
  let old: ExtrasUpstream;

  beforeAll(async () => {
    [toy, old] = await Promise.all([startModernExtras(), startLegacyExtras()]);
    ({ t, url } = await startGatewayWith({ toy: `${toy.url}/mcp`, old: `${old.url}/mcp` }, { legacy: ['old'] }));
  });
  afterAll(async () => {
    // Several 2025-era clients open at once leave a connection the HTTP close would wait on until its keep-alive
    // timeout (about 70 s; a gateway issue of its own, not of these features): cut them first.
    t?.app.server.closeAllConnections();
    await t?.close();
    await Promise.all([toy?.close(), old?.close()]);
  });

  /** A client that records the log messages it receives. */
  async function logged(era: Era): Promise<{ client: Client; logs: Log[] }> {
    const client = await connect(url, era, adminHeaders);
    const logs: Log[] = [];
    client.setNotificationHandler('notifications/message', (notification) => {
      logs.push(notification.params);
    });
    return { client, logs };
  }

  /** Calls `tool` asking for logs at `level` (modern: per request; legacy: the session's level). */
  async function call(client: Client, era: Era, tool: string, level?: string): Promise<void> {
    const result = await client.callTool({
      name: tool,
      arguments: {},
      ...(era === 'modern' && level !== undefined && { _meta: { 'io.modelcontextprotocol/logLevel': level } }),
    });
    expect(result.content).toEqual([{ type: 'text', text: 'worked' }]);
  }

  describe.each<Era>(['modern', 'legacy'])('with a %s client', (era) => {
    it('declares logging, and completions since an upstream offers them', async () => {
      const client = await connect(url, era, adminHeaders);
      expect(client.getServerCapabilities()).toMatchObject({ logging: {}, completions: {} });
      await client.close();
    });

    it.each(['toy', 'old'])(
      'relays the %s upstream’s log messages at the client’s level, to that client only',
      async (alias) => {
        const warning = await logged(era);
        const everything = await logged(era);
        const silent = await logged(era);
        if (era === 'legacy') {
          await warning.client.setLoggingLevel('warning');
          await everything.client.setLoggingLevel('debug');
        }
        await Promise.all([
          call(warning.client, era, `${alias}__work`, 'warning'),
          call(everything.client, era, `${alias}__work`, 'debug'),
          call(silent.client, era, `${alias}__work`),
        ]);
        expect(warning.logs).toEqual([
          { level: 'warning', logger: 'toy', data: 'warning message' },
          { level: 'error', logger: 'toy', data: 'error message' },
        ]);
        expect(everything.logs.map((log) => log.level)).toEqual(['debug', 'info', 'warning', 'error']);
        // No level asked (a modern request without logLevel, a legacy session that never set one): no logs at all.
        expect(silent.logs).toEqual([]);
        await Promise.all([warning.client.close(), everything.client.close(), silent.client.close()]);
      },
    );

    it.each(['toy', 'old'])('routes prompt argument completion to the %s upstream', async (alias) => {
      const client = await connect(url, era, adminHeaders);
      const result = await client.complete({
        ref: { type: 'ref/prompt', name: `${alias}__paint` },
        argument: { name: 'colour', value: 'b' },
      });
      expect(result.completion.values).toEqual(COLOURS.filter((colour) => colour.startsWith('b')));
      await client.close();
    });

    it.each(['toy', 'old'])(
      'routes resource template completion to the %s upstream, at most 100 values',
      async (alias) => {
        const client = await connect(url, era, adminHeaders);
        const narrow = await client.complete({
          ref: { type: 'ref/resource', uri: `${alias}+toy://numbers/{n}` },
          argument: { name: 'n', value: '14' },
        });
        expect(narrow.completion.values).toEqual([
          '14',
          '140',
          '141',
          '142',
          '143',
          '144',
          '145',
          '146',
          '147',
          '148',
          '149',
        ]);
        const wide = await client.complete({
          ref: { type: 'ref/resource', uri: `${alias}+toy://numbers/{n}` },
          argument: { name: 'n', value: '' },
        });
        expect(wide.completion.values).toHaveLength(100);
        expect(wide.completion.hasMore).toBe(true);
        await client.close();
      },
    );

    it.each(['toy', 'old'])(
      'relays updates of a subscribed %s resource to its subscriber only, until it unsubscribes',
      async (alias) => {
        const upstream = alias === 'toy' ? toy : old;
        const uri = `${alias}+${WATCHED}`;
        const watcher = await connect(url, era, adminHeaders);
        const bystander = await connect(url, era, adminHeaders);
        expect(watcher.getServerCapabilities()?.resources).toMatchObject({ subscribe: true });
        const updates: string[] = [];
        const overheard: string[] = [];
        watcher.setNotificationHandler('notifications/resources/updated', (n) => void updates.push(n.params.uri));
        bystander.setNotificationHandler('notifications/resources/updated', (n) => void overheard.push(n.params.uri));
        let stop: () => Promise<void>;
        if (era === 'modern') {
          const subscription = await watcher.listen({ resourceSubscriptions: [uri] });
          expect(subscription.honoredFilter.resourceSubscriptions).toEqual([uri]);
          stop = () => subscription.close();
        } else {
          await watcher.subscribeResource({ uri });
          stop = async () => void (await watcher.unsubscribeResource({ uri }));
        }
        // A legacy client hears of updates on its GET stream, which it opens on its own after initialize.
        await vi.waitFor(
          async () => {
            await upstream.update(WATCHED);
            expect(updates).toContain(uri);
          },
          { timeout: 5000, interval: 100 },
        );
        await stop();
        // Released: the gateway unsubscribes upstream (the legacy upstream shows it) and relays nothing more.
        if (alias === 'old') await vi.waitFor(() => expect(old.subscriptions()).toEqual([]), { timeout: 5000 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const before = updates.length;
        await upstream.update(WATCHED);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(updates).toHaveLength(before);
        expect(overheard).toEqual([]);
        await watcher.close();
        await bystander.close();
      },
    );

    it('refuses completion for a prompt nobody serves', async () => {
      const client = await connect(url, era, adminHeaders);
      await expect(
        client.complete({ ref: { type: 'ref/prompt', name: 'nobody__paint' }, argument: { name: 'x', value: '' } }),
      ).rejects.toThrow(/not served here/);
      await client.close();
    });
  });
});
