/**
 * liveness-probes: Wharf probing 5 000 targets (registered instances pointing at local fake MCP endpoints, half
 * modern-era, half legacy-era so every other probe falls back to the four-request legacy handshake) every 30 s, on
 * SQLite. Measures the CPU share of one core that the Wharf process uses over whole probe intervals once every
 * target has been probed, next to the same Wharf with the same 5 000 instances and probes off (the baseline, run
 * right before). Target: < 25 % of one core.
 *
 * The fake endpoints run in one separate process on the load CPU (50 ports × 100 paths), so their cost is not
 * counted; Wharf runs pinned to the server CPU.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../data/model.js';
import { track, waitForExit } from '../lib/children.js';
import { cpuPlan, pinned } from '../lib/cpu.js';
import type { FakeMcpConfig, FakeMcpMessage } from '../lib/fake-mcp-child.js';
import { request } from '../lib/http.js';
import { readCpuSeconds } from '../lib/load.js';
import type { Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import { startWharf, type WharfProcess } from '../lib/wharf.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'fake-mcp-child.ts');
const SERVER = 'com.example/bench-probes';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startFakes(config: FakeMcpConfig): Promise<{ ports: number[]; stop(): Promise<void> }> {
  const { command, args } = pinned('load', process.execPath, ['--import', 'tsx', CHILD]);
  const child = track(spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.once('message', (m: FakeMcpMessage) =>
      m.type === 'listening' ? resolve(m.ports) : reject(new Error(m.message)),
    );
    child.once('exit', (code) => reject(new Error(`fake MCP servers exited with ${code}`)));
    child.send(config);
  });
  return {
    ports,
    async stop() {
      child.kill('SIGTERM');
      if ((await waitForExit(child, 5000)) === null) child.kill('SIGKILL');
    },
  };
}

async function metric(wharf: WharfProcess, pattern: RegExp): Promise<number> {
  const body = (await request(`${wharf.baseUrl}/metrics`)).body.toString();
  let total = 0;
  for (const line of body.split('\n')) {
    const match = pattern.exec(line);
    if (match?.[1]) total += Number(match[1]);
  }
  return total;
}

export const livenessProbes: Scenario = {
  name: 'liveness-probes',
  title: 'active MCP probes of 5 000 targets (both eras) every 30 s on SQLite: Wharf CPU share',
  async run(ctx) {
    const targets = ctx.quick ? 1000 : 5000;
    const intervalSec = ctx.quick ? 10 : 30;
    const measureIntervals = ctx.quick ? 1 : 2;
    const ports = 50;
    const fakes = await startFakes({ ports, pathsPerPort: targets / ports });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-probes-'));
    let wharf: WharfProcess | undefined;
    try {
      const measure = async (probes: boolean, label: string) => {
        wharf = await startWharf({
          dataDir,
          label,
          env: {
            WHARF_ALLOW_PRIVATE_NETWORKS: 'true',
            WHARF_INSTANCE_TTL_SECONDS: '86400',
            WHARF_PROBES: String(probes),
            WHARF_PROBE_INTERVAL_SECONDS: String(intervalSec),
            WHARF_LOG_LEVEL: process.env.WHARF_LOG_LEVEL ?? 'warn',
          },
        });
        return wharf;
      };

      // Populate once (probes off), so the measured process starts with its 5 000 instances in the database.
      const setup = await measure(false, 'liveness-probes-baseline');
      const auth = { authorization: `Bearer ${setup.adminToken}`, 'content-type': 'application/json' };
      const published = await request(`${setup.baseUrl}/v0/publish`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
          name: SERVER,
          description: 'probe benchmark',
          version: '1.0.0',
        }),
      });
      if (published.status !== 200) throw new Error(`publish answered ${published.status}: ${published.body}`);
      for (let i = 0; i < targets; i++) {
        const port = fakes.ports[i % ports]!;
        const res = await request(`${setup.baseUrl}/api/v1/instances`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ server: SERVER, url: `http://127.0.0.1:${port}/mcp/${i}` }),
        });
        if (res.status !== 201) throw new Error(`register answered ${res.status}: ${res.body}`);
      }
      ctx.log(`registered ${targets} instances on ${ports} fake MCP ports`);
      const windowSec = intervalSec * measureIntervals;
      // Baseline: the same process, same data, probes off.
      const baseBefore = readCpuSeconds(setup.pid) ?? Number.NaN;
      await sleep(windowSec * 1000);
      const baseCpu = ((readCpuSeconds(setup.pid) ?? Number.NaN) - baseBefore) / windowSec;
      await setup.stop();

      const probing = await measure(true, 'liveness-probes');
      ctx.log(`probes on: waiting one interval (${intervalSec} s) for the staggered first round`);
      await sleep(intervalSec * 1000 + 2000);
      const probesBefore = await metric(probing, /^wharf_liveness_probes_total\{[^}]*\} (\d+)/);
      const cpuBefore = readCpuSeconds(probing.pid) ?? Number.NaN;
      const started = performance.now();
      await sleep(windowSec * 1000);
      const elapsed = (performance.now() - started) / 1000;
      const cpu = ((readCpuSeconds(probing.pid) ?? Number.NaN) - cpuBefore) / elapsed;
      const probesDone = (await metric(probing, /^wharf_liveness_probes_total\{[^}]*\} (\d+)/)) - probesBefore;
      const passing = await metric(probing, /^wharf_liveness_probe_targets\{status="passing"\} (\d+)/);
      const modern = await metric(probing, /^wharf_liveness_probes_total\{status="passing",era="modern"\} (\d+)/);
      probing.assertAlive('the probe window');
      await probing.stop();
      wharf = undefined;

      const rows: Row[] = [
        {
          figure: `Wharf CPU, ${targets} targets every ${intervalSec} s`,
          value: cpu * 100,
          unit: '%',
          baseline: { label: 'same Wharf and data, probes off', value: baseCpu * 100 },
          target: { on: 'value', op: '<=', threshold: 25 },
        },
        {
          figure: 'probes per second (measured window)',
          value: probesDone / elapsed,
          unit: '/s',
          baseline: { label: 'targets / interval', value: targets / intervalSec },
        },
        {
          figure: 'targets passing at the end',
          value: passing,
          unit: '',
          baseline: { label: 'targets', value: targets },
          target: { on: 'ratio', op: '>=', threshold: 0.99 },
        },
        { figure: 'modern-era probes since start', value: modern, unit: '' },
        {
          figure: 'CPU per probe',
          value: probesDone > 0 ? ((cpu - baseCpu) * elapsed * 1e6) / probesDone : Number.NaN,
          unit: 'µs',
        },
      ];
      return {
        scenario: 'liveness-probes',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          `${targets} instances on ${ports} loopback ports of one fake MCP process (half modern, half legacy)`,
          `window: ${windowSec} s after one full staggered interval; CPU = utime+stime of the Wharf process / wall time`,
        ],
        rows,
      };
    } finally {
      await (wharf as WharfProcess | undefined)?.stop();
      await fakes.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
