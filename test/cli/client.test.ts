import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfClient } from '../../src/sdk/index.js';
import { ADMIN_TOKEN, serverJson } from '../support/app.js';
import { runWharf, startServer } from '../support/process.js';
import type { RunningServer } from '../support/process.js';

const NAME = 'io.modelcontextprotocol.anonymous/cli-demo';

describe('the wharf client commands against a real Wharf process', () => {
  let server: RunningServer;
  let dir: string;
  let dataDir: string;
  let env: Record<string, string>;
  let client: WharfClient;
  const wharf = (args: string[], extra: Record<string, string> = {}, cwd?: string) =>
    runWharf(args, { ...env, ...extra }, 60_000, cwd);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-'));
    dataDir = path.join(dir, 'data');
    server = await startServer(['--anonymous-auth', '--data-dir', dataDir], { WHARF_ADMIN_TOKEN: ADMIN_TOKEN });
    client = new WharfClient({ baseUrl: server.baseUrl });
    // The token file wharf login writes: {registry, token, expires_at}.
    const login = await client.loginNone();
    const tokenFile = path.join(dir, 'config', 'token.json');
    fs.mkdirSync(path.dirname(tokenFile), { recursive: true });
    fs.writeFileSync(
      tokenFile,
      JSON.stringify({ registry: server.baseUrl, token: login.registry_token, expires_at: login.expires_at }),
      { mode: 0o600 },
    );
    env = { WHARF_REGISTRY: server.baseUrl, WHARF_TOKEN_FILE: tokenFile, NO_COLOR: '1' };
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('init writes a server.json from package.json that validate accepts', { timeout: 120_000 }, async () => {
    const project = path.join(dir, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: '@acme/cli-demo',
        mcpName: NAME,
        version: '1.0.0',
        description: 'A demo server for the CLI tests',
        repository: { type: 'git', url: 'git+https://github.com/acme/cli-demo.git' },
      }),
    );
    const init = await wharf(['init', '--yes'], {}, project);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('Created server.json');
    const written = JSON.parse(fs.readFileSync(path.join(project, 'server.json'), 'utf8'));
    expect(written).toMatchObject({
      $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
      name: NAME,
      description: 'A demo server for the CLI tests',
      version: '1.0.0',
      repository: { url: 'https://github.com/acme/cli-demo', source: 'github' },
      packages: [{ registryType: 'npm', identifier: '@acme/cli-demo', version: '1.0.0', transport: { type: 'stdio' } }],
    });

    const [again, valid] = await Promise.all([
      wharf(['init', '--yes'], {}, project),
      wharf(['validate', path.join(project, 'server.json')]),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(valid.code, valid.stdout).toBe(0);
    expect(valid.stdout).toContain('is valid');
  });

  it('validate exits 1 with the same issues and codes as POST /validate', { timeout: 120_000 }, async () => {
    const bad = serverJson(NAME, 'latest', { websiteUrl: 'http://example.com' });
    const badFile = path.join(dir, 'bad.json');
    fs.writeFileSync(badFile, JSON.stringify(bad));
    const shapeFile = path.join(dir, 'shape.json');
    fs.writeFileSync(shapeFile, JSON.stringify({ ...serverJson(NAME, '1.0.0'), packages: [{ identifier: 'x' }] }));
    const [human, json, shape, missing] = await Promise.all([
      wharf(['validate', badFile]),
      wharf(['validate', badFile, '--json']),
      wharf(['validate', shapeFile]),
      wharf(['validate', path.join(dir, 'nope.json')]),
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('❌ Validation failed with 2 issue(s):');
    expect(human.stdout).toContain('1. [error] version (semantic)');
    expect(human.stdout).toContain('Reference: reserved-version-string');

    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual(await client.validate(bad));

    expect(shape.code).toBe(1);
    expect(shape.stdout).toContain('[error] body.packages[0] (request)');
    expect(shape.stdout).toContain('expected required property registryType to be present');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not found');
  });

  it(
    'publish → list → search → show → status → deleted, with --json and exit codes',
    { timeout: 180_000 },
    async () => {
      const v1 = path.join(dir, 'v1.json');
      const v2 = path.join(dir, 'v2.json');
      fs.writeFileSync(v1, JSON.stringify(serverJson(NAME, '1.0.0')));
      fs.writeFileSync(v2, JSON.stringify(serverJson(NAME, '2.0.0')));

      const first = await wharf(['publish', v1]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain(`Published ${NAME} 1.0.0`);
      const second = await wharf(['publish', v2, '--json']);
      expect(second.code, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({
        server: { name: NAME, version: '2.0.0' },
        _meta: { 'io.modelcontextprotocol.registry/official': { status: 'active', isLatest: true } },
      });

      const [duplicate, list, search, show, versions, missing] = await Promise.all([
        wharf(['publish', v1]),
        wharf(['list']),
        wharf(['search', 'cli-demo', '--json']),
        wharf(['show', NAME, '--json']),
        wharf(['show', NAME, '--versions']),
        wharf(['show', 'com.example/missing']),
      ]);
      expect(duplicate.code).toBe(1);
      expect(duplicate.stderr).toContain('400 Bad Request: Failed to publish server');
      expect(duplicate.stderr).toContain('cannot publish duplicate version');
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^NAME\s+VERSION\s+STATUS\s+UPDATED\s+DESCRIPTION/);
      expect(list.stdout).toContain(NAME);
      expect(JSON.parse(search.stdout).map((s: { server: { version: string } }) => s.server.version)).toEqual([
        '2.0.0',
      ]);
      expect(JSON.parse(show.stdout).server.version).toBe('2.0.0');
      expect(versions.stdout).toMatch(/2\.0\.0\s+active\s+yes/);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('404 Not Found');

      const deprecate = await wharf(['status', '--status', 'deprecated', '--message', 'use 2.x', NAME, '1.0.0']);
      expect(deprecate.code, deprecate.stderr).toBe(0);
      expect(deprecate.stdout).toContain(`${NAME} 1.0.0 is deprecated (use 2.x)`);

      const unconfirmed = await wharf(['status', '--status', 'deleted', '--all-versions', NAME]);
      expect(unconfirmed.code).toBe(2);
      expect(unconfirmed.stderr).toContain('--yes');
      const deleted = await wharf(['status', '--status', 'deleted', '--all-versions', '--yes', '--json', NAME]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(JSON.parse(deleted.stdout).updatedCount).toBe(2);

      const [afterList, afterAll] = await Promise.all([
        wharf(['list', '--json']),
        wharf(['list', '--json', '--all-versions', '--include-deleted']),
      ]);
      expect(JSON.parse(afterList.stdout)).toEqual([]);
      expect(JSON.parse(afterAll.stdout)).toHaveLength(2);
    },
  );

  it(
    'publish refuses invalid documents offline, and maps auth and network failures to exit codes',
    { timeout: 120_000 },
    async () => {
      const invalid = path.join(dir, 'invalid.json');
      fs.writeFileSync(invalid, JSON.stringify(serverJson(NAME, 'latest')));
      const other = path.join(dir, 'other.json');
      fs.writeFileSync(other, JSON.stringify(serverJson('com.example/not-anonymous', '1.0.0')));
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise((r) => closed.close(r));

      const [offline, noToken, forbidden, flagToken, unreachable, usage] = await Promise.all([
        // Offline refusal: the registry is unreachable, yet the answer is the validation report.
        wharf(['publish', invalid, '--registry', deadUrl]),
        wharf(['publish', other], { WHARF_TOKEN_FILE: path.join(dir, 'no-such-token.json') }),
        wharf(['publish', other]),
        wharf(['publish', other, '--token', ADMIN_TOKEN, '--json']),
        wharf(['list', '--registry', deadUrl]),
        wharf(['list', '--no-such-flag']),
      ]);
      expect(offline.code).toBe(1);
      expect(offline.stdout).toContain('reserved-version-string');
      expect(noToken.code).toBe(4);
      expect(noToken.stderr).toContain('no token for');
      expect(forbidden.code).toBe(4);
      expect(forbidden.stderr).toContain('403 Forbidden: You do not have permission to publish this server');
      expect(flagToken.code, flagToken.stderr).toBe(0);
      expect(unreachable.code).toBe(5);
      expect(unreachable.stderr).toContain('ECONNREFUSED');
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain("unknown option '--no-such-flag'");
    },
  );

  it(
    'doctor checks configuration, data dir, database, migrations, registry, clock and token',
    { timeout: 120_000 },
    async () => {
      // The data dir holds the signing key; doctor wants it private (storage currently creates it 0755).
      fs.chmodSync(dataDir, 0o755);
      const loose = await wharf(['doctor', '--data-dir', dataDir]);
      expect(loose.stdout).toMatch(/! data dir\s+.*accessible to other users \(mode 755\).*chmod 700/);
      fs.chmodSync(dataDir, 0o700);
      const [healthy, broken] = await Promise.all([
        wharf(['doctor', '--data-dir', dataDir, '--json']),
        wharf(['doctor', '--data-dir', path.join(dir, 'fresh'), '--registry', 'http://127.0.0.1:1']),
      ]);
      expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);
      const report = JSON.parse(healthy.stdout);
      expect(report.ok).toBe(true);
      const byName = Object.fromEntries(report.checks.map((c: { name: string; status: string }) => [c.name, c.status]));
      expect(byName).toEqual({
        configuration: 'ok',
        'data dir': 'ok',
        database: 'ok',
        migrations: 'ok',
        registry: 'ok',
        clock: 'ok',
        token: 'ok',
      });

      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/! data dir\s+.*does not exist yet/);
      expect(broken.stdout).toMatch(/✗ registry\s+http:\/\/127\.0\.0\.1:1 unreachable/);
    },
  );
});
