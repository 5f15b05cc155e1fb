/**
 * Child-process load generator for session-based MCP endpoints (2025-era Streamable HTTP sessions, HTTP+SSE),
 * which autocannon cannot drive: with HTTP+SSE the POST only says "accepted" and the result arrives on the SSE
 * stream. Each of `connections` real MCP SDK clients opens its own session and calls one tool in a closed loop; a
 * call counts when its result is back. Started pinned to the load CPU like load-child.ts; spec in, summary out over
 * IPC.
 */
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/client';
import { summarise } from './stats.js';

export interface SessionLoadSpec {
  url: string;
  transport: 'streamable-http' | 'sse';
  tool: string;
  connections: number;
  durationSec: number;
}

export interface SessionLoadSummary {
  rps: number;
  completed: number;
  errors: number;
  firstError?: string;
  latency: { p50: number; p99: number };
  /** CPU of this generator, % of one core; near 100 % means it, not the target, was the limit. */
  loadCpuPct: number;
}

export type SessionLoadMessage = { type: 'result'; summary: SessionLoadSummary } | { type: 'error'; message: string };

async function connect(spec: SessionLoadSpec): Promise<Client> {
  const client = new Client({ name: 'wharf-bench', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
  const url = new URL(spec.url);
  const transport: Transport =
    spec.transport === 'sse' ? new SSEClientTransport(url) : new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  return client;
}

async function run(spec: SessionLoadSpec): Promise<SessionLoadSummary> {
  const clients = await Promise.all(Array.from({ length: spec.connections }, () => connect(spec)));
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + spec.durationSec * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline) {
        const begun = performance.now();
        try {
          const result = await client.callTool({ name: spec.tool, arguments: { text: 'ping' } });
          if (result.isError) throw new Error(JSON.stringify(result.content));
          latencies.push(performance.now() - begun);
        } catch (error) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const elapsedSec = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  const stats = summarise(latencies);
  return {
    rps: latencies.length / elapsedSec,
    completed: latencies.length,
    errors,
    ...(firstError !== undefined && { firstError }),
    latency: { p50: stats.p50, p99: stats.p99 },
    loadCpuPct: ((cpu.user + cpu.system) / 1e6 / elapsedSec) * 100,
  };
}

process.once('message', (spec: SessionLoadSpec) => {
  run(spec).then(
    (summary) => process.send?.({ type: 'result', summary } satisfies SessionLoadMessage, () => process.exit(0)),
    (error: unknown) =>
      process.send?.(
        { type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies SessionLoadMessage,
        () => process.exit(1),
      ),
  );
});
