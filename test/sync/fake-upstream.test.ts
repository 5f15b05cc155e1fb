import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { FakeUpstream } from './fake-upstream.js';
import { OFFICIAL, comparable, listAll, prng, settings } from './helpers.js';

describeEachDatabase('sync from an upstream with the official quirks', (database) => {
  let fake: FakeUpstream;
  let mirror: TestApp;

  beforeEach(async () => {
    mirror = await createTestApp({ database, env: { WHARF_ALLOW_PRIVATE_NETWORKS: 'true' } });
    fake = new FakeUpstream();
    await fake.start();
  });
  afterEach(async () => {
    await fake.stop();
    await mirror.close();
  });

  const expectConverged = async () => {
    const mine = comparable(await listAll(mirror), { millis: true });
    expect(mine).toEqual(comparable(fake.listing(), { millis: true }));
    const latest = comparable(await listAll(mirror, 'version=latest'), { millis: true });
    const upstreamLatest = comparable(fake.listing(), { millis: true }).filter(
      (i) => (i._meta[OFFICIAL] as { isLatest: boolean; status: string }).isLatest,
    );
    expect(latest).toEqual(
      upstreamLatest.filter((i) => (i._meta[OFFICIAL] as { status: string }).status !== 'deleted'),
    );
  };

  it('copies every version, encoding `+` in cursors and stopping at a final empty page', async () => {
    // 9 versions at 3 per page: every page boundary falls on a `+build` version, and page 4 is empty.
    for (const name of ['com.example/plus-a', 'com.example/plus-b', 'com.example/plus-c']) {
      for (const v of ['1.0.0+build.1', '1.0.1+build.2', '1.1.0+exp.sha.5114f85']) fake.publish(name, v);
    }
    fake.setStatus('com.example/plus-b', '1.1.0+exp.sha.5114f85', 'deleted', 'taken down');
    const upstream = `${fake.baseUrl}/v0.1`;
    const summary = await mirror.wharf.sync.run(settings(upstream, { pageSize: 3 }));
    expect(summary).toMatchObject({ outcome: 'completed', mode: 'full', pages: 4, seen: 9, inserted: 9 });
    expect(fake.requests.filter((r) => r.includes('cursor=')).every((r) => r.includes('%2B'))).toBe(true);
    await expectConverged();

    const item = (await listAll(mirror)).find((i) => i.server.name === 'com.example/plus-a')!;
    expect(item._meta['dev.wharf/origin']).toEqual({ upstream, syncedAt: expect.any(String) });
    expect(item.server._meta).toBeUndefined();

    // Mirrored servers are in the search index like published ones: searching finds what listing shows.
    const names = async (query: string) =>
      (await mirror.app.inject({ url: `/v0.1/servers?${query}` }))
        .json()
        .servers.map((s: { server: { name: string } }) => s.server.name)
        .sort();
    expect(await names('search=plus&version=latest')).toEqual(await names('version=latest'));
    expect(await names('search=plus&version=latest')).toContain('com.example/plus-c');

    const again = await mirror.wharf.sync.run(settings(upstream, { pageSize: 3 }));
    expect(again).toMatchObject({ outcome: 'completed', mode: 'incremental', inserted: 0, updated: 0 });
  });

  it('follows the isLatest flip that never changes the old latest updatedAt', async () => {
    const name = 'com.example/flip';
    fake.publish(name, '1.0.0');
    // No overlap: an incremental pass sees only rows whose updatedAt moved, as after a long quiet period.
    const s = settings(fake.baseUrl, { overlapSeconds: 0 });
    fake.advance(5);
    await mirror.wharf.sync.run(s);

    fake.publish(name, '2.0.0'); // 1.0.0 loses the flag silently
    const incremental = await mirror.wharf.sync.run(s);
    expect(incremental).toMatchObject({ mode: 'incremental', seen: 1 });
    await expectConverged();

    fake.setStatus(name, '2.0.0', 'deleted', 'broken'); // 1.0.0 regains it silently
    expect(await mirror.wharf.sync.run(s)).toMatchObject({ seen: 1 });
    await expectConverged();

    fake.setStatus(name, '2.0.0', 'active');
    fake.publish(name, '1.5.0'); // not latest: compared with 2.0.0 only
    fake.setStatus(name, '1.0.0', 'deprecated', 'use 2.x');
    await mirror.wharf.sync.run(s);
    await expectConverged();
  });

  it('converges after random publishes, status changes and deletions', async () => {
    const random = prng(database.name === 'sqlite' ? 42 : 4242);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const names = Array.from({ length: 12 }, (_, i) => `io.github.owner${i % 3}/server-${i}`);
    const versions = ['0.1.0', '0.2.0', '1.0.0', '1.0.0-rc.1', '1.2.0+build.7', '2.0.0', 'v3', '2024.01.01'];
    const s = settings(fake.baseUrl, { pageSize: 7, overlapSeconds: 0 });
    for (let round = 0; round < 6; round++) {
      for (let op = 0; op < 15; op++) {
        const roll = random();
        const existing = [...fake.rows.values()];
        if (roll < 0.5 || existing.length === 0) {
          const name = pick(names);
          const version = pick(versions);
          if (!fake.rows.has(`${name}\u0000${version}`)) {
            fake.publish(name, version, random() < 0.3 ? { title: `Title ${round}.${op}` } : {});
          }
        } else {
          const row = pick(existing);
          const status = pick(['active', 'deprecated', 'deleted'] as const);
          fake.setStatus(
            String(row.server.name),
            String(row.server.version),
            status,
            status === 'active' ? undefined : `round ${round}`,
          );
        }
      }
      const summary = await mirror.wharf.sync.run(s);
      expect(summary.outcome).toBe('completed');
      expect(summary.mode).toBe(round === 0 ? 'full' : 'incremental');
      await expectConverged();
    }
    const full = await mirror.wharf.sync.run(s, { full: true });
    expect(full).toMatchObject({ mode: 'full', inserted: 0, updated: 0, removed: 0 });
    await expectConverged();
  });

  it('retries a rate-limited page and works without a Date header', async () => {
    fake.sendDate = false;
    fake.publish('com.example/retry', '1.0.0');
    fake.failNext = 2;
    const s = settings(fake.baseUrl);
    const first = await mirror.wharf.sync.run(s);
    expect(first).toMatchObject({ outcome: 'completed', inserted: 1 });
    expect(fake.requests.length).toBe(3);
    // Without the upstream's clock, the high-water mark is the newest updatedAt seen.
    expect(first.highWater).toBe(new Date(fake.versionsOf('com.example/retry')[0]!.updatedAt).toISOString());
    fake.publish('com.example/retry', '1.1.0');
    await mirror.wharf.sync.run(s);
    await expectConverged();
  });
});
