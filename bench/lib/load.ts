/**
 * autocannon wrapper.
 *
 * Why a child process and not autocannon's programmatic API in this process or in a worker thread: CPU affinity is
 * set per OS thread, and Node does not expose a worker thread's thread id, so a worker cannot be pinned reliably;
 * `taskset -c <load cpu> node --import tsx load-child.ts` pins the whole load generator (main thread, libuv and GC
 * threads) to the load CPU, gives it its own heap and event loop (the orchestrator's data sets and GC never disturb
 * it), and works the same when taskset is missing (it is then simply not pinned). The cost, ~300 ms of start-up per
 * run, is outside the measured window.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../data/model.js';
import { track, waitForExit } from './children.js';
import { pinned } from './cpu.js';
import { assertLoopback } from './http.js';
import type { LoadChildMessage, LoadSpec, LoadSummary } from './load-child.js';

export type { LoadSpec, LoadSummary } from './load-child.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-child.ts');

export async function runLoad(spec: LoadSpec): Promise<LoadSummary> {
  assertLoopback(spec.url);
  const { command, args } = pinned('load', process.execPath, ['--import', 'tsx', CHILD]);
  const child = track(spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  // Hard bound: the run's duration plus generous start-up and drain time.
  const deadlineMs = (spec.amount === undefined ? spec.durationSec + 60 : 900) * 1000;
  try {
    return await new Promise<LoadSummary>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`load generator did not finish within ${deadlineMs / 1000} s`));
      }, deadlineMs);
      child.once('message', (message: LoadChildMessage) => {
        clearTimeout(timer);
        if (message.type === 'result') resolve(message.summary);
        else reject(new Error(`load generator failed: ${message.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`load generator exited without a result (code ${code}, signal ${signal})`));
      });
      child.send(spec);
    });
  } finally {
    if ((await waitForExit(child, 5_000)) === null) child.kill('SIGKILL');
  }
}

/** Runs load against each target in turn, `rounds` times (interleaved: A B A B …), after one warm-up per target.
 * Interleaving spreads the machine's drift over both sides of a ratio. Returns every round per target. */
export async function runInterleaved(
  targets: readonly { label: string; spec: LoadSpec; serverPid?: number }[],
  options: { rounds: number; warmupSec: number; log?: (line: string) => void },
): Promise<Map<string, LoadSummary[]>> {
  const results = new Map<string, LoadSummary[]>(targets.map((target) => [target.label, []]));
  for (const target of targets) {
    if (options.warmupSec > 0) await runLoad({ ...target.spec, durationSec: options.warmupSec });
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      const cpuBefore = target.serverPid === undefined ? undefined : readCpuSeconds(target.serverPid);
      const summary = await runLoad(target.spec);
      const cpuAfter = target.serverPid === undefined ? undefined : readCpuSeconds(target.serverPid);
      if (cpuBefore !== undefined && cpuAfter !== undefined && summary.total > 0) {
        summary.serverCpuUsPerRequest = ((cpuAfter - cpuBefore) / summary.total) * 1e6;
      }
      results.get(target.label)?.push(summary);
      options.log?.(
        `  round ${round}/${options.rounds} ${target.label}: ${summary.rps.toFixed(0)} req/s, ` +
          `p50 ${summary.latency.p50} ms, p99 ${summary.latency.p99} ms, non-2xx ${summary.non2xx}, ` +
          `errors ${summary.errors}; load generator CPU ${summary.loadCpuPct.toFixed(0)} %` +
          (summary.serverCpuUsPerRequest === undefined
            ? ''
            : `, server CPU ${summary.serverCpuUsPerRequest.toFixed(0)} µs/request`),
      );
    }
  }
  return results;
}

let clockTicks: number | undefined;

/** utime + stime of a process in seconds, from /proc/<pid>/stat (Linux); undefined elsewhere. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (clockTicks === undefined) {
      const getconf = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
      clockTicks = Number(getconf.stdout.trim()) || 100;
    }
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** A note for a report when the load generator, not the server, was probably the bottleneck. */
export function saturationNote(label: string, run: LoadSummary): string | undefined {
  return run.loadCpuPct >= 90
    ? `the load generator used ${run.loadCpuPct.toFixed(0)} % of its CPU against ${label}: that figure is a lower bound`
    : undefined;
}

/** The round with the median throughput (a whole round, so that its latency figures belong to it). */
export function medianRound(rounds: readonly LoadSummary[]): LoadSummary {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error('no load rounds');
  return middle;
}

export function totalFailures(rounds: readonly LoadSummary[]): { non2xx: number; errors: number } {
  return rounds.reduce((acc, round) => ({ non2xx: acc.non2xx + round.non2xx, errors: acc.errors + round.errors }), {
    non2xx: 0,
    errors: 0,
  });
}
