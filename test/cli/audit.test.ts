import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTime } from '../../src/cli/commands/audit.js';
import { WharfClient } from '../../src/sdk/index.js';
import type { ServerJSON } from '../../src/sdk/index.js';
import { ADMIN_TOKEN, serverJson } from '../support/app.js';
import { runWharf, startCliTarget } from '../support/process.js';
import type { CliTarget } from '../support/process.js';

const NAME = 'com.audited/tool';

describe('wharf audit against a real Wharf process', () => {
  let target: CliTarget;
  const wharf = (args: string[], extra: Record<string, string> = {}) => runWharf(args, { ...target.env, ...extra });

  beforeAll(async () => {
    target = await startCliTarget('audit', { WHARF_ADMIN_TOKEN: ADMIN_TOKEN });
    const server = target.server;
    // Five successful publishes and one refused one make the log to browse.
    const admin = new WharfClient({ baseUrl: server.baseUrl, token: ADMIN_TOKEN });
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0']) {
      await admin.publish(serverJson(NAME, v) as ServerJSON);
    }
    const intruder = new WharfClient({ baseUrl: server.baseUrl, token: 'wharf_aaaaaaaaaaaa_nope' });
    await intruder.publish(serverJson(NAME, '9.9.9') as ServerJSON).catch(() => undefined);
  }, 120_000);
  afterAll(async () => target?.close());

  it(
    'pages through events with --limit and --cursor, or follows every page with --all',
    { timeout: 120_000 },
    async () => {
      const [firstJson, all, table] = await Promise.all([
        wharf(['audit', '--server', NAME, '--outcome', 'success', '--limit', '2', '--json']),
        wharf(['audit', '--server', NAME, '--outcome', 'success', '--all', '--json']),
        wharf(['audit', '--server', NAME, '--limit', '3']),
      ]);
      expect(firstJson.code, firstJson.stderr).toBe(0);
      const first = JSON.parse(firstJson.stdout);
      expect(first.events.map((e: { target: string }) => e.target)).toEqual([`${NAME}@1.4.0`, `${NAME}@1.3.0`]);
      expect(first.metadata).toEqual({ count: 2, nextCursor: expect.any(String) });
      expect(first.events[0]).toMatchObject({
        action: 'server.publish',
        outcome: 'success',
        actor: { method: 'admin-token', subject: 'admin', key_id: null },
        detail: { status: 200 },
      });

      const rest = await wharf([
        'audit',
        '--server',
        NAME,
        '--outcome',
        'success',
        '--cursor',
        first.metadata.nextCursor,
        '--json',
      ]);
      expect(JSON.parse(rest.stdout).events.map((e: { target: string }) => e.target)).toEqual(
        ['1.2.0', '1.1.0', '1.0.0'].map((v) => `${NAME}@${v}`),
      );
      expect(JSON.parse(rest.stdout).metadata.nextCursor).toBeUndefined();
      expect(JSON.parse(all.stdout).metadata.count).toBe(5);

      expect(table.code, table.stderr).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^TIME\s+ACTION\s+OUTCOME\s+ACTOR\s+TARGET\s+DETAIL$/);
      expect(lines).toHaveLength(4);
      // Newest first: the refused publish, then the last two successful ones.
      expect(lines[1]).toMatch(/server\.publish\s+denied\s+\(anonymous\)\s+com\.audited\/tool@9\.9\.9\s+401 /);
      expect(lines[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+server\.publish\s+success\s+admin-token:admin\s+/);
      expect(table.stderr).toMatch(/More events: repeat with --cursor \d+/);
    },
  );

  it('filters by outcome, action and time, and reports bad filters', { timeout: 120_000 }, async () => {
    const [denied, recent, future, badSince, reversed, badLimit, noAdmin] = await Promise.all([
      wharf(['audit', '--outcome', 'denied', '--action', 'server.publish', '--json']),
      wharf(['audit', '--since', '1h', '--action', 'server.publish', '--json']),
      wharf(['audit', '--since', '2099-01-01T00:00:00Z']),
      wharf(['audit', '--since', 'yesterday']),
      wharf(['audit', '--since', '2026-01-02T00:00:00Z', '--until', '2026-01-01T00:00:00Z']),
      wharf(['audit', '--limit', '0']),
      wharf(['audit'], { WHARF_TOKEN: 'wharf_aaaaaaaaaaaa_nope' }),
    ]);
    const deniedEvents = JSON.parse(denied.stdout).events;
    expect(deniedEvents).toHaveLength(1);
    expect(deniedEvents[0]).toMatchObject({ outcome: 'denied', actor: null, target: `${NAME}@9.9.9` });
    expect(JSON.parse(recent.stdout).metadata.count).toBe(6);
    expect(future.code).toBe(0);
    expect(future.stdout.trim()).toBe('No audit events match.');
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since must be an RFC 3339 time');
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toContain('400 Bad Request: since must be earlier than until');
    expect(badLimit.code).toBe(2);
    expect(noAdmin.code).toBe(4);
    expect(noAdmin.stderr).toContain('401 Unauthorized');
  });

  it('reads durations back from now and RFC 3339 times', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    expect(parseTime('24h', '--since', 'past', now)).toBe('2026-11-20T12:00:00.000Z');
    expect(parseTime('2w', '--since', 'past', now)).toBe('2026-11-07T12:00:00.000Z');
    expect(parseTime('90d', '--expires-in', 'future', now)).toBe('2027-02-19T12:00:00.000Z');
    expect(parseTime('2026-11-21T13:00:00+01:00', '--since', 'past', now)).toBe('2026-11-21T12:00:00.000Z');
    expect(() => parseTime('90d', '--expires-at', 'absolute', now)).toThrow('--expires-at must be an RFC 3339 time');
    expect(() => parseTime('2027-01-01T00:00:00Z', '--expires-in', 'future', now)).toThrow('a duration such as 90d');
  });
});
