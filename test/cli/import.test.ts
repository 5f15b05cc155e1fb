import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { runWharf } from '../support/process.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-import-'));

describe('wharf import', () => {
  it('imports a file, reports skipped items with reasons, and is idempotent', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'servers.json');
    const items = [
      serverJson('com.example/one', '1.0.0'),
      serverJson('com.example/one', '1.1.0'),
      { server: serverJson('com.example/two', '0.1.0'), _meta: { 'io.modelcontextprotocol.registry/official': {} } },
      { name: 'com.example/no-schema', description: 'x', version: '1.0.0' },
      serverJson('bad name', '1.0.0'),
    ];
    fs.writeFileSync(file, JSON.stringify(items));
    const dataDir = path.join(dir, 'data');

    const first = await runWharf(['import', file, '--data-dir', dataDir, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.imported).toBe(3);
    expect(summary.skipped.map((s: { index: number; reason: string }) => s.index)).toEqual([3, 4]);
    expect(summary.skipped[0].reason).toContain('$schema');

    const again = await runWharf(['import', file, '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Imported 0, skipped 5.');
    expect(again.stdout).toContain('3 × already exists');

    const fill = await runWharf(['import', file, '--data-dir', dataDir, '--assume-current-schema', '--json']);
    expect(JSON.parse(fill.stdout).imported).toBe(1);
  });

  it('fails clearly on a file that is not a list of servers', async () => {
    const file = path.join(tempDir(), 'bad.json');
    fs.writeFileSync(file, '{"hello": "world"}');
    const result = await runWharf(['import', file, '--data-dir', tempDir()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Expected a JSON array of server.json documents');
  });

  describe('from another registry', () => {
    let upstream: TestApp;
    let baseUrl: string;
    beforeAll(async () => {
      upstream = await createTestApp();
      for (let i = 0; i < 7; i += 1) {
        const res = await upstream.app.inject({
          method: 'POST',
          url: '/v0/publish',
          headers: adminHeaders,
          payload: serverJson(`com.example/mirror-${i}`, `1.0.${i}+build`),
        });
        expect(res.statusCode).toBe(200);
      }
      baseUrl = await upstream.app.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => upstream?.close());

    it('follows nextCursor through every page (encoding versions with +)', async () => {
      const result = await runWharf(['import', `${baseUrl}/v0.1/servers?limit=3`, '--data-dir', tempDir(), '--json'], {
        WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
      });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ imported: 7, skipped: [] });
    });

    it('refuses a private address unless WHARF_ALLOW_PRIVATE_NETWORKS=true', async () => {
      const result = await runWharf(['import', `${baseUrl}/v0.1/servers`, '--data-dir', tempDir()]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('WHARF_ALLOW_PRIVATE_NETWORKS');
    });
  });
});
