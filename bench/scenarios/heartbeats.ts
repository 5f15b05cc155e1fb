/**
 * heartbeats: `PUT /api/v1/instances/{id}/heartbeat` at c=50, cycling through 1 000 registered instances (each with
 * its own instance token), on SQLite. A heartbeat renews an in-memory lease: no database write unless the state
 * changes. Baseline: `GET /health` (no I/O) on the same Wharf process, same connections, interleaved rounds.
 * Then the same with leases in Redis (WHARF_REDIS_URL; one Lua script per heartbeat), redis-server pinned to the
 * server CPU next to Wharf, when redis-server is installed.
 * Targets: ≥ 5 000 heartbeats/s sustained and p99 ≤ 20 ms, for both.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRedisServer } from '../../test/support/redis-server.js';
import { track, waitForExit } from '../lib/children.js';
import { cpuPlan, pinned } from '../lib/cpu.js';
import { freePort, request, sleep } from '../lib/http.js';
import {
  medianRound,
  runInterleaved,
  saturationNote,
  totalFailures,
  type LoadSpec,
  type LoadSummary,
} from '../lib/load.js';
import { optionalNote, type Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';

const CONNECTIONS = 50;
const SERVER = 'com.example/bench-heartbeats';
const GENERATOR_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'heartbeat-requests.ts');

interface Measured {
  beat: LoadSummary;
  health: LoadSummary;
  failures: { non2xx: number; errors: number };
  instances: number;
}

/** One Wharf with the given lease settings: registers the instances, then heartbeat and /health rounds. */
async function measure(
  ctx: Parameters<Scenario['run']>[0],
  label: string,
  extraEnv: Record<string, string>,
): Promise<Measured> {
  const { sizes } = ctx;
  const instancesWanted = ctx.quick ? 200 : 1000;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-heartbeats-'));
  let wharf: WharfProcess | undefined;
  try {
    wharf = await startWharf({
      dataDir,
      label,
      // Long TTL: no instance may lapse while the /health rounds run; probes off: this measures heartbeats only.
      env: { WHARF_INSTANCE_TTL_SECONDS: '3600', WHARF_PROBES: 'false', ...extraEnv },
    });
    const auth = { authorization: `Bearer ${wharf.adminToken}`, 'content-type': 'application/json' };
    const published = await request(`${wharf.baseUrl}/v0/publish`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
        name: SERVER,
        description: 'heartbeat benchmark',
        version: '1.0.0',
      }),
    });
    if (published.status !== 200) throw new Error(`publish answered ${published.status}: ${published.body}`);
    const instances: { id: string; token: string }[] = [];
    for (let i = 0; i < instancesWanted; i++) {
      const res = await request(`${wharf.baseUrl}/api/v1/instances`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ server: SERVER, url: `https://i${i}.bench.example/mcp` }),
      });
      if (res.status !== 201) throw new Error(`register answered ${res.status}: ${res.body}`);
      instances.push(JSON.parse(res.body.toString()) as { id: string; token: string });
    }
    const first = instances[0]!;
    const smoke = await request(`${wharf.baseUrl}/api/v1/instances/${first.id}/heartbeat`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${first.token}` },
    });
    if (smoke.status !== 200) throw new Error(`heartbeat answered ${smoke.status}: ${smoke.body}`);
    ctx.log(`${label}: registered ${instances.length} instances`);

    const heartbeatSpec: LoadSpec = {
      url: `${wharf.baseUrl}/api/v1/instances`,
      connections: CONNECTIONS,
      durationSec: sizes.durationSec,
      generator: { module: GENERATOR_MODULE, exportName: 'heartbeatRequests', params: { instances } },
    };
    const healthSpec: LoadSpec = {
      url: `${wharf.baseUrl}/health`,
      connections: CONNECTIONS,
      durationSec: sizes.durationSec,
    };
    const runs = await runInterleaved(
      [
        { label: `${label} heartbeat`, spec: heartbeatSpec, serverPid: wharf.pid },
        { label: `${label} health`, spec: healthSpec, serverPid: wharf.pid },
      ],
      { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
    );
    wharf.assertAlive('the heartbeat load');
    return {
      beat: medianRound(runs.get(`${label} heartbeat`) ?? []),
      health: medianRound(runs.get(`${label} health`) ?? []),
      failures: totalFailures(runs.get(`${label} heartbeat`) ?? []),
      instances: instances.length,
    };
  } finally {
    await wharf?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function rowsOf(measured: Measured, where: string): Row[] {
  const { beat, health, failures } = measured;
  return [
    {
      figure: `heartbeats/s (2xx), c=${CONNECTIONS}, ${where}`,
      value: beat.ok / beat.durationSec,
      unit: '/s',
      baseline: { label: 'GET /health, same process', value: health.rps },
      target: { on: 'value', op: '>=', threshold: 5000 },
      ...optionalNote(saturationNote('Wharf', beat)),
    },
    {
      figure: `heartbeat p99 latency, c=${CONNECTIONS}, ${where}`,
      value: beat.latency.p99,
      unit: 'ms',
      baseline: { label: 'GET /health', value: health.latency.p99 },
      target: { on: 'value', op: '<=', threshold: 20 },
    },
    {
      figure: `heartbeat p50 latency, c=${CONNECTIONS}, ${where}`,
      value: beat.latency.p50,
      unit: 'ms',
      baseline: { label: 'GET /health', value: health.latency.p50 },
    },
    {
      figure: `server CPU per heartbeat, ${where}`,
      value: beat.serverCpuUsPerRequest ?? Number.NaN,
      unit: 'µs',
      baseline: { label: 'GET /health', value: health.serverCpuUsPerRequest ?? Number.NaN },
    },
    {
      figure: `non-2xx responses + errors (heartbeats), ${where}`,
      value: failures.non2xx + failures.errors,
      unit: '',
      target: { on: 'value', op: '<=', threshold: 0 },
    },
  ];
}

/** redis-server pinned to the server CPU (next to Wharf), without persistence. */
async function startPinnedRedis(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const binary = findRedisServer();
  if (!binary) return undefined;
  const port = await freePort();
  const { command, args } = pinned('server', binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '']);
  const child = track(spawn(command, args, { stdio: 'ignore' }));
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      if ((await waitForExit(child, 5_000)) === null) child.kill('SIGKILL');
    },
  };
}

export const heartbeats: Scenario = {
  name: 'heartbeats',
  title: `instance heartbeats (PUT /api/v1/instances/{id}/heartbeat, c=${CONNECTIONS}) on SQLite, leases in memory and in Redis`,
  async run(ctx) {
    const { sizes } = ctx;
    const memory = await measure(ctx, 'heartbeats', {});
    const rows = rowsOf(memory, 'leases in memory');
    const info: string[] = [];
    const redis = await startPinnedRedis();
    if (redis) {
      try {
        rows.push(...rowsOf(await measure(ctx, 'heartbeats-redis', { WHARF_REDIS_URL: redis.url }), 'leases in Redis'));
      } finally {
        await redis.stop();
      }
    } else {
      info.push('leases in Redis: SKIPPED (redis-server not installed)');
    }
    return {
      scenario: 'heartbeats',
      title: this.title,
      info: [
        ...environmentInfo(ctx, cpuPlan().description),
        `${memory.instances} registered instances, each heartbeat with its own instance token; TTL 3600 s; probes off`,
        `load: autocannon c=${CONNECTIONS}, ${sizes.rounds} interleaved round(s) of ${sizes.durationSec} s after ` +
          `${sizes.warmupSec} s warm-up; median round; redis-server (no persistence) pinned to the server CPU`,
        ...info,
      ],
      rows,
    };
  },
};
