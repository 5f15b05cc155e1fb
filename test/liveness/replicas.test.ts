import { afterAll, beforeAll, expect, it } from 'vitest';
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
