import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_ACTIONS } from '../../src/cli/commands/keys.js';
import { ADMIN_TOKEN, serverJson } from '../support/app.js';
import { runWharf, startCliTarget } from '../support/process.js';
import type { CliTarget } from '../support/process.js';

const KEY = /^wharf_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/;

describe('wharf keys against a real Wharf process', () => {
  let target: CliTarget;
  const wharf = (args: string[], extra: Record<string, string> = {}) => runWharf(args, { ...target.env, ...extra });

  beforeAll(async () => {
    // No token file: every command authenticates with WHARF_TOKEN or --token.
    target = await startCliTarget('keys', { WHARF_ADMIN_TOKEN: ADMIN_TOKEN });
  }, 120_000);
  afterAll(async () => target?.close());

  it('create prints the key once; the key publishes; list, show and revoke', { timeout: 120_000 }, async () => {
    const [json, human] = await Promise.all([
      wharf([
        'keys',
        'create',
        'acme-ci',
        '--permission',
        'publish:com.acme/*',
        '--permission',
        'edit:com.acme/weather',
        '--description',
        'GitHub Actions',
        '--expires-at',
        '2099-06-30T00:00:00Z',
        '--json',
      ]),
      wharf(['keys', 'create', 'reader', '--read-only', '--expires-in', '30d']),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const created = JSON.parse(json.stdout);
    expect(created).toMatchObject({
      name: 'acme-ci',
      description: 'GitHub Actions',
      permissions: [
        { action: 'publish', resource: 'com.acme/*' },
        { action: 'edit', resource: 'com.acme/weather' },
      ],
      expires_at: '2099-06-30T00:00:00.000Z',
      created_by: 'admin-token:admin',
      revoked_at: null,
    });
    expect(created.key).toMatch(KEY);
    expect(created.key).toContain(created.id);

    expect(human.code, human.stderr).toBe(0);
    const secret = human.stdout.split('\n').find((line) => KEY.test(line));
    expect(secret).toBeDefined();
    expect(human.stdout).toContain('permissions (read-only)');
    expect(human.stdout).toContain('will not show it again');
    const expires = /expires\s+(\S+)/.exec(human.stdout)?.[1] ?? '';
    expect(Date.parse(expires) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(Date.parse(expires) - Date.now()).toBeLessThan(31 * 86_400_000);

    const file = path.join(target.dir, 'server.json');
    fs.writeFileSync(file, JSON.stringify(serverJson('com.acme/weather', '1.0.0')));
    const [published, list, listJson, self] = await Promise.all([
      wharf(['publish', file, '--token', created.key]),
      wharf(['keys', 'list']),
      wharf(['keys', 'list', '--json']),
      // A key may read its own record; the full key is accepted but only its id is sent.
      wharf(['keys', 'show', created.key, '--token', created.key]),
    ]);
    expect(published.code, published.stderr).toBe(0);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+STATE\s+EXPIRES\s+LAST USED\s+PERMISSIONS/);
    expect(list.stdout).toMatch(
      new RegExp(
        `${created.id}\\s+acme-ci\\s+active\\s+2099-06-30T00:00:00.000Z\\s+\\S+\\s+publish:com.acme/\\*, edit:`,
      ),
    );
    // Secrets are never listed.
    expect(list.stdout).not.toMatch(/wharf_[a-z0-9]{12}_/);
    expect(listJson.stdout).not.toContain(created.key);
    expect(
      JSON.parse(listJson.stdout)
        .map((k: { name: string }) => k.name)
        .sort(),
    ).toEqual(['acme-ci', 'reader']);
    expect(self.code, self.stderr).toBe(0);
    expect(self.stdout).toContain(`${created.id}  acme-ci`);
    expect(self.stdout).toMatch(/description\s+GitHub Actions/);
    expect(self.stdout).not.toContain(created.key);

    const revoked = await wharf(['keys', 'revoke', created.id, '--json']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: created.id, revoked_by: 'admin-token:admin' });
    const [again, refused, active, all, missing] = await Promise.all([
      wharf(['keys', 'revoke', created.id]),
      wharf(['publish', file, '--token', created.key]),
      wharf(['keys', 'list', '--json']),
      wharf(['keys', 'list', '--include-revoked']),
      wharf(['keys', 'show', 'nosuchkey000']),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409 Conflict');
    expect(again.stderr).toContain('already revoked');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('was revoked at');
    expect(JSON.parse(active.stdout).map((k: { name: string }) => k.name)).toEqual(['reader']);
    expect(all.stdout).toMatch(new RegExp(`${created.id}\\s+acme-ci\\s+revoked`));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('404 Not Found: API key not found');
  });

  it('refuses bad scopes and expiries before sending, and shows the API refusals', { timeout: 120_000 }, async () => {
    const results = await Promise.all([
      wharf(['keys', 'create', 'none']),
      wharf(['keys', 'create', 'both', '--read-only', '--permission', 'publish:*']),
      wharf(['keys', 'create', 'action', '--permission', 'deploy:com.acme/*']),
      wharf(['keys', 'create', 'pattern', '--permission', 'publish']),
      wharf(['keys', 'create', 'expiry', '--read-only', '--expires-at', 'tomorrow']),
      wharf(['keys', 'create', 'expiry2', '--read-only', '--expires-at', '2099-01-01T00:00:00Z', '--expires-in', '1d']),
      wharf(['keys', 'create', 'star', '--permission', 'publish:com.*.acme']),
      wharf(['keys', 'create', 'past', '--read-only', '--expires-at', '2001-01-01T00:00:00Z']),
      wharf(['keys', 'list'], { WHARF_TOKEN: '' }),
    ]);
    const [none, both, action, pattern, expiry, expiry2, star, past, noToken] = results;
    for (const r of [none, both, action, pattern, expiry, expiry2]) expect(r?.code, r?.stderr).toBe(2);
    expect(none?.stderr).toContain('give at least one --permission');
    expect(action?.stderr).toContain('the action must be one of publish, edit, admin, context_reader, context_writer');
    expect(pattern?.stderr).toContain('give a name pattern after the colon');
    expect(expiry?.stderr).toContain('--expires-at must be an RFC 3339 time');
    expect(star?.code).toBe(1);
    expect(star?.stderr).toContain('400 Bad Request: Invalid key permissions');
    expect(star?.stderr).toContain("may hold '*' only at its end");
    expect(past?.code).toBe(1);
    expect(past?.stderr).toContain('400 Bad Request');
    expect(noToken?.code).toBe(4);
    expect(noToken?.stderr).toContain('no token for');

    // A key without admin may not manage keys: the API's 403 text, exit 4.
    const publisher = JSON.parse(
      (await wharf(['keys', 'create', 'publisher', '--permission', 'publish:com.acme/*', '--json'])).stdout,
    );
    const forbidden = await wharf(['keys', 'list'], { WHARF_TOKEN: publisher.key });
    expect(forbidden.code).toBe(4);
    expect(forbidden.stderr).toContain('403 Forbidden: Only administrators');
  });

  it('offers exactly the actions the keys API accepts', async () => {
    const spec = (await (await fetch(`${target.server.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string; requestBody?: unknown }>>;
    };
    const create = Object.values(spec.paths)
      .flatMap((methods) => Object.values(methods))
      .find((op) => op.operationId === 'create-api-key');
    const text = JSON.stringify(create?.requestBody);
    const accepted = [...text.matchAll(/"const":"([a-z_]+)"|"enum":\[([^\]]+)\]/g)]
      .flatMap((m) => (m[1] ? [m[1]] : (m[2] ?? '').split(',').map((s) => s.replace(/"/g, ''))))
      .filter((a) => a !== '');
    expect(new Set(accepted)).toEqual(new Set(KEY_ACTIONS));
  });
});
