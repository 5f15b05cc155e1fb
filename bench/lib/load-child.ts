/**
 * Child-process entry of the load generator (started by load.ts through `taskset -c <load cpu> node --import tsx`).
 * It receives a LoadSpec over IPC, runs autocannon once, sends back a LoadSummary and exits.
 *
 * Request generators (e.g. unique publish bodies) cannot cross a process boundary as functions, so a spec names a
 * module and an export that builds the autocannon `requests` array inside this process.
 */
import autocannon from 'autocannon';
import { pathToFileURL } from 'node:url';

export interface LoadSpec {
  /** Full URL; its path is the default request path. Must be http://127.0.0.1. */
  url: string;
  connections: number;
  durationSec: number;
  /** When set, run exactly this many requests instead of for `durationSec` (soak runs). */
  amount?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Request paths (with query) cycled through in order by every connection. */
  paths?: string[];
  /** Module (absolute path) whose export `exportName(params)` returns autocannon requests. */
  generator?: { module: string; exportName: string; params: unknown };
  /** Per-request timeout. */
  timeoutSec?: number;
}

export interface LoadSummary {
  /** Responses per second over the whole run (2xx and non-2xx). */
  rps: number;
  total: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  /** autocannon records latencies in whole milliseconds (hdr histogram, lowest value 1 ms). */
  latency: { mean: number; p50: number; p90: number; p99: number; max: number };
  statusCodes: Record<string, number>;
  bytesPerSec: number;
  /** CPU used by the load generator itself, % of one core over the run; near 100 % means it, not the server, was the
   * bottleneck (the figure is then a lower bound for the server). */
  loadCpuPct: number;
  /** Set by runInterleaved when the target names its server process: server CPU time per response, microseconds. */
  serverCpuUsPerRequest?: number;
}

export type LoadChildMessage = { type: 'result'; summary: LoadSummary } | { type: 'error'; message: string };

async function run(spec: LoadSpec): Promise<LoadSummary> {
  const target = new URL(spec.url);
  if (target.hostname !== '127.0.0.1') throw new Error(`refusing to load ${spec.url}: loopback only`);
  let requests: autocannon.Request[] | undefined;
  if (spec.generator) {
    const mod = (await import(pathToFileURL(spec.generator.module).href)) as Record<string, unknown>;
    const build = mod[spec.generator.exportName];
    if (typeof build !== 'function')
      throw new Error(`${spec.generator.module} has no export ${spec.generator.exportName}`);
    requests = (build as (params: unknown) => autocannon.Request[])(spec.generator.params);
  } else if (spec.paths && spec.paths.length > 0) {
    requests = spec.paths.map((path) => ({ method: spec.method ?? 'GET', path }));
  }
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount === undefined ? { duration: spec.durationSec } : { amount: spec.amount }),
    pipelining: 1,
    timeout: spec.timeoutSec ?? 10,
    method: spec.method ?? 'GET',
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(requests ? { requests } : {}),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const statusCodes: Record<string, number> = {};
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  for (const [code, { count }] of Object.entries(stats)) statusCodes[code] = count;
  const total = result.requests.total;
  return {
    rps: result.duration > 0 ? total / result.duration : 0,
    total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
    latency: {
      mean: result.latency.average,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    statusCodes,
    bytesPerSec: result.throughput.average,
    loadCpuPct: result.duration > 0 ? ((cpu.user + cpu.system) / 1e6 / result.duration) * 100 : 0,
  };
}

/** Sends the outcome, then closes the channel once the message is flushed (which ends this process). */
function reply(message: LoadChildMessage): void {
  process.send?.(message, undefined, {}, () => process.disconnect?.());
}

process.once('message', (spec: LoadSpec) => {
  run(spec).then(
    (summary) => reply({ type: 'result', summary }),
    (error: unknown) =>
      reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.once('disconnect', () => process.exit(0));
