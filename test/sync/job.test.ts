import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { comparable, listAll } from './helpers.js';

describeEachDatabase('background sync in serve', (database) => {
  let upstream: TestApp;
  let mirror: TestApp;
  let upstreamUrl: string;

  beforeAll(async () => {
    upstream = await createTestApp({ database });
    upstreamUrl = await upstream.app.listen({ host: '127.0.0.1', port: 0 });
    mirror = await createTestApp({
      database,
      env: {
        WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
        WHARF_SYNC_UPSTREAM: upstreamUrl,
        WHARF_SYNC_INTERVAL_SECONDS: '1',
      },
    });
  });
  afterAll(async () => {
    await mirror?.close();
    await upstream?.close();
  });

  const publish = async (name: string, version: string) => {
    const res = await upstream.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: adminHeaders,
      payload: serverJson(name, version),
    });
    expect(res.statusCode).toBe(200);
  };
  const converged = async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const mine = comparable(await listAll(mirror));
      const theirs = comparable(await listAll(upstream));
      if (JSON.stringify(mine) === JSON.stringify(theirs)) return;
      if (Date.now() > deadline) expect(mine).toEqual(theirs);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('keeps the mirror in step every interval and reports it in /metrics', async () => {
    await publish('com.example/job-a', '1.0.0');
    expect(mirror.wharf.syncJob).toBeDefined();
    mirror.wharf.syncJob!.start();
    await converged();
    await publish('com.example/job-a', '1.1.0');
    await publish('com.example/job-b', '0.1.0');
    await converged();
    const metrics = await mirror.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/wharf_sync_runs_total\{outcome="completed"\} [1-9]/);
    expect(metrics.body).toMatch(/wharf_sync_versions_total\{result="inserted"\} 3/);
    expect(metrics.body).toMatch(/wharf_sync_last_success_timestamp_seconds \d/);
  });
});
