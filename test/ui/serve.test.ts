import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiDirectory } from '../../src/ui/routes.js';
import { createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const built = fs.existsSync(path.join(uiDirectory(), 'index.html'));

describe.skipIf(!built)(`web UI serving${built ? '' : ' (SKIPPED: run `npm run build` first)'}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves the app shell on its routes with a strict content security policy', async () => {
    for (const url of ['/', '/servers/io.github.a%2Fb', '/dashboard', '/admin', '/admin/keys']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('<div id="app">');
    }
  });

  it('serves hashed assets precompressed and cacheable forever', async () => {
    const shell = (await t.app.inject({ url: '/' })).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(shell)?.[1];
    expect(script).toBeDefined();
    const res = await t.app.inject({ url: script!, headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it('keeps administration out of the first load: the shell loads the entry and its static imports only', async () => {
    const shell = (await t.app.inject({ url: '/' })).body;
    const firstLoad = [...shell.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!);
    expect(firstLoad.length).toBeGreaterThan(0);
    expect(firstLoad.some((f) => f.startsWith('admin'))).toBe(false);
    const assets = path.join(uiDirectory(), 'assets');
    expect(fs.readdirSync(assets).some((f) => /^admin-.+\.js$/.test(f))).toBe(true);
    const compressed = firstLoad.reduce((sum, f) => sum + fs.statSync(path.join(assets, `${f}.gz`)).size, 0);
    expect(compressed).toBeLessThan(200 * 1024);
  });

  it('keeps all the JavaScript, lazy chunks included, under 200 KiB compressed', () => {
    const assets = path.join(uiDirectory(), 'assets');
    const total = fs
      .readdirSync(assets)
      .filter((f) => f.endsWith('.js.gz'))
      .reduce((sum, f) => sum + fs.statSync(path.join(assets, f)).size, 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(200 * 1024);
  });

  it('leaves API paths alone: unknown API routes keep their problem+json 404', async () => {
    const res = await t.app.inject({ url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/json/);
  });
});
