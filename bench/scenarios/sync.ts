/**
 * sync: `wharf sync` from an upstream Wharf holding the full data set (25 000 servers, every version), into an empty
 * SQLite mirror, then an incremental pass with nothing new.
 *
 * Baseline, same run: walking the upstream's listing page by page (limit 100, include_deleted, cursor URL-encoded)
 * with the bench's own HTTP client, writing nothing — the floor any mirror pays to read the upstream.
 * Targets (issue 4): full sync ≤ 60 s; incremental with nothing new ≤ 1 s (the sync itself, as the CLI reports it;
 * the process wall time, Node start and migration check included, is shown too).
 *
 * The upstream is pinned to the server CPU; the syncing CLI runs on the load CPU (it is the client here).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { track, OutputTail, waitForExit } from '../lib/children.js';
import { cpuPlan } from '../lib/cpu.js';
import { copyDataDir, ensureDataset, workDir } from '../lib/dataset.js';
import { request } from '../lib/http.js';
import type { Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { REPO_ROOT } from '../data/model.js';
import { WHARF_CLI, childEnv, startWharf, type WharfProcess } from '../lib/wharf.js';

const LIST = '/v0.1/servers?limit=100&include_deleted=true';

interface SyncRun {
  wallMs: number;
  summary: { mode: string; pages: number; seen: number; inserted: number; durationMs: number; outcome: string };
}

async function runSync(upstream: string, dataDir: string, env: Record<string, string> = {}): Promise<SyncRun> {
  const started = performance.now();
  const child = track(
    spawn(process.execPath, [WHARF_CLI, 'sync', '--upstream', upstream, '--data-dir', dataDir, '--json'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv({ WHARF_ALLOW_PRIVATE_NETWORKS: 'true', ...env }),
    }),
  );
  let stdout = '';
  const tail = new OutputTail(100);
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  const ended = await waitForExit(child, 15 * 60_000);
  const wallMs = performance.now() - started;
  if (ended === null) {
    child.kill('SIGKILL');
    throw new Error(`wharf sync did not finish within 15 minutes. Output:\n${tail.text()}`);
  }
  if (ended.code !== 0) throw new Error(`wharf sync failed (code ${ended.code}):\n${stdout}\n${tail.text()}`);
  return { wallMs, summary: JSON.parse(stdout) as SyncRun['summary'] };
}

async function walkListing(baseUrl: string): Promise<{ ms: number; pages: number; items: number }> {
  const started = performance.now();
  let cursor: string | undefined;
  let pages = 0;
  let items = 0;
  for (;;) {
    const url = `${baseUrl}${LIST}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await request(url, { timeoutMs: 60_000 });
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
    const body = JSON.parse(response.body.toString()) as { servers: unknown[]; metadata: { nextCursor?: string } };
    pages += 1;
    items += body.servers.length;
    cursor = body.metadata.nextCursor;
    if (!cursor || body.servers.length === 0) return { ms: performance.now() - started, pages, items };
  }
}

export const sync: Scenario = {
  name: 'sync',
  title: 'mirror a 25 000-server upstream with wharf sync (full, then incremental with nothing new)',
  async run(ctx) {
    const dataset = await ensureDataset(ctx.sizes.servers, { rebuild: ctx.rebuildData, log: ctx.log });
    const upstreamDir = copyDataDir(dataset, 'sync-upstream');
    const mirror = workDir('sync-mirror');
    let upstream: WharfProcess | undefined;
    try {
      upstream = await startWharf({ dataDir: upstreamDir.dir, label: 'sync-upstream' });
      ctx.log(`upstream Wharf ready at ${upstream.baseUrl} (pid ${upstream.pid})`);
      // The upstream's read cache would make the second walk cheaper than the first: warm it equally for both.
      const warm = await walkListing(upstream.baseUrl);
      const walk = await walkListing(upstream.baseUrl);
      ctx.log(`baseline walk: ${walk.items} versions in ${walk.pages} pages, ${(walk.ms / 1000).toFixed(1)} s`);

      ctx.log('full sync into an empty SQLite mirror…');
      const mirrorData = path.join(mirror.dir, 'data');
      const full = await runSync(upstream.baseUrl, mirrorData);
      ctx.log(`full: ${JSON.stringify(full.summary)}`);
      if (full.summary.inserted !== walk.items) {
        throw new Error(`the mirror got ${full.summary.inserted} versions, the upstream lists ${walk.items}`);
      }
      upstream.assertAlive('the full sync');

      // The overlap window (default 300 s) would re-read everything the data-set import wrote in the last five
      // minutes when the data set was just built; 0 measures "nothing new" whatever the data set's age.
      const incremental = await runSync(upstream.baseUrl, mirrorData, { WHARF_SYNC_OVERLAP_SECONDS: '0' });
      ctx.log(`incremental: ${JSON.stringify(incremental.summary)}`);
      if (incremental.summary.mode !== 'incremental') throw new Error('the second run was not incremental');

      const rows: Row[] = [
        {
          figure: `full sync, ${walk.items} versions (CLI wall time)`,
          value: full.wallMs / 1000,
          unit: 's',
          baseline: { label: 'walking the listing, no writes', value: walk.ms / 1000 },
          target: { on: 'value', op: '<=', threshold: 60 },
        },
        {
          figure: 'full sync throughput',
          value: walk.items / (full.summary.durationMs / 1000),
          unit: 'versions/s',
          baseline: { label: 'walk', value: walk.items / (walk.ms / 1000) },
        },
        {
          figure: 'incremental sync, nothing new (sync run)',
          value: incremental.summary.durationMs / 1000,
          unit: 's',
          baseline: { label: 'one listing page', value: walk.ms / walk.pages / 1000 },
          target: { on: 'value', op: '<=', threshold: 1 },
          note: `${incremental.summary.pages} page(s), ${incremental.summary.seen} version(s) seen`,
        },
        {
          figure: 'incremental sync, nothing new (CLI wall time)',
          value: incremental.wallMs / 1000,
          unit: 's',
          note: 'includes Node start, opening the database and the migration check',
        },
      ];
      return {
        scenario: 'sync',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          `data set: ${dataset.servers} servers, ${dataset.documents} versions (${dataset.modelSource} model)`,
          `upstream: wharf serve on a copy of the data set (SQLite); mirror: a fresh SQLite data directory`,
          `baseline walks: warm-up ${(warm.ms / 1000).toFixed(1)} s, measured ${(walk.ms / 1000).toFixed(1)} s`,
        ],
        rows,
      };
    } finally {
      await upstream?.stop();
      upstreamDir.cleanup();
      mirror.cleanup();
    }
  },
};
