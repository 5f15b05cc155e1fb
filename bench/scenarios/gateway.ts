/**
 * gateway: `tools/call` through the gateway (`/mcp`, tool `echo__echo`) vs the same call sent straight to a
 * zero-latency local upstream (an SDK v2 server with one `echo` tool), at 50 connections, interleaved in one run.
 * The upstream is pinned to the server CPU; the gateway process is not pinned (it runs beside it), so the ratio is
 * what a client sees when it adds the gateway hop. mcp-hub comparison: not run (see docs/gateway.md).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../data/model.js';
import { OutputTail, track, waitForExit } from '../lib/children.js';
import { cpuPlan, pinned } from '../lib/cpu.js';
import type { ChildMessage } from '../lib/gateway-children.js';
import { toolCallBody, toolCallHeaders, type ToolCallParams } from '../lib/gateway-requests.js';
import { request } from '../lib/http.js';
import { medianRound, runInterleaved, runLoad, saturationNote, totalFailures, type LoadSpec } from '../lib/load.js';
import { optionalNote, type Row } from '../lib/report.js';
import { readMemory } from '../lib/rss.js';
import { environmentInfo, type Scenario } from '../lib/scenario.js';

const CONNECTIONS = 50;
/** The bar: memory stable over 100 000 calls. */
const SOAK_CALLS = 100_000;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, '..', 'lib', 'gateway-children.ts');
const GENERATOR = path.join(HERE, '..', 'lib', 'gateway-requests.ts');

interface Child {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

export async function startChild(role: 'upstream' | 'gateway', args: string[], pin: boolean): Promise<Child> {
  const base = ['--import', 'tsx', CHILD, role, ...args];
  const { command, args: argv } = pin
    ? pinned('server', process.execPath, base)
    : { command: process.execPath, args: base };
  const child = track(spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  const output = new OutputTail(40);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start\n${output.text()}`)), 30_000);
    child.once('message', (message: ChildMessage) => {
      clearTimeout(timer);
      if (message.type === 'listening') resolve(message.port);
      else reject(new Error(`${role} failed: ${message.message}\n${output.text()}`));
    });
    child.once('exit', (code) => reject(new Error(`${role} exited (${code})\n${output.text()}`)));
  });
  return {
    pid: child.pid ?? 0,
    port,
    async stop() {
      child.kill('SIGTERM');
      if ((await waitForExit(child, 5_000)) === null) child.kill('SIGKILL');
    },
  };
}

export const gatewayScenario: Scenario = {
  name: 'gateway',
  title: 'tools/call through the gateway vs directly to a zero-latency upstream (c=50)',
  async run(ctx) {
    const { sizes } = ctx;
    let upstream: Child | undefined;
    let gateway: Child | undefined;
    try {
      upstream = await startChild('upstream', [], true);
      gateway = await startChild('gateway', [String(upstream.port)], false);
      const direct = `http://127.0.0.1:${upstream.port}`;
      const through = `http://127.0.0.1:${gateway.port}`;
      ctx.log(`upstream :${upstream.port} (pid ${upstream.pid}), gateway :${gateway.port} (pid ${gateway.pid})`);
      for (const [base, tool] of [
        [direct, 'echo'],
        [through, 'echo__echo'],
      ] as const) {
        const reply = await request(`${base}/mcp`, {
          method: 'POST',
          headers: toolCallHeaders(tool),
          body: toolCallBody(tool),
        });
        const text = reply.body.toString();
        if (reply.status !== 200 || !text.includes('"ping"'))
          throw new Error(`${base} ${tool}: ${reply.status} ${text}`);
      }
      const spec = (base: string, params: ToolCallParams, connections = CONNECTIONS): LoadSpec => ({
        url: `${base}/mcp`,
        connections,
        durationSec: sizes.durationSec,
        method: 'POST',
        generator: { module: GENERATOR, exportName: 'toolCallRequests', params },
      });
      const runs = await runInterleaved(
        [
          { label: 'gateway', spec: spec(through, { path: '/mcp', tool: 'echo__echo' }), serverPid: gateway.pid },
          { label: 'direct', spec: spec(direct, { path: '/mcp', tool: 'echo' }), serverPid: upstream.pid },
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      // The hop's own latency, unloaded: at c=50 both sides queue, and the queue, not the hop, sets the p50.
      const single = await runInterleaved(
        [
          { label: 'gateway', spec: spec(through, { path: '/mcp', tool: 'echo__echo' }, 1), serverPid: gateway.pid },
          { label: 'direct', spec: spec(direct, { path: '/mcp', tool: 'echo' }, 1), serverPid: upstream.pid },
        ],
        { rounds: sizes.rounds, warmupSec: sizes.warmupSec, log: ctx.log },
      );
      const g1 = medianRound(single.get('gateway') ?? []);
      const d1 = medianRound(single.get('direct') ?? []);
      // Memory over a long run: resident size half-way through SOAK_CALLS calls (heap grown to its working size)
      // and at the end; a leak shows as growth over the second half.
      const soakCalls = ctx.quick ? 10_000 : SOAK_CALLS;
      const soakSpec = { ...spec(through, { path: '/mcp', tool: 'echo__echo' }), amount: soakCalls / 2 };
      const firstHalf = await runLoad(soakSpec);
      const before = readMemory(gateway.pid);
      const secondHalf = await runLoad(soakSpec);
      const after = readMemory(gateway.pid);
      ctx.log(
        `soak: ${firstHalf.total + secondHalf.total} calls; gateway RSS ${before?.rssMb.toFixed(1)} MiB half-way, ` +
          `${after?.rssMb.toFixed(1)} MiB at the end`,
      );
      const g = medianRound(runs.get('gateway') ?? []);
      const d = medianRound(runs.get('direct') ?? []);
      const failures = totalFailures([...runs.values(), ...single.values()].flat());
      const ratio = d.rps > 0 ? g.rps / d.rps : Number.NaN;
      ctx.log(
        `gateway/direct throughput ratio: ${(ratio * 100).toFixed(1)} %; added p50 ${(g.latency.p50 - d.latency.p50).toFixed(2)} ms`,
      );
      const rows: Row[] = [
        {
          figure: `throughput, c=${CONNECTIONS}`,
          value: g.rps,
          unit: 'req/s',
          baseline: { label: 'direct to upstream', value: d.rps },
          target: { on: 'ratio', op: '>=', threshold: 0.6 },
          ...optionalNote(saturationNote('gateway', g) ?? saturationNote('direct', d)),
        },
        {
          figure: 'latency p50',
          value: g.latency.p50,
          unit: 'ms',
          baseline: { label: 'direct to upstream', value: d.latency.p50 },
        },
        {
          figure: `added latency p50, c=${CONNECTIONS} (queueing)`,
          value: g.latency.p50 - d.latency.p50,
          unit: 'ms',
        },
        {
          figure: 'latency p50, c=1',
          value: g1.latency.p50,
          unit: 'ms',
          baseline: { label: 'direct to upstream, c=1', value: d1.latency.p50 },
        },
        {
          figure: 'added latency p50, c=1 (the hop)',
          value: g1.latency.p50 - d1.latency.p50,
          unit: 'ms',
          target: { on: 'value', op: '<=', threshold: 1 },
        },
        {
          figure: 'latency p99',
          value: g.latency.p99,
          unit: 'ms',
          baseline: { label: 'direct to upstream', value: d.latency.p99 },
        },
        {
          figure: `gateway RSS after ${soakCalls.toLocaleString('en-US')} soak calls`,
          value: after?.rssMb ?? Number.NaN,
          unit: 'MiB',
          baseline: { label: 'half-way', value: before?.rssMb ?? Number.NaN },
          target: { on: 'ratio', op: '<=', threshold: 1.1 },
        },
        {
          figure: 'non-2xx responses + errors',
          value:
            failures.non2xx +
            failures.errors +
            firstHalf.non2xx +
            firstHalf.errors +
            secondHalf.non2xx +
            secondHalf.errors,
          unit: '',
          target: { on: 'value', op: '<=', threshold: 0 },
        },
      ];
      return {
        scenario: 'gateway',
        title: this.title,
        info: [
          ...environmentInfo(ctx, cpuPlan().description),
          'both: POST /mcp, 2026-07-28 stateless tools/call {text: "ping"}; gateway → upstream over one pooled client',
          'upstream pinned to the server CPU; gateway unpinned; mcp-hub comparison not run',
        ],
        rows,
      };
    } finally {
      await gateway?.stop();
      await upstream?.stop();
    }
  },
};
