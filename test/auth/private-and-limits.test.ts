import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MISSING_CREDENTIALS } from '../../src/auth/http.js';
import { ADMIN_TOKEN, adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { bearer, createKey } from './support.js';

describe('private registry mode (WHARF_REGISTRY_READ=authenticated)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { WHARF_REGISTRY_READ: 'authenticated' } });
    await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: adminHeaders,
      payload: serverJson('com.acme/private'),
    });
  });
  afterAll(async () => t?.close());

  const reads = [
    '/v0/servers',
    '/v0.1/servers?search=private',
    `/v0.1/servers/${encodeURIComponent('com.acme/private')}/versions`,
    `/v0/servers/${encodeURIComponent('com.acme/private')}/versions/latest`,
    '/api/v1/keys',
  ];

  it('refuses every registry read without a valid credential', async () => {
    for (const url of reads) {
      const none = await t.app.inject({ url });
      expect(none.statusCode, url).toBe(401);
      expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(none.json().detail).toBe(`This registry is private. ${MISSING_CREDENTIALS}`);
      const bad = await t.app.inject({ url, headers: bearer('abc.def.ghi') });
      expect(bad.statusCode, url).toBe(401);
      expect(bad.json().detail).toBe('Invalid or expired Registry JWT token');
    }
  });

  it('answers reads for any valid token or key, whatever its permissions', async () => {
    const anon = (await t.app.inject({ method: 'POST', url: '/v0/auth/none' })).json().registry_token;
    // A key without permissions: read-only.
    const { key } = await createKey(t, { permissions: [] });
    const write = await t.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: bearer(key),
      payload: serverJson('com.acme/sneaky'),
    });
    expect(write.statusCode).toBe(403);
    expect(write.json().detail).toBe(
      'You do not have permission to publish this server. You do not have any publish permissions. Attempting to publish: com.acme/sneaky',
    );
    for (const headers of [bearer(anon), bearer(key), adminHeaders]) {
      const res = await t.app.inject({ url: '/v0.1/servers?search=private', headers });
      expect(res.statusCode).toBe(200);
      expect(res.json().servers[0].server.name).toBe('com.acme/private');
    }
  });

  it('keeps health, readiness, version, docs and login open', async () => {
    for (const url of ['/health', '/ready', '/v0/health', '/v0.1/version', '/v0/ping', '/openapi.json']) {
      expect((await t.app.inject({ url })).statusCode, url).toBe(200);
    }
    expect((await t.app.inject({ method: 'POST', url: '/v0.1/auth/none' })).statusCode).toBe(200);
  });
});

describe('rate limits (in memory)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { WHARF_RATE_LIMIT_AUTH: '3', WHARF_RATE_LIMIT_PUBLISH: '2' } });
  });
  afterAll(async () => t?.close());

  it('limits token exchanges per source IP across methods and prefixes, with Retry-After', async () => {
    const statuses: number[] = [];
    for (const url of ['/v0/auth/none', '/v0.1/auth/none', '/v0/auth/key']) {
      statuses.push((await t.app.inject({ method: 'POST', url, payload: { key: 'wharf_x' } })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 401]);
    const limited = await t.app.inject({ method: 'POST', url: '/v0/auth/none' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json()).toMatchObject({
      title: 'Too Many Requests',
      status: 429,
      detail: expect.stringMatching(
        /^Too many authentication requests from this address \(limit 3 per minute\); retry in \d+ s$/,
      ),
    });
    // Another address has its own budget.
    const elsewhere = await t.app.inject({ method: 'POST', url: '/v0/auth/none', remoteAddress: '192.0.2.7' });
    expect(elsewhere.statusCode).toBe(200);
    const audit = (await t.wharf.audit.query({ limit: 1, action: 'auth.login' })).events[0];
    expect(audit?.outcome).toBe('success');
    const denied = (await t.wharf.audit.query({ limit: 1, outcome: 'denied' })).events[0];
    expect(denied).toMatchObject({ action: 'auth.login', detail: { status: 429 } });
  });

  it('limits publishes per identity, not administrators', async () => {
    const { key } = await createKey(t, { permissions: [{ action: 'publish', resource: 'com.acme/*' }] });
    const { key: other } = await createKey(t, { permissions: [{ action: 'publish', resource: 'com.acme/*' }] });
    const publish = (name: string, headers: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: '/v0/publish', headers, payload: serverJson(name) });
    expect((await publish('com.acme/first', bearer(key))).statusCode).toBe(200);
    expect((await publish('com.acme/second', bearer(key))).statusCode).toBe(200);
    const limited = await publish('com.acme/third', bearer(key));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json().detail).toMatch(
      /^Too many publishes by this identity \(limit 2 per minute\); retry in \d+ s$/,
    );
    expect(
      (await t.app.inject({ url: `/v0/servers/${encodeURIComponent('com.acme/third')}/versions` })).statusCode,
    ).toBe(404);
    expect((await publish('com.acme/fourth', bearer(other))).statusCode).toBe(200);
    for (const name of ['com.acme/fifth', 'com.acme/sixth', 'com.acme/seventh']) {
      expect((await publish(name, { authorization: `Bearer ${ADMIN_TOKEN}` })).statusCode).toBe(200);
    }
  });
});

const redisServer = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe.skipIf(!redisServer)(
  `rate limits shared through Redis${redisServer ? '' : ' (skipped: redis-server not installed)'}`,
  () => {
    let redis: ChildProcess;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      const port = await freePort();
      redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      const env = { WHARF_REDIS_URL: `redis://127.0.0.1:${port}`, WHARF_RATE_LIMIT_AUTH: '2' };
      for (let i = 0; ; i++) {
        try {
          a = await createTestApp({ env });
          break;
        } catch (error) {
          if (i > 50) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      b = await createTestApp({ env });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      redis?.kill('SIGTERM');
    });

    it('counts one budget across replicas', async () => {
      const login = (t: TestApp) => t.app.inject({ method: 'POST', url: '/v0/auth/none' });
      expect((await login(a)).statusCode).toBe(200);
      expect((await login(b)).statusCode).toBe(200);
      expect((await login(a)).statusCode).toBe(429);
      expect((await login(b)).statusCode).toBe(429);
    });
  },
);
