import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ManualTime } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { createWharf } from '../../src/wharf.js';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase, sqliteDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';

const TTL = 30;
const DEREGISTER_AFTER = 300;
const noTimers = { reapMs: 0, probeTickMs: 0, flushMs: 0, targetRefreshMs: 0, healthPollMs: 0 };
const env = {
  WHARF_INSTANCE_TTL_SECONDS: String(TTL),
  WHARF_DEREGISTER_AFTER_SECONDS: String(DEREGISTER_AFTER),
  WHARF_MASS_EXPIRY_THRESHOLD: '0.5',
  WHARF_PROBES: 'false',
};

const redisUrl = (): string => inject('redisUrl');

/** Where leases live: in process memory, or in Redis (WHARF_REDIS_URL), with a key prefix of the test's own. */
interface LeaseBackend {
  env: Record<string, string>;
  redisKeyPrefix?: string;
}
const inMemory: LeaseBackend = { env: {} };
const inRedis = (): LeaseBackend => ({
  env: { WHARF_REDIS_URL: redisUrl() },
  redisKeyPrefix: `wharf-test:${randomUUID()}:`,
});

describeEachDatabase('instance registration and leases', (database) => leaseSuite(database, () => inMemory));
describe.skipIf(!redisUrl())(
  `instance registration and leases [sqlite, leases in Redis]${redisUrl() ? '' : ' (skipped: redis-server not installed)'}`,
  () => leaseSuite(sqliteDatabase, inRedis),
);

function leaseSuite(database: TestDatabase, backend: () => LeaseBackend) {
  let t: TestApp;
  const time = new ManualTime();
  beforeAll(async () => {
    const leases = backend();
    t = await createTestApp({
      database,
      env: { ...env, ...leases.env },
      overrides: { time, livenessTiming: noTimers, redisKeyPrefix: leases.redisKeyPrefix },
    });
    for (const name of ['com.example/leases', 'com.example/other', 'com.example/mass']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v0/publish',
        payload: serverJson(name),
        headers: adminHeaders,
      });
      expect(res.statusCode).toBe(200);
    }
  });
  afterAll(async () => t?.close());

  const register = (body: object, headers: Record<string, string> = adminHeaders, url = '/api/v1/instances') =>
    t.app.inject({ method: 'POST', url, payload: body, headers });
  const heartbeat = (id: string, token: string, payload?: object) =>
    t.app.inject({
      method: 'PUT',
      url: `/api/v1/instances/${id}/heartbeat`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });
  const getInstance = (id: string) => t.app.inject({ url: `/api/v1/instances/${id}` });
  const reap = () => t.wharf.liveness.reap();
  // Leases left by earlier tests would lapse together with a test's own and count towards mass expiry.
  const clearInstances = async () => {
    const all = (await t.app.inject({ url: '/api/v1/instances?limit=500' })).json().instances as { id: string }[];
    for (const i of all)
      await t.app.inject({ method: 'DELETE', url: `/api/v1/instances/${i.id}`, headers: adminHeaders });
  };

  it('registers with publish permission and answers the token, TTL and heartbeat interval', async () => {
    const res = await register({
      server: 'com.example/leases',
      url: 'http://10.0.0.1:9000/mcp',
      metadata: { region: 'eu-west', version: '1.0.0', tags: ['blue'] },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^whi_/),
      ttlSeconds: TTL,
      heartbeatIntervalSeconds: 10,
    });
    const got = (await getInstance(body.id)).json();
    expect(got).toMatchObject({
      server: 'com.example/leases',
      url: 'http://10.0.0.1:9000/mcp',
      transport: 'streamable-http',
      state: 'passing',
      metadata: { region: 'eu-west', tags: ['blue'] },
    });
    expect(got.token).toBeUndefined();
  });

  it('POST /api/v1/register is an alias', async () => {
    const res = await register(
      { server: 'com.example/leases', url: 'https://a.example/mcp', transport: 'sse' },
      adminHeaders,
      '/api/v1/register',
    );
    expect(res.statusCode).toBe(201);
  });

  it('refuses callers without publish permission on the name, unknown servers and bad bodies', async () => {
    const login = (await t.app.inject({ method: 'POST', url: '/v0/auth/none' })).json();
    const anon = { authorization: `Bearer ${login.registry_token}` };
    const forbidden = await register({ server: 'com.example/leases', url: 'https://a.example/mcp' }, anon);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().detail).toMatch(/publish permission/);
    expect((await register({ server: 'com.example/leases', url: 'https://a.example/mcp' }, {})).statusCode).toBe(422);
    const unknown = await register({ server: 'com.example/nope', url: 'https://a.example/mcp' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toMatch(/not in the registry/);
    const badUrl = await register({ server: 'com.example/leases', url: 'ftp://a.example/' });
    expect(badUrl.statusCode).toBe(422);
    expect(badUrl.headers['content-type']).toMatch(/problem\+json/);
    expect((await register({ server: 'com.example/leases', url: 'https://a', transport: 'stdio' })).statusCode).toBe(
      422,
    );
  });

  it('expires a lease without heartbeats (critical), revives it on a heartbeat, and deregisters after staying critical', async () => {
    await clearInstances();
    const { id, token } = (await register({ server: 'com.example/leases', url: 'https://b.example/mcp' })).json();
    time.advance(20_000);
    const beat = await heartbeat(id, token, { note: 'warming up' });
    expect(beat.statusCode).toBe(200);
    expect(beat.json()).toMatchObject({ id, state: 'passing', ttlSeconds: TTL });
    time.advance(29_000);
    await reap();
    expect((await getInstance(id)).json()).toMatchObject({ state: 'passing', statusNote: 'warming up' });
    time.advance(2_000);
    await reap();
    expect((await getInstance(id)).json().state).toBe('critical');
    const list = (await t.app.inject({ url: '/api/v1/instances?state=critical&server=com.example/leases' })).json();
    expect(list.instances.map((i: { id: string }) => i.id)).toContain(id);

    expect((await heartbeat(id, token)).json().state).toBe('passing');
    expect((await getInstance(id)).json().state).toBe('passing');

    time.advance(31_000);
    await reap();
    expect((await getInstance(id)).json().state).toBe('critical');
    time.advance((DEREGISTER_AFTER - 1) * 1000);
    await reap();
    expect((await getInstance(id)).statusCode).toBe(200);
    time.advance(2_000);
    await reap();
    const gone = await getInstance(id);
    expect(gone.statusCode).toBe(404);
    const late = await heartbeat(id, token);
    expect(late.statusCode).toBe(404);
    expect(late.json().detail).toMatch(/register again/);
  });

  it('authenticates heartbeats by the instance token only', async () => {
    const { id } = (await register({ server: 'com.example/leases', url: 'https://c.example/mcp' })).json();
    expect((await heartbeat(id, 'whi_wrong')).statusCode).toBe(404);
    const none = await t.app.inject({ method: 'PUT', url: `/api/v1/instances/${id}/heartbeat` });
    expect(none.statusCode).toBe(401);
  });

  it('deregisters by the instance token or by a publisher, not by others', async () => {
    const a = (await register({ server: 'com.example/leases', url: 'https://d.example/mcp' })).json();
    const b = (await register({ server: 'com.example/leases', url: 'https://e.example/mcp' })).json();
    const wrong = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/instances/${a.id}`,
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(wrong.statusCode).toBe(403);
    const byToken = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/instances/${a.id}`,
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(byToken.statusCode).toBe(204);
    const byAdmin = await t.app.inject({ method: 'DELETE', url: `/api/v1/instances/${b.id}`, headers: adminHeaders });
    expect(byAdmin.statusCode).toBe(204);
    expect((await getInstance(b.id)).statusCode).toBe(404);
  });

  it('lists with a cursor', async () => {
    for (let i = 0; i < 3; i++) await register({ server: 'com.example/other', url: `https://o${i}.example/mcp` });
    const first = (await t.app.inject({ url: '/api/v1/instances?server=com.example/other&limit=2' })).json();
    expect(first.instances).toHaveLength(2);
    expect(first.metadata.nextCursor).toBeDefined();
    const second = (
      await t.app.inject({
        url: `/api/v1/instances?server=com.example/other&limit=2&cursor=${first.metadata.nextCursor}`,
      })
    ).json();
    expect(second.instances).toHaveLength(1);
    expect(second.metadata.nextCursor).toBeUndefined();
    expect((await t.app.inject({ url: '/api/v1/instances?state=dead' })).statusCode).toBe(422);
  });

  it('pauses deregistration when most leases expire at once (self-preservation), and resumes when they return', async () => {
    await clearInstances();
    const regs: { id: string; token: string }[] = [];
    for (let i = 0; i < 10; i++)
      regs.push((await register({ server: 'com.example/mass', url: `https://m${i}.example/mcp` })).json());
    time.advance(20_000);
    for (const r of regs.slice(0, 2)) await heartbeat(r.id, r.token);
    time.advance(15_000);
    await reap();
    expect(t.wharf.liveness.instances.selfPreservation).toBe(true);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/wharf_liveness_self_preservation 1/);
    expect(metrics).toMatch(/wharf_liveness_instances\{state="critical"\} 8/);

    // Long past the deregistration delay, nothing is removed while preserving (the two live ones keep beating).
    for (let step = 0; step < 12; step++) {
      time.advance(25_000);
      for (const r of regs.slice(0, 2)) await heartbeat(r.id, r.token);
      await reap();
    }
    const critical = (await t.app.inject({ url: '/api/v1/instances?server=com.example/mass&state=critical' })).json();
    expect(critical.instances).toHaveLength(8);

    // Six come back: the critical share (2 of 10) falls under the threshold, and the two still dead are reaped.
    for (const r of regs.slice(2, 8)) expect((await heartbeat(r.id, r.token)).json().state).toBe('passing');
    await reap();
    expect(t.wharf.liveness.instances.selfPreservation).toBe(false);
    const remaining = (await t.app.inject({ url: '/api/v1/instances?server=com.example/mass' })).json();
    expect(remaining.instances).toHaveLength(8);
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/wharf_liveness_self_preservation 0/);
  });
}

describe('leases after a restart', () => {
  it.each([
    ['in memory', () => inMemory],
    ['in Redis', inRedis],
  ] as const)('gives every lease one TTL of grace, then expires it (%s)', async (label, backend) => {
    if (label === 'in Redis' && !redisUrl()) return console.warn('skipped: redis-server not installed');
    const leases = backend();
    const overrides = { time: new ManualTime(), livenessTiming: noTimers, redisKeyPrefix: leases.redisKeyPrefix };
    const { time } = overrides;
    const first = await createTestApp({ env: { ...env, ...leases.env }, overrides });
    await first.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: serverJson('com.example/restart'),
      headers: adminHeaders,
    });
    const { id } = (
      await first.app.inject({
        method: 'POST',
        url: '/api/v1/instances',
        payload: { server: 'com.example/restart', url: 'https://r.example/mcp' },
        headers: adminHeaders,
      })
    ).json();
    await first.app.close();
    await first.wharf.close();

    // Down for longer than the TTL: the lease deadline has passed, but the instance's heartbeats went nowhere.
    time.advance(TTL * 1000 * 3);
    const wharf = await createWharf(first.wharf.config, createLogger('silent'), overrides);
    const app = await buildApp(wharf);
    try {
      await wharf.liveness.reap();
      expect((await app.inject({ url: `/api/v1/instances/${id}` })).json().state).toBe('passing');
      time.advance(TTL * 1000 - 1000);
      await wharf.liveness.reap();
      expect((await app.inject({ url: `/api/v1/instances/${id}` })).json().state).toBe('passing');
      time.advance(2000);
      await wharf.liveness.reap();
      expect((await app.inject({ url: `/api/v1/instances/${id}` })).json().state).toBe('critical');
    } finally {
      await app.close();
      await wharf.close();
    }
  });
});
