import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { GatewayCallRecord } from '../access.js';

/** At most this many distinct tool (and upstream) label values; later ones are counted as `other`. */
const MAX_LABEL_VALUES = 200;

/** Label values admitted in order of first use, so a client inventing tool names cannot explode the series count. */
class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly limit: number) {}
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.limit) return 'other';
    this.seen.add(value);
    return value;
  }
}

export class GatewayAccessMetrics {
  readonly calls: Counter<'method' | 'upstream' | 'tool' | 'outcome'>;
  readonly latency: Histogram<'method' | 'upstream' | 'outcome'>;
  readonly rateLimited: Counter<'scope'>;
  private readonly tools = new BoundedLabel(MAX_LABEL_VALUES);
  private readonly upstreams = new BoundedLabel(MAX_LABEL_VALUES);

  constructor(registry: Registry) {
    this.calls = new Counter({
      name: 'wharf_gateway_calls_total',
      help: 'Gateway MCP calls by method, upstream, tool (capped; the rest are "other") and outcome',
      labelNames: ['method', 'upstream', 'tool', 'outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'wharf_gateway_call_duration_seconds',
      help: 'Gateway MCP call latency by method, upstream and outcome',
      labelNames: ['method', 'upstream', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.rateLimited = new Counter({
      name: 'wharf_gateway_rate_limited_total',
      help: 'Gateway requests and calls refused by a rate limit, by scope (requests, calls, tool)',
      labelNames: ['scope'],
      registers: [registry],
    });
  }

  observe(call: GatewayCallRecord): void {
    const upstream = this.upstreams.of(call.upstream);
    const method = 'tools/call';
    this.calls.inc({ method, upstream, tool: this.tools.of(call.tool), outcome: call.outcome });
    this.latency.observe({ method, upstream, outcome: call.outcome }, call.latencyMs / 1000);
  }
}
