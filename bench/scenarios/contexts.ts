/**
 * contexts: the context store through the full HTTP stack, on each backend.
 *
 *  1. Create + get mix (1 create : 3 gets, 1 KiB documents) at 50 connections against Wharf on SQLite, PostgreSQL and
 *     Redis, in interleaved rounds. Baseline: `redis-benchmark` SET/GET (-d 1024, -c 50) against the same redis-server
 *     in the same run, combined in the same 1:3 mix, as the ceiling. Targets (issue 6): the Redis backend reaches
 *     ≥ 25 % of raw Redis ops/s, p99 ≤ 10 ms. A second baseline in the same rounds: GET /health of the same Wharf
 *     (the HTTP stack with no store and no body), the floor any route stands on, shown against raw Redis too.
 *  2. Expiry lag: 50 000 contexts (5 000 with --quick) created with a short TTL while a client watches the namespace's
 *     event stream; lag = when the `expired` event arrived − the context's expires_at. Target: p99 ≤ 1 s.
 *
 * redis-server runs pinned to the server CPU next to Wharf; PostgreSQL (started like the test harness does) is not
 * pinned. Skips a backend, with a note, when its server binaries are not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRedisServer } from '../../test/support/redis-server.js';
import { startPostgres } from '../../test/support/postgres-server.js';
import type { PostgresServer } from '../../test/support/postgres-server.js';
import { track, waitForExit } from '../lib/children.js';
import { cpuPlan, pinned } from '../lib/cpu.js';
import { freePort, request, sleep } from '../lib/http.js';
import { medianRound, runInterleaved, saturationNote, totalFailures, type LoadSpec } from '../lib/load.js';
import { optionalNote, type Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { summarise } from '../lib/stats.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';

const CONNECTIONS = 50;
const READS_PER_CREATE = 3;
const HTTP_FLOOR = 'GET /health';
const REQUESTS_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'context-requests.ts');

interface RedisProcess {
  port: number;
  url: string;
  stop(): Promise<void>;
}

async function startPinnedRedis(): Promise<RedisProcess | undefined> {
  const binary = findRedisServer();
  if (!binary) return undefined;
  const port = await freePort();
  const { command, args } = pinned('server', binary, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  const child = track(spawn(command, args, { stdio: 'ignore' }));
  for (let i = 0; i < 100; i++) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (listening) break;
    await sleep(50);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      if ((await waitForExit(child, 5_000)) === null) child.kill('SIGKILL');
    },
  };
}

/** redis-benchmark SET and GET with 1 KiB values at 50 connections, pinned to the load CPU. */
function rawRedis(port: number, requests: number): { set: number; get: number } | undefined {
  const { command, args } = pinned('load', 'redis-benchmark', [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-t',
    'set,get',
    '-n',
    String(requests),
    '-c',
    String(CONNECTIONS),
    '-d',
    '1024',
    '--csv',
  ]);
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) return undefined;
  const rps = (name: string) => {
    const line = run.stdout.split('\n').find((l) => l.startsWith(`"${name}"`));
    return Number(line?.split(',')[1]?.replace(/"/g, ''));
  };
  return { set: rps('SET'), get: rps('GET') };
}

/** Creates `count` contexts with `ttlSeconds` while watching the namespace; returns lag samples (ms) of expiries. */
async function expiryLag(wharf: WharfProcess, count: number, ttlSeconds: number, log: (l: string) => void) {
  const namespace = `lag-${Date.now().toString(36)}`;
  const expiresAt = new Map<string, number>();
  const lags: number[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const auth = { authorization: `Bearer ${wharf.adminToken}` };
  const stream = http.get(`${wharf.baseUrl}/api/v1/contexts/events?namespace=${namespace}`, { headers: auth });
  const opened = new Promise<void>((resolve, reject) => {
    stream.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`event stream answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.includes('event: expired')) continue;
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!data) continue;
          const id = (JSON.parse(data) as { context_id: string }).context_id;
          const deadline = expiresAt.get(id);
          if (deadline !== undefined) lags.push(Date.now() - deadline);
          if (lags.length >= count) done();
        }
      });
      resolve();
    });
    stream.on('error', reject);
  });
  await opened;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const body = JSON.stringify({ namespace, data: { n: 0, pad: 'x'.repeat(200) } });
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < count) {
        next++;
        const response = await request(`${wharf.baseUrl}/api/v1/contexts?ttl_seconds=${ttlSeconds}`, {
          method: 'POST',
          agent,
          headers: { ...auth, 'content-type': 'application/json' },
          body,
        });
        if (response.status !== 201) throw new Error(`create answered ${response.status}: ${response.body.toString()}`);
        const created = JSON.parse(response.body.toString()) as { context_id: string; expires_at: string };
        expiresAt.set(created.context_id, Date.parse(created.expires_at));
      }
    }),
  );
  log(`  created ${count} contexts in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for their expiry`);
  const timeout = sleep(ttlSeconds * 1000 + 120_000).then(() => 'timeout');
  const outcome = await Promise.race([finished.then(() => 'ok'), timeout]);
  stream.destroy();
  agent.destroy();
  if (outcome !== 'ok') throw new Error(`only ${lags.length} of ${count} expired events arrived`);
  return summarise(lags);
}

export const contexts: Scenario = {
  name: 'contexts',
  title: 'context store: create+get mix (c=50, 1 KiB) per backend vs raw Redis; expiry lag',
  async run(ctx) {
    const { sizes } = ctx;
    const rows: Row[] = [];
    const info = [...environmentInfo(ctx, cpuPlan().description)];
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      const redis = await startPinnedRedis();
      if (redis) cleanups.push(() => redis.stop());
      const postgres: PostgresServer | undefined = await startPostgres().catch(() => undefined);
      if (postgres) cleanups.push(() => postgres.stop());

      const backends: { name: string; env: Record<string, string> }[] = [{ name: 'sqlite', env: {} }];
      if (postgres) backends.push({ name: 'postgres', env: { WHARF_DATABASE_URL: postgres.url } });
      else info.push('PostgreSQL: SKIPPED (no server binaries in /usr/lib/postgresql/*/bin)');
      if (redis) backends.push({ name: 'redis', env: { WHARF_REDIS_URL: redis.url, WHARF_CONTEXT_STORE: 'redis' } });
      else info.push('Redis: SKIPPED (redis-server not installed)');

      const servers = new Map<string, WharfProcess>();
      for (const backend of backends) {
        const dataDir = mkdtempSync(path.join(os.tmpdir(), `wharf-bench-ctx-${backend.name}-`));
        cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
        const wharf = await startWharf({ dataDir, label: `contexts-${backend.name}`, env: backend.env });
        cleanups.push(() => wharf.stop());
        servers.set(backend.name, wharf);
      }

      const spec = (wharf: WharfProcess): LoadSpec => ({
        url: `${wharf.baseUrl}/api/v1/contexts`,
        connections: CONNECTIONS,
        durationSec: sizes.durationSec,
        generator: {
          module: REQUESTS_MODULE,
          exportName: 'contextRequests',
          params: { token: wharf.adminToken, reads: READS_PER_CREATE, ttlSeconds: 300 },
        },
      });
      ctx.log(
        `mix: ${[...servers.keys()].join(', ')}; ${sizes.rounds} round(s) of ${sizes.durationSec} s, c=${CONNECTIONS}`,
      );
      // The HTTP stack's own floor: the same Wharf answering GET /health (no store, no body) at the same concurrency.
      const floorServer = servers.get('redis') ?? servers.values().next().value;
      const floor = floorServer && {
        label: HTTP_FLOOR,
        spec: {
          url: `${floorServer.baseUrl}/health`,
          connections: CONNECTIONS,
          durationSec: sizes.durationSec,
        } satisfies LoadSpec,
        serverPid: floorServer.pid,
      };
      const runs = await runInterleaved(
        [
          ...[...servers].map(([name, wharf]) => ({ label: name, spec: spec(wharf), serverPid: wharf.pid })),
          ...(floor ? [floor] : []),
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      const floorRps = medianRound(runs.get(HTTP_FLOOR) ?? []).rps;

      let ceiling: number | undefined;
      if (redis) {
        const raw = rawRedis(redis.port, ctx.quick ? 50_000 : 300_000);
        if (raw) {
          // Time per op in the same 1 create : 3 gets mix.
          ceiling = (1 + READS_PER_CREATE) / (1 / raw.set + READS_PER_CREATE / raw.get);
          info.push(
            `raw redis-benchmark (-c ${CONNECTIONS} -d 1024): SET ${raw.set.toFixed(0)}/s, GET ${raw.get.toFixed(0)}/s; ` +
              `1:${READS_PER_CREATE} mix ${ceiling.toFixed(0)} ops/s`,
          );
        } else info.push('redis-benchmark failed or missing: no ceiling');
      }
      info.push(
        `mix: 1 create (1 KiB document, TTL 300 s) : ${READS_PER_CREATE} gets per connection cycle; admin token`,
      );

      for (const [name, wharf] of servers) {
        wharf.assertAlive(`the ${name} mix`);
        const rounds = runs.get(name) ?? [];
        const median = medianRound(rounds);
        const failures = totalFailures(rounds);
        const failureNote =
          failures.non2xx || failures.errors ? `non-2xx ${failures.non2xx}, errors ${failures.errors}` : undefined;
        rows.push({
          figure: `${name}: create+get ops/s`,
          value: median.rps,
          unit: 'ops/s',
          ...(name === 'redis' && ceiling !== undefined
            ? { baseline: { label: 'raw Redis', value: ceiling }, target: { on: 'ratio', op: '>=', threshold: 0.25 } }
            : ceiling !== undefined
              ? { baseline: { label: 'raw Redis', value: ceiling } }
              : {}),
          ...optionalNote([failureNote, saturationNote(name, median)].filter(Boolean).join('; ') || undefined),
        });
        if (floorRps > 0) {
          rows.push({
            figure: `${name}: create+get vs the empty route`,
            value: median.rps,
            unit: 'ops/s',
            baseline: { label: `GET /health, same Wharf${name === 'redis' ? '' : ' (redis)'}`, value: floorRps },
          });
        }
        rows.push({
          figure: `${name}: p99`,
          value: median.latency.p99,
          unit: 'ms',
          ...(name === 'redis' ? { target: { on: 'value', op: '<=', threshold: 10 } } : {}),
        });
      }

      if (ceiling !== undefined && floorRps > 0) {
        // What any route can reach here: the target's 0.25× of raw Redis is only reachable when this is well above it.
        rows.push({
          figure: 'HTTP floor: GET /health',
          value: floorRps,
          unit: 'req/s',
          baseline: { label: 'raw Redis', value: ceiling },
        });
      }
      const count = ctx.quick ? 5_000 : 50_000;
      for (const [name, wharf] of servers) {
        ctx.log(`expiry lag on ${name}: ${count} contexts`);
        const lag = await expiryLag(wharf, count, ctx.quick ? 5 : 20, ctx.log);
        ctx.log(`  lag p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${lag.max} ms`);
        rows.push({
          figure: `${name}: expiry lag p99 (${count} contexts)`,
          value: lag.p99,
          unit: 'ms',
          target: { on: 'value', op: '<=', threshold: 1000 },
          note: `p50 ${lag.p50} ms, max ${lag.max} ms; reaper every 500 ms`,
        });
      }
      return { scenario: 'contexts', title: contexts.title, info, rows };
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    }
  },
};
