/**
 * CPU pinning. The measurement machines have 2 cores: the server under test (Wharf or the raw baseline) runs on one,
 * the load generator (and this orchestrating process, which is idle while autocannon runs) on the other, so that they
 * do not steal cycles from each other. `taskset` (util-linux) does the pinning; without it, or with fewer than two
 * usable CPUs, everything runs unpinned and the report says so.
 */
import { spawnSync } from 'node:child_process';

export interface CpuPlan {
  pinned: boolean;
  /** CPU for the server under test. */
  serverCpu?: number;
  /** CPU for load generators and this process. */
  loadCpu?: number;
  /** Human-readable explanation, printed in the report header. */
  description: string;
}

let plan: CpuPlan | undefined;

/** Parses a CPU list such as "0-3,6" into [0, 1, 2, 3, 6]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const [from, to] = part.split('-').map((value) => Number(value.trim()));
    if (from === undefined || !Number.isInteger(from)) continue;
    const end = to !== undefined && Number.isInteger(to) ? to : from;
    for (let cpu = from; cpu <= end && cpu - from < 4096; cpu++) cpus.push(cpu);
  }
  return cpus;
}

export function cpuPlan(): CpuPlan {
  if (plan) return plan;
  if (process.platform !== 'linux') {
    plan = { pinned: false, description: `not pinned (taskset is Linux-only, platform is ${process.platform})` };
    return plan;
  }
  const probe = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    plan = { pinned: false, description: 'not pinned (taskset not available; install util-linux)' };
    return plan;
  }
  // "pid 123's current affinity list: 0,1"
  const cpus = parseCpuList(probe.stdout.split(':').pop() ?? '');
  const [serverCpu, loadCpu] = cpus;
  if (serverCpu === undefined || loadCpu === undefined) {
    plan = { pinned: false, description: `not pinned (only ${cpus.length} usable CPU)` };
    return plan;
  }
  plan = {
    pinned: true,
    serverCpu,
    loadCpu,
    description: `server on CPU ${serverCpu}, load generator on CPU ${loadCpu} (taskset)`,
  };
  return plan;
}

/** Prefixes a command with `taskset -c <cpu>` when pinning is available. */
export function pinned(role: 'server' | 'load', command: string, args: string[]): { command: string; args: string[] } {
  const current = cpuPlan();
  const cpu = role === 'server' ? current.serverCpu : current.loadCpu;
  if (!current.pinned || cpu === undefined) return { command, args };
  return { command: 'taskset', args: ['-c', String(cpu), command, ...args] };
}

/** Moves every thread of this process to the load-generator CPU (so that client-side timing never competes with the
 * server). Children spawned afterwards inherit it unless they are spawned through pinned('server', …). */
export function pinSelfToLoadCpu(): void {
  const current = cpuPlan();
  if (!current.pinned || current.loadCpu === undefined) return;
  const result = spawnSync('taskset', ['-a', '-c', '-p', String(current.loadCpu), String(process.pid)], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    plan = {
      ...current,
      description: `${current.description}; could not pin the orchestrator: ${result.stderr.trim()}`,
    };
  }
}
