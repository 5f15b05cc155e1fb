import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, serverJson } from '../support/app.js';
import { postgresDatabase, postgresUrl } from '../support/databases.js';
import { runWharf, spawnWharf, startServer } from '../support/process.js';
import type { RunningServer } from '../support/process.js';
import { FakeUpstream } from './fake-upstream.js';
import { comparable, listAll, prng } from './helpers.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-sync-'));
const PRIVATE = { WHARF_ALLOW_PRIVATE_NETWORKS: 'true' };
// Each test starts several CLI processes; on a loaded machine a start alone can take seconds.
const SLOW = 180_000;

/** The listing of a mirror's SQLite data directory, read through a fresh in-process Wharf. */
async function mirrorListing(dataDir: string) {
  const mirror = await createTestApp({
    config: { database: { kind: 'sqlite', file: path.join(dataDir, 'wharf.db') } },
  });
  try {
    return await listAll(mirror);
  } finally {
    await mirror.close();
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('wharf sync against another Wharf process', { timeout: SLOW }, () => {
  let upstream: RunningServer;
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(upstream.baseUrl + url, {
      method,
      headers: auth,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  };
  const versionPath = (name: string, version: string) =>
    `/v0.1/servers/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;

  beforeAll(async () => {
    upstream = await startServer(['--data-dir', tempDir()], { WHARF_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(async () => upstream?.stop());

  it('converges after random publishes, status changes and deletions upstream', async () => {
    const random = prng(7);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const published: { name: string; version: string }[] = [];
    const publishSome = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const name = `io.github.team${Math.floor(random() * 4)}/tool-${Math.floor(random() * 10)}`;
        const version = `${Math.floor(random() * 3)}.${Math.floor(random() * 5)}.0${random() < 0.2 ? '+build.1' : ''}`;
        if (published.some((p) => p.name === name && p.version === version)) continue;
        await call('POST', '/v0/publish', serverJson(name, version));
        published.push({ name, version });
      }
    };
    const changeSome = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const { name, version } = pick(published);
        const status = pick(['active', 'deprecated', 'deleted'] as const);
        await fetch(`${upstream.baseUrl}${versionPath(name, version)}/status`, {
          method: 'PATCH',
          headers: auth,
          body: JSON.stringify(status === 'active' ? { status } : { status, statusMessage: `now ${status}` }),
        });
      }
    };
    const dataDir = tempDir();
    const sync = async (...extra: string[]) => {
      const result = await runWharf(
        ['sync', '--upstream', upstream.baseUrl, '--data-dir', dataDir, '--page-size', '10', '--json', ...extra],
        // Log lines go to stderr: stdout holds only the JSON summary, whatever the log level.
        { ...PRIVATE, WHARF_LOG_LEVEL: 'debug' },
      );
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { mode: string; inserted: number; removed: number };
    };
    const expectConverged = async () =>
      expect(comparable(await mirrorListing(dataDir))).toEqual(comparable(await listAll(upstream)));

    await publishSome(40);
    expect(await sync()).toMatchObject({ mode: 'full', inserted: published.length });
    await expectConverged();

    await publishSome(15);
    await changeSome(15);
    expect((await sync()).mode).toBe('incremental');
    await expectConverged();

    // A hard delete (Wharf's admin tool) leaves no trace for updated_since: the full pass removes it.
    const doomed = published.splice(0, 3);
    for (const { name, version } of doomed) await call('DELETE', versionPath(name, version));
    expect(await sync('--full')).toMatchObject({ mode: 'full', removed: 3 });
    await expectConverged();
  });

  it('refuses a private upstream address unless WHARF_ALLOW_PRIVATE_NETWORKS=true', async () => {
    const result = await runWharf(['sync', '--upstream', upstream.baseUrl, '--data-dir', tempDir()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('WHARF_ALLOW_PRIVATE_NETWORKS');
  });
});

describe('wharf sync killed midway', { timeout: SLOW }, () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = new FakeUpstream();
    await fake.start();
    for (let i = 0; i < 30; i++) {
      for (const version of ['1.0.0', '1.1.0+build.3'])
        fake.publish(`com.example/kill-${String(i).padStart(2, '0')}`, version);
    }
  });
  afterAll(async () => fake?.stop());

  it('resumes from the committed cursor after kill -9 and converges', async () => {
    const dataDir = tempDir();
    const args = ['sync', '--upstream', fake.baseUrl, '--data-dir', dataDir, '--page-size', '4', '--json'];
    // The fourth page request hangs until released: the sync is mid-pass, with three pages committed, when killed.
    fake.holdAfter = 3;
    const child = spawnWharf(args, PRIVATE);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const file = path.join(dataDir, 'wharf.db');
    const state = () => {
      if (!fs.existsSync(file)) return undefined;
      const db = new SQLite(file, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT stage, pass_cursor FROM sync_state').get() as
          { stage: string; pass_cursor: string | null } | undefined;
      } catch {
        return undefined; // not migrated yet
      } finally {
        db.close();
      }
    };
    // Kill once a few pages are committed, mid-pass.
    await waitFor(() => (state()?.pass_cursor ?? '') >= 'com.example/kill-05', 'three committed pages', 120_000);
    child.kill('SIGKILL');
    await exited;
    const killed = state();
    expect(killed?.stage).toBe('full');
    expect(killed?.pass_cursor).toMatch(/^com\.example\/kill-\d\d:/);
    const partial = await mirrorListing(dataDir);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(60);

    // Changes upstream meanwhile, in the part already copied and in the part not yet reached.
    fake.setStatus('com.example/kill-00', '1.1.0+build.3', 'deleted', 'withdrawn');
    fake.publish('com.example/kill-29', '2.0.0');
    fake.release();
    const resumed = await runWharf(args, PRIVATE);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary).toMatchObject({ mode: 'full', resumed: true, outcome: 'completed' });
    expect(summary.pages).toBe(13); // 60 versions in pages of 4 (15 + the final empty one), 3 already done

    const again = await runWharf(args, PRIVATE);
    expect(JSON.parse(again.stdout)).toMatchObject({ mode: 'incremental', resumed: false });
    const mirror = comparable(await mirrorListing(dataDir), { millis: true });
    expect(mirror).toEqual(comparable(fake.listing(), { millis: true }));
  });
});

describe.skipIf(!postgresUrl())('wharf sync leader election on PostgreSQL', { timeout: SLOW }, () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = new FakeUpstream();
    await fake.start();
    for (let i = 0; i < 20; i++) fake.publish(`com.example/leader-${i}`, '1.0.0');
  });
  afterAll(async () => fake?.stop());

  it('lets one process sync at a time', async () => {
    const database = await postgresDatabase.create();
    if (database.kind !== 'postgres') throw new Error('expected PostgreSQL');
    const args = ['sync', '--upstream', fake.baseUrl, '--database-url', database.url, '--page-size', '2', '--json'];
    fake.holdAfter = 2; // the first sync stays mid-pass, holding the lock, until released
    const first = spawnWharf(args, PRIVATE);
    let firstOut = '';
    first.stdout?.on('data', (d: Buffer) => (firstOut += d.toString()));
    const firstExit = new Promise<number | null>((resolve) => first.once('exit', resolve));
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await waitFor(
        async () => {
          const res = await client
            .query("SELECT pass_cursor FROM sync_state WHERE stage = 'full'")
            .catch(() => ({ rows: [] as { pass_cursor: string | null }[] }));
          return Boolean(res.rows[0]?.pass_cursor);
        },
        'the first sync to be under way',
        120_000,
      );
    } finally {
      await client.end();
    }
    const second = await runWharf(args, PRIVATE);
    expect(second.code).toBe(3);
    expect(JSON.parse(second.stdout)).toMatchObject({ outcome: 'not-leader' });
    fake.release();
    expect(await firstExit).toBe(0);
    expect(JSON.parse(firstOut)).toMatchObject({ outcome: 'completed', inserted: 20 });
    // The lock went with the first process's run: a later run gets it.
    const third = await runWharf(args, PRIVATE);
    expect(JSON.parse(third.stdout)).toMatchObject({ outcome: 'completed', mode: 'incremental' });
  });
});
