/**
 * heartbeats: `PUT /api/v1/instances/{id}/heartbeat` at c=50, cycling through 1 000 registered instances (each with
 * its own instance token), on SQLite. A heartbeat renews an in-memory lease: no database write unless the state
 * changes. Baseline: `GET /health` (no I/O) on the same Wharf process, same connections, interleaved rounds.
 * Targets: ≥ 5 000 heartbeats/s sustained and p99 ≤ 20 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPlan } from '../lib/cpu.js';
import { request } from '../lib/http.js';
import { medianRound, runInterleaved, saturationNote, totalFailures, type LoadSpec } from '../lib/load.js';
import { optionalNote, type Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';

const CONNECTIONS = 50;
const SERVER = 'com.example/bench-heartbeats';
const GENERATOR_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'heartbeat-requests.ts');

export const heartbeats: Scenario = {
  name: 'heartbeats',
  title: `instance heartbeats (PUT /api/v1/instances/{id}/heartbeat, c=${CONNECTIONS}) on SQLite`,
  async run(ctx) {
    const { sizes } = ctx;
    const instancesWanted = ctx.quick ? 200 : 1000;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-heartbeats-'));
    let wharf: WharfProcess | undefined;
    try {
      wharf = await startWharf({
        dataDir,
        label: 'heartbeats',
        // Long TTL: no instance may lapse while the /health rounds run; probes off: this measures heartbeats only.
        env: { WHARF_INSTANCE_TTL_SECONDS: '3600', WHARF_PROBES: 'false' },
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
      ctx.log(`registered ${instances.length} instances`);

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
          { label: 'heartbeat', spec: heartbeatSpec, serverPid: wharf.pid },
          { label: 'health', spec: healthSpec, serverPid: wharf.pid },
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      wharf.assertAlive('the heartbeat load');
      const beat = medianRound(runs.get('heartbeat') ?? []);
      const health = medianRound(runs.get('health') ?? []);
      const failures = totalFailures(runs.get('heartbeat') ?? []);
      const rows: Row[] = [
        {
          figure: `heartbeats/s (2xx), c=${CONNECTIONS}`,
          value: beat.ok / beat.durationSec,
          unit: '/s',
          baseline: { label: 'GET /health, same process', value: health.rps },
          target: { on: 'value', op: '>=', threshold: 5000 },
          ...optionalNote(saturationNote('Wharf', beat)),
        },
        {
          figure: `heartbeat p99 latency, c=${CONNECTIONS}`,
          value: beat.latency.p99,
          unit: 'ms',
          baseline: { label: 'GET /health', value: health.latency.p99 },
          target: { on: 'value', op: '<=', threshold: 20 },
        },
        {
          figure: `heartbeat p50 latency, c=${CONNECTIONS}`,
          value: beat.latency.p50,
          unit: 'ms',
          baseline: { label: 'GET /health', value: health.latency.p50 },
        },
        {
          figure: 'server CPU per heartbeat',
          value: beat.serverCpuUsPerRequest ?? Number.NaN,
          unit: 'µs',
          baseline: { label: 'GET /health', value: health.serverCpuUsPerRequest ?? Number.NaN },
        },
        {
          figure: 'non-2xx responses + errors (heartbeats)',
          value: failures.non2xx + failures.errors,
          unit: '',
          target: { on: 'value', op: '<=', threshold: 0 },
        },
      ];
      return {
        scenario: 'heartbeats',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          `${instances.length} registered instances, each heartbeat with its own instance token; TTL 3600 s; probes off`,
          `load: autocannon c=${CONNECTIONS}, ${sizes.rounds} interleaved round(s) of ${sizes.durationSec} s after ` +
            `${sizes.warmupSec} s warm-up; median round`,
        ],
        rows,
      };
    } finally {
      await wharf?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
