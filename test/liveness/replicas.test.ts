import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ManualTime } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { LivenessStore } from '../../src/liveness/store.js';
import { createWharf } from '../../src/wharf.js';
import type { Wharf } from '../../src/wharf.js';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { postgresDatabase, postgresUrl } from '../support/databases.js';
import { describe } from 'vitest';
import { startModernServer } from './support/targets.js';
import type { Target } from './support/targets.js';

const noTimers = { reapMs: 0, probeTickMs: 0, flushMs: 0, targetRefreshMs: 0, healthPollMs: 0 };

describe.skipIf(!postgresUrl())('liveness replicas on one PostgreSQL database', () => {
  let a: TestApp;
  let b: Wharf;
  let target: Target;
  let aClosed = false;
  beforeAll(async () => {
    target = await startModernServer();
    a = await createTestApp({
      database: postgresDatabase,
      env: { WHARF_ALLOW_PRIVATE_NETWORKS: 'true' },
      overrides: { livenessTiming: noTimers, leaderRetryMs: 100 },
    });
    b = await createWharf(a.wharf.config, createLogger('silent'), { livenessTiming: noTimers, leaderRetryMs: 100 });
    await a.app.inject({
      method: 'POST',
      url: '/v0/publish',
      payload: serverJson('com.example/replicated'),
      headers: adminHeaders,
    });
  });
  afterAll(async () => {
    await b?.close();
    if (!aClosed) await a?.close();
    await target?.close();
  });

  it('lets exactly one process probe, serves the same health everywhere, fences a deposed leader and fails over', async () => {
    expect(a.wharf.liveness.leading).toBe(true);
    expect(b.liveness.leading).toBe(false);

    const reg = await a.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      payload: { server: 'com.example/replicated', url: target.url },
      headers: adminHeaders,
    });
    const { id, token } = reg.json();
    // A heartbeat may land on any replica: the follower learns the lease from the database.
    expect((await b.liveness.instances.heartbeat(id, token)).state).toBe('passing');

    await b.liveness.probeNow();
    expect(b.liveness.scheduler.size).toBe(0);
    await a.wharf.liveness.probeNow();
    expect(a.wharf.liveness.scheduler.size).toBe(1);
    await b.liveness.health.refresh();
    expect(b.liveness.health.summary('com.example/replicated')).toMatchObject({ status: 'passing', era: 'modern' });

    // Another process took over (as after a's session was lost): a's next write is refused and a steps down.
    await new LivenessStore(a.wharf.database).bumpLeaderEpoch();
    await a.wharf.liveness.probeNow();
    expect(a.wharf.liveness.leading).toBe(false);

    // b takes over once a's session lock is gone.
    await a.close();
    aClosed = true;
    const deadline = Date.now() + 5000;
    while (!b.liveness.leading && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(b.liveness.leading).toBe(true);
    await b.liveness.probeNow();
    expect(b.liveness.scheduler.size).toBe(1);
  });
});

const redisUrl = (): string => inject('redisUrl');
const bothServers = !!postgresUrl() && !!redisUrl();

describe.skipIf(!bothServers)(
  `liveness replicas sharing PostgreSQL and Redis leases${bothServers ? '' : ' (skipped: PostgreSQL or redis-server not installed)'}`,
  () => {
    const TTL_MS = 30_000;
    const time = new ManualTime();
    const overrides = {
      time,
      livenessTiming: noTimers,
      leaderRetryMs: 100,
      redisKeyPrefix: `wharf-test:${randomUUID()}:`,
    };
    const env = { WHARF_ALLOW_PRIVATE_NETWORKS: 'true', WHARF_PROBES: 'false', WHARF_INSTANCE_TTL_SECONDS: '30' };
    let a: TestApp;
    let b: TestApp;
    let aClosed = false;
    beforeAll(async () => {
      a = await createTestApp({ database: postgresDatabase, env: { ...env, WHARF_REDIS_URL: redisUrl() }, overrides });
      // The second replica: same database, same Redis, same key prefix.
      const wharf = await createWharf(a.wharf.config, createLogger('silent'), overrides);
      const app = await buildApp(wharf);
      b = { wharf, app, close: async () => (await app.close(), await wharf.close()) };
      await a.app.inject({
        method: 'POST',
        url: '/v0/publish',
        payload: serverJson('com.example/redis-leases'),
        headers: adminHeaders,
      });
    });
    afterAll(async () => {
      await b?.close();
      if (!aClosed) await a?.close();
    });

    const heartbeat = (on: TestApp, id: string, token: string) =>
      on.app.inject({
        method: 'PUT',
        url: `/api/v1/instances/${id}/heartbeat`,
        headers: { authorization: `Bearer ${token}` },
      });
    const read = async (on: TestApp, id: string) => (await on.app.inject({ url: `/api/v1/instances/${id}` })).json();
    const until = async (check: () => boolean, what: string) => {
      const deadline = Date.now() + 5000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    it('shares every heartbeat at once, persists only transitions, and hands reaping over with one TTL of grace', async () => {
      expect(a.wharf.liveness.leading).toBe(true);
      expect(b.wharf.liveness.leading).toBe(false);
      const reg = await a.app.inject({
        method: 'POST',
        url: '/api/v1/instances',
        payload: { server: 'com.example/redis-leases', url: 'https://leases.example/mcp' },
        headers: adminHeaders,
      });
      const { id, token } = reg.json();
      const registeredAt = time.nowMs();
      const stored = () => new LivenessStore(a.wharf.database).findInstance(id);

      // Heartbeat to B, read on A at once: the same lease deadline, without any database write.
      time.advance(20_000);
      const beat = await heartbeat(b, id, token);
      expect(beat.statusCode).toBe(200);
      expect(beat.json().expiresAt).toBe(new Date(time.nowMs() + TTL_MS).toISOString());
      expect(await read(a, id)).toMatchObject({ state: 'passing', leaseExpiresAt: beat.json().expiresAt });
      for (let i = 0; i < 5; i++) {
        time.advance(10_000);
        await heartbeat(i % 2 === 0 ? a : b, id, token);
      }
      expect((await stored())?.leaseExpiresAt).toBe(new Date(registeredAt + TTL_MS).toISOString());

      // A (the leader) reaps only after the last heartbeat, wherever it landed, is a TTL old.
      time.advance(TTL_MS - 1000);
      await a.wharf.liveness.reap();
      expect((await read(b, id)).state).toBe('passing');
      time.advance(2000);
      await a.wharf.liveness.reap();
      expect((await read(b, id)).state).toBe('critical');
      expect((await stored())?.state).toBe('critical');
      // B's directory (what its gateway routes from) hears of it through Redis pub/sub, without polling.
      await until(() => b.wharf.liveness.instances.directory()[0]?.state === 'critical', "B's directory");

      // A heartbeat to B revives it for everyone, and that transition is persisted.
      expect((await heartbeat(b, id, token)).json().state).toBe('passing');
      expect((await read(a, id)).state).toBe('passing');
      expect((await stored())?.state).toBe('passing');
      await until(() => a.wharf.liveness.instances.directory()[0]?.state === 'passing', "A's directory");

      // The follower never reaps, however late it is.
      time.advance(TTL_MS * 2);
      await b.wharf.liveness.reap();
      expect((await read(a, id)).state).toBe('passing');

      // A goes away; B takes over reaping and first gives the lease one TTL of grace from now.
      await a.close();
      aClosed = true;
      await until(() => b.wharf.liveness.leading, 'B to lead');
      await b.wharf.liveness.reap();
      expect((await read(b, id)).state).toBe('passing');
      time.advance(TTL_MS + 1000);
      await b.wharf.liveness.reap();
      expect((await read(b, id)).state).toBe('critical');
    });
  },
);
