import { afterEach, beforeEach, expect, it } from 'vitest';
import { adminHeaders, createTestApp, serverJson } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { FakeUpstream } from './fake-upstream.js';
import { OFFICIAL, listAll, settings } from './helpers.js';

describeEachDatabase('sync name patterns, conflicts and removals', (database) => {
  let fake: FakeUpstream;
  const mirrors: TestApp[] = [];
  const newMirror = async () => {
    const mirror = await createTestApp({ database, env: { WHARF_ALLOW_PRIVATE_NETWORKS: 'true' } });
    mirrors.push(mirror);
    return mirror;
  };
  beforeEach(async () => {
    fake = new FakeUpstream();
    await fake.start();
  });
  afterEach(async () => {
    await fake.stop();
    for (const mirror of mirrors.splice(0)) await mirror.close();
  });

  const names = async (mirror: TestApp) => [...new Set((await listAll(mirror)).map((i) => String(i.server.name)))];

  it('mirrors only allowed names, and a narrower pattern removes what it no longer allows', async () => {
    for (const name of ['com.example/public', 'com.example/secret-a', 'com.example/tools', 'org.other/thing']) {
      fake.publish(name, '1.0.0');
    }
    const mirror = await newMirror();
    const first = await mirror.wharf.sync.run(
      settings(fake.baseUrl, { allow: ['com.example/*'], deny: ['com.example/secret*'] }),
    );
    expect(first).toMatchObject({ mode: 'full', seen: 4, inserted: 2, filtered: 2 });
    expect(await names(mirror)).toEqual(['com.example/public', 'com.example/tools']);

    // New settings start a full pass, which removes the versions the patterns now exclude.
    const narrower = await mirror.wharf.sync.run(
      settings(fake.baseUrl, { allow: ['com.example/*'], deny: ['com.example/secret*', 'com.example/tools'] }),
    );
    expect(narrower).toMatchObject({ mode: 'full', removed: 1 });
    expect(await names(mirror)).toEqual(['com.example/public']);
  });

  it('skips entries it cannot store and keeps going', async () => {
    fake.publish('com.example/fine', '1.0.0');
    fake.publish('com.example/odd', '1.0.0').publishedAt = 'yesterday';
    const mirror = await newMirror();
    const summary = await mirror.wharf.sync.run(settings(fake.baseUrl));
    expect(summary).toMatchObject({ outcome: 'completed', seen: 2, invalid: 1, inserted: 1 });
    expect(await names(mirror)).toEqual(['com.example/fine']);
  });

  it('removes versions gone upstream on a full pass only', async () => {
    fake.publish('com.example/gone', '1.0.0');
    fake.publish('com.example/gone', '2.0.0');
    fake.publish('com.example/stays', '1.0.0');
    const mirror = await newMirror();
    const s = settings(fake.baseUrl);
    await mirror.wharf.sync.run(s);
    fake.rows.delete('com.example/gone\u00002.0.0');
    fake.rows.get('com.example/gone\u00001.0.0')!.isLatest = true;
    expect(await mirror.wharf.sync.run(s)).toMatchObject({ mode: 'incremental', removed: 0 });
    expect(await mirror.wharf.sync.run(s, { full: true })).toMatchObject({ mode: 'full', removed: 1 });
    const gone = (await listAll(mirror)).filter((i) => i.server.name === 'com.example/gone');
    expect(gone.map((i) => [i.server.version, (i._meta[OFFICIAL] as { isLatest: boolean }).isLatest])).toEqual([
      ['1.0.0', true],
    ]);
  });

  const conflictSetup = async (mirror: TestApp) => {
    const local = await mirror.app.inject({
      method: 'POST',
      url: '/v0/publish',
      headers: adminHeaders,
      payload: serverJson('com.example/shared', '1.0.0', { title: 'Local copy' }),
    });
    expect(local.statusCode).toBe(200);
  };
  const shared = async (mirror: TestApp) =>
    (await listAll(mirror))
      .filter((i) => i.server.name === 'com.example/shared')
      .map((i) => ({
        version: i.server.version,
        title: i.server.title,
        mirrored: 'dev.wharf/origin' in i._meta,
        isLatest: (i._meta[OFFICIAL] as { isLatest: boolean }).isLatest,
      }));

  it('applies the conflict policy to names that also exist locally', async () => {
    fake.publish('com.example/shared', '1.0.0', { title: 'Upstream copy' });
    fake.publish('com.example/shared', '2.0.0', { title: 'Upstream copy' });
    fake.publish('com.example/other', '1.0.0');

    const skip = await newMirror();
    await conflictSetup(skip);
    expect(await skip.wharf.sync.run(settings(fake.baseUrl))).toMatchObject({ conflicts: 2, inserted: 1 });
    expect(await shared(skip)).toEqual([{ version: '1.0.0', title: 'Local copy', mirrored: false, isLatest: true }]);

    const localWins = await newMirror();
    await conflictSetup(localWins);
    const merged = await localWins.wharf.sync.run(settings(fake.baseUrl, { conflict: 'local-wins' }));
    expect(merged).toMatchObject({ conflicts: 1, inserted: 2 });
    expect(await shared(localWins)).toEqual([
      { version: '1.0.0', title: 'Local copy', mirrored: false, isLatest: false },
      { version: '2.0.0', title: 'Upstream copy', mirrored: true, isLatest: true },
    ]);

    const upstreamWins = await newMirror();
    await conflictSetup(upstreamWins);
    const taken = await upstreamWins.wharf.sync.run(settings(fake.baseUrl, { conflict: 'upstream-wins' }));
    expect(taken).toMatchObject({ conflicts: 0, inserted: 2, updated: 1 });
    expect(await shared(upstreamWins)).toEqual([
      { version: '1.0.0', title: 'Upstream copy', mirrored: true, isLatest: false },
      { version: '2.0.0', title: 'Upstream copy', mirrored: true, isLatest: true },
    ]);
    // A full pass does not remove the local versions, which were never mirrored.
    expect(
      await localWins.wharf.sync.run(settings(fake.baseUrl, { conflict: 'local-wins' }), { full: true }),
    ).toMatchObject({
      removed: 0,
    });
    expect((await shared(localWins)).length).toBe(2);
  });
});
