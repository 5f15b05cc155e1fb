/**
 * gateway-peers: the gateway scenario's call (`echo` on a zero-latency SDK v2 upstream) through Wharf and through
 * mcp-hub (npm), a TypeScript hub that aggregates servers behind one endpoint. mcp-hub speaks only the 2025-era
 * HTTP+SSE transport downstream (GET /mcp + POST /messages, results on the stream), so this scenario drives every
 * target with real MCP SDK clients holding sessions (bench/lib/session-load-child.ts), 50 of them in closed loops:
 *  - direct: a 2025-era Streamable HTTP session straight to the upstream (the baseline);
 *  - Wharf /sse: the same transport mcp-hub serves, through Wharf's gateway;
 *  - mcp-hub /mcp.
 * mcp-hub is installed on first use into bench/.cache/mcp-hub (network needed once); without it the scenario says so.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { REPO_ROOT } from '../data/model.js';
import { OutputTail, track, waitForExit } from '../lib/children.js';
import { CACHE_ROOT } from '../lib/dataset.js';
import { cpuPlan, pinned } from '../lib/cpu.js';
import { median } from '../lib/stats.js';
import type { Row } from '../lib/report.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';
import type { SessionLoadMessage, SessionLoadSpec, SessionLoadSummary } from '../lib/session-load-child.js';
import { startChild } from './gateway.js';

const CONNECTIONS = 50;
const MCP_HUB_VERSION = '4.2.1';
const HUB_DIR = path.join(CACHE_ROOT, 'mcp-hub');
const HUB_CLI = path.join(HUB_DIR, 'node_modules', 'mcp-hub', 'dist', 'cli.js');
const LOAD_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'session-load-child.ts');

function installMcpHub(log: (line: string) => void): string | undefined {
  if (fs.existsSync(HUB_CLI)) return undefined;
  log(`installing mcp-hub@${MCP_HUB_VERSION} into ${path.relative(REPO_ROOT, HUB_DIR)}`);
  fs.mkdirSync(HUB_DIR, { recursive: true });
  const npm = spawnSync(
    'npm',
    ['install', '--no-save', '--no-package-lock', '--prefix', HUB_DIR, `mcp-hub@${MCP_HUB_VERSION}`],
    {
      encoding: 'utf8',
      timeout: 180_000,
    },
  );
  if (npm.status === 0 && fs.existsSync(HUB_CLI)) return undefined;
  return `mcp-hub could not be installed (${(npm.stderr || npm.error?.message || 'npm failed').trim().split('\n').at(-1)})`;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts mcp-hub with the upstream configured; resolves once a client sees the upstream's tool through it. */
async function startMcpHub(upstreamPort: number): Promise<{ url: string; tool: string; stop(): Promise<void> }> {
  const port = await freePort();
  const state = path.join(HUB_DIR, 'state');
  fs.mkdirSync(state, { recursive: true });
  const config = path.join(HUB_DIR, 'bench-config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ mcpServers: { echo: { type: 'streamable-http', url: `http://127.0.0.1:${upstreamPort}/mcp` } } }),
  );
  const env = { ...process.env, HOME: state, XDG_STATE_HOME: state, XDG_CONFIG_HOME: state, XDG_DATA_HOME: state };
  const base = [HUB_CLI, '--port', String(port), '--config', config];
  // Unpinned, like Wharf's gateway child: each hub runs beside the pinned upstream.
  const child = track(spawn(process.execPath, base, { cwd: HUB_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const output = new OutputTail(40);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const url = `http://127.0.0.1:${port}/mcp`;
  const stop = async () => {
    child.kill('SIGTERM');
    if ((await waitForExit(child, 5_000)) === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 60_000;
  let lastError = 'not started';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const client = new Client({ name: 'wharf-bench', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
    try {
      await client.connect(new SSEClientTransport(new URL(url)));
      const { tools } = await client.listTools();
      const tool = tools.find((t) => t.name.endsWith('echo'))?.name;
      await client.close();
      if (tool) return { url, tool, stop };
      lastError = `no echo tool yet (${tools.map((t) => t.name).join(', ') || 'no tools'})`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      await client.close().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await stop();
  throw new Error(`mcp-hub did not serve the upstream's tool: ${lastError}\n${output.text()}`);
}

async function runSessionLoad(spec: SessionLoadSpec): Promise<SessionLoadSummary> {
  const { command, args } = pinned('load', process.execPath, ['--import', 'tsx', LOAD_CHILD]);
  const child = track(spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    return await new Promise<SessionLoadSummary>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('session load generator timed out')),
        (spec.durationSec + 90) * 1000,
      );
      child.once('message', (message: SessionLoadMessage) => {
        clearTimeout(timer);
        if (message.type === 'result') resolve(message.summary);
        else reject(new Error(`session load generator failed: ${message.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`session load generator exited (${code})`));
      });
      child.send(spec);
    });
  } finally {
    if ((await waitForExit(child, 5_000)) === null) child.kill('SIGKILL');
  }
}

export const gatewayPeers: Scenario = {
  name: 'gateway-peers',
  title: 'tools/call over 2025-era sessions: Wharf /sse vs mcp-hub, both against the direct upstream (c=50)',
  async run(ctx) {
    const { sizes } = ctx;
    const installProblem = installMcpHub(ctx.log);
    if (installProblem) throw new Error(installProblem);
    const upstream = await startChild('upstream', [], true);
    const gateway = await startChild('gateway', [String(upstream.port)], false);
    let hub: Awaited<ReturnType<typeof startMcpHub>> | undefined;
    try {
      hub = await startMcpHub(upstream.port);
      ctx.log(`upstream :${upstream.port}, Wharf :${gateway.port}, mcp-hub ${hub.url} (tool ${hub.tool})`);
      const targets: { label: string; spec: Omit<SessionLoadSpec, 'durationSec'> }[] = [
        {
          label: 'direct',
          spec: {
            url: `http://127.0.0.1:${upstream.port}/mcp`,
            transport: 'streamable-http',
            tool: 'echo',
            connections: CONNECTIONS,
          },
        },
        {
          label: 'wharf',
          spec: {
            url: `http://127.0.0.1:${gateway.port}/sse`,
            transport: 'sse',
            tool: 'echo__echo',
            connections: CONNECTIONS,
          },
        },
        { label: 'mcp-hub', spec: { url: hub.url, transport: 'sse', tool: hub.tool, connections: CONNECTIONS } },
      ];
      const results = new Map<string, SessionLoadSummary[]>(targets.map((t) => [t.label, []]));
      for (const target of targets) await runSessionLoad({ ...target.spec, durationSec: sizes.warmupSec });
      for (let round = 1; round <= sizes.rounds; round++) {
        for (const target of targets) {
          const summary = await runSessionLoad({ ...target.spec, durationSec: sizes.durationSec });
          results.get(target.label)?.push(summary);
          ctx.log(
            `  round ${round}/${sizes.rounds} ${target.label}: ${summary.rps.toFixed(0)} calls/s, ` +
              `p50 ${summary.latency.p50.toFixed(1)} ms, p99 ${summary.latency.p99.toFixed(1)} ms, ` +
              `errors ${summary.errors}${summary.firstError ? ` (${summary.firstError})` : ''}; ` +
              `load generator CPU ${summary.loadCpuPct.toFixed(0)} %`,
          );
        }
      }
      const rps = (label: string) => median((results.get(label) ?? []).map((s) => s.rps));
      const p50 = (label: string) => median((results.get(label) ?? []).map((s) => s.latency.p50));
      const errors = [...results.values()].flat().reduce((sum, s) => sum + s.errors, 0);
      const rows: Row[] = [
        { figure: 'direct (2025-era session)', value: rps('direct'), unit: 'calls/s' },
        {
          figure: 'Wharf gateway, /sse',
          value: rps('wharf'),
          unit: 'calls/s',
          baseline: { label: 'direct', value: rps('direct') },
        },
        {
          figure: 'mcp-hub, /mcp (SSE)',
          value: rps('mcp-hub'),
          unit: 'calls/s',
          baseline: { label: 'direct', value: rps('direct') },
        },
        {
          figure: 'Wharf vs mcp-hub throughput',
          value: rps('wharf'),
          unit: 'calls/s',
          baseline: { label: 'mcp-hub', value: rps('mcp-hub') },
        },
        {
          figure: 'latency p50, Wharf /sse',
          value: p50('wharf'),
          unit: 'ms',
          baseline: { label: 'mcp-hub', value: p50('mcp-hub') },
        },
        { figure: 'failed calls', value: errors, unit: '', target: { on: 'value', op: '<=', threshold: 0 } },
      ];
      return {
        scenario: 'gateway-peers',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          `mcp-hub ${MCP_HUB_VERSION} (npm), Wharf gateway in-process child; upstream pinned to the server CPU, both hubs unpinned`,
          `${CONNECTIONS} MCP SDK clients with their own sessions, closed loop; a call counts when its result arrives`,
        ],
        rows,
      };
    } finally {
      await hub?.stop();
      await gateway.stop();
      await upstream.stop();
    }
  },
};
