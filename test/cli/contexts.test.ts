import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { runWharf } from '../support/process.js';

type ContextJson = {
  context_id: string;
  namespace: string;
  version: number;
  expires_at: string | null;
  payload: { data: Record<string, unknown>; metadata: Record<string, unknown> };
};

/** The real `wharf contexts` commands against a Wharf listening on loopback. */
describe('wharf contexts', () => {
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;
  const wharf = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    runWharf(['contexts', ...args], { ...env, ...options.env }, 120_000, undefined, options.input);
  const json = <T = ContextJson>(result: { code: number | null; stdout: string; stderr: string }): T => {
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const registry = await t.app.listen({ host: '127.0.0.1', port: 0 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-contexts-cli-'));
    // No token file of the person running the tests may leak in: WHARF_TOKEN or --token only.
    env = {
      WHARF_REGISTRY: registry,
      WHARF_TOKEN: ADMIN_TOKEN,
      WHARF_TOKEN_FILE: path.join(dir, 'none.json'),
      NO_COLOR: '1',
    };
    fs.writeFileSync(
      path.join(dir, 'chat.json'),
      JSON.stringify({ data: { turns: ['hi'] }, metadata: { kind: 'chat', owner: 'ada' } }),
    );
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'creates from a file or stdin, reads, patches and replaces with preconditions, and deletes',
    { timeout: 300_000 },
    async () => {
      const [created, piped] = await Promise.all([
        wharf(['create', path.join(dir, 'chat.json'), '--id', 'chat-1', '--namespace', 'team-a', '--ttl', '600']),
        wharf(['create', '--namespace', 'team-a', '--ttl', '0', '--json'], {
          input: JSON.stringify({ data: { step: 1 }, metadata: { kind: 'flow' } }),
        }),
      ]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(
        /^✓ Created context chat-1 in namespace team-a: version 1 \(ETag "1"\), expires \d{4}-\d\d-\d\dT/,
      );
      const flow = json(piped);
      expect(flow).toMatchObject({ namespace: 'team-a', version: 1, expires_at: null, payload: { data: { step: 1 } } });

      const shown = await wharf(['get', 'chat-1']);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain('chat-1\nnamespace   team-a\nversion     1 (ETag "1")');
      expect(shown.stdout).toContain('data\n  {\n    "turns": [\n      "hi"\n    ]\n  }');

      const patched = json(
        await wharf(['patch', 'chat-1', '--expected-version', '1', '--json'], {
          input: JSON.stringify({ data: { turns: ['hi', 'hello'] }, metadata: { owner: null } }),
        }),
      );
      expect(patched).toMatchObject({
        version: 2,
        payload: { data: { turns: ['hi', 'hello'] }, metadata: { kind: 'chat' } },
      });

      // A writer still holding version 1 is refused, with the current version in the message.
      const stale = await wharf(['patch', 'chat-1', '-', '--if-match', '"1"'], { input: '{"data": {"x": 1}}' });
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('wharf: 412 Precondition Failed: Context "chat-1" is at version 2 (ETag "2")');

      fs.writeFileSync(path.join(dir, 'replacement.json'), JSON.stringify({ data: { turns: [] } }));
      const replaced = await wharf([
        'put',
        'chat-1',
        path.join(dir, 'replacement.json'),
        '--if-match',
        '2',
        '--ttl',
        '0',
      ]);
      expect(replaced.code, replaced.stderr).toBe(0);
      expect(replaced.stdout).toBe(
        '✓ Replaced context chat-1 in namespace team-a: version 3 (ETag "3"), never expires\n',
      );
      expect(json(await wharf(['get', 'chat-1', '--json']))).toMatchObject({
        version: 3,
        expires_at: null,
        payload: { data: { turns: [] }, metadata: {} },
      });

      const wrongVersion = await wharf(['delete', 'chat-1', '--expected-version', '2']);
      expect(wrongVersion.code).toBe(1);
      expect(wrongVersion.stderr).toContain('412 Precondition Failed');
      const deleted = await wharf(['delete', 'chat-1', '--expected-version', '3', '--json']);
      expect(json<Record<string, unknown>>(deleted)).toEqual({ deleted: true, context_id: 'chat-1' });
      const gone = await wharf(['get', 'chat-1']);
      expect(gone.code).toBe(3);
      expect(gone.stderr).toContain('404 Not Found: Context "chat-1" not found');

      // The writes were audited as the admin token's.
      const audit = await t.app.inject({
        url: '/api/v1/audit?target=context%3Achat-1',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect((audit.json() as { events: { action: string }[] }).events.map((e) => e.action).reverse()).toEqual([
        'context.create',
        'context.patch',
        'context.patch',
        'context.replace',
        'context.delete',
        'context.delete',
      ]);
    },
  );

  it('lists a namespace page by page, filtered by metadata', { timeout: 300_000 }, async () => {
    for (let i = 1; i <= 3; i++) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/contexts',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { context_id: `l-${i}`, namespace: 'listing', data: { i }, metadata: { kind: i === 2 ? 'b' : 'a' } },
      });
      expect(response.statusCode).toBe(201);
    }
    const [all, filtered, limited, empty] = await Promise.all([
      wharf(['list', '--namespace', 'listing', '--json']),
      wharf(['list', '--namespace', 'listing', '--metadata', 'kind=a']),
      wharf(['list', '--namespace', 'listing', '--limit', '2', '--json']),
      wharf(['list', '--namespace', 'nothing-here']),
    ]);
    expect(json<ContextJson[]>(all).map((c) => c.context_id)).toEqual(['l-1', 'l-2', 'l-3']);
    expect(filtered.code, filtered.stderr).toBe(0);
    const lines = filtered.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAMESPACE\s+VERSION\s+UPDATED\s+EXPIRES$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['l-1', 'listing', '1'],
      ['l-3', 'listing', '1'],
    ]);
    expect(json<ContextJson[]>(limited).map((c) => c.context_id)).toEqual(['l-1', 'l-2']);
    expect(empty.stdout).toBe('No contexts found.\n');
  });

  it(
    'says what is wrong with bad input, flags and credentials, with the documented exit codes',
    { timeout: 300_000 },
    async () => {
      fs.writeFileSync(path.join(dir, 'broken.json'), '{"data": ');
      fs.writeFileSync(path.join(dir, 'bare.json'), '{"turns": []}');
      const { registry_token } = await t.wharf.tokens.issue({
        authMethod: 'test',
        authMethodSub: 'reader',
        permissions: [{ action: 'context_reader', resource: '*' }],
      });
      const cases: [string[], { input?: string; env?: Record<string, string> }, number, string][] = [
        [['create', path.join(dir, 'broken.json')], {}, 1, 'broken.json is not valid JSON'],
        [['create', path.join(dir, 'bare.json')], {}, 1, 'has "turns": a context document is {"data": {...}'],
        [['create'], {}, 1, 'stdin is empty'],
        [['create', '--ttl', '-5'], { input: '{"data": {}}' }, 2, '--ttl must be a whole number (0 or more), got "-5"'],
        [
          ['create', '--ttl', '99999999'],
          { input: '{"data": {}}' },
          1,
          '400 Bad Request: ttl_seconds must be a whole number',
        ],
        [['create'], { input: '{"data": [1]}' }, 1, 'data must be a JSON object, got an array'],
        [['create', '--id', 'bad id'], { input: '{"data": {}}' }, 1, 'Invalid context id'],
        [['patch', 'x', '--if-match', '"1"', '--expected-version', '1'], { input: '{}' }, 2, 'not both'],
        [['list', '--metadata', 'kind'], {}, 2, '--metadata takes KEY=VALUE'],
        [['get', 'anything'], { env: { WHARF_TOKEN: '' } }, 4, 'no token for'],
        [
          ['create'],
          { input: '{"data": {}}', env: { WHARF_TOKEN: registry_token } },
          4,
          '403 Forbidden: context_writer permission',
        ],
      ];
      // A few at a time: each CLI process costs a second or two of CPU on its own.
      const results: Awaited<ReturnType<typeof wharf>>[] = [];
      for (let i = 0; i < cases.length; i += 3) {
        results.push(...(await Promise.all(cases.slice(i, i + 3).map(([args, options]) => wharf(args, options)))));
      }
      cases.forEach(([args, , code, message], i) => {
        const result = results[i]!;
        expect(result.code, `wharf contexts ${args.join(' ')}: ${result.stderr}`).toBe(code);
        expect(result.stderr, `wharf contexts ${args.join(' ')}`).toContain(message);
        expect(result.stdout).toBe('');
      });
      // Nothing of the refused writes was stored.
      const listed = await t.app.inject({
        url: '/api/v1/contexts',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect((listed.json() as { contexts: unknown[] }).contexts).toEqual([]);
    },
  );
});
