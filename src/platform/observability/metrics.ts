import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (its own registry, so tests can build many apps). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Context store operations by outcome (`ok` or an error code) and backend. */
  readonly contextOperations: Record<'create' | 'read' | 'update' | 'delete', Counter<'outcome' | 'backend'>>;
  readonly contextExpired: Counter<'backend'>;
  readonly contextStoreDuration: Histogram<'operation' | 'backend'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'wharf_' });
    this.httpRequests = new Counter({
      name: 'wharf_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'wharf_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    const contextCounter = (operation: string) =>
      new Counter({
        name: `wharf_context_${operation}_total`,
        help: `Context ${operation} operations by outcome and backend`,
        labelNames: ['outcome', 'backend'],
        registers: [this.registry],
      });
    this.contextOperations = {
      create: contextCounter('create'),
      read: contextCounter('read'),
      update: contextCounter('update'),
      delete: contextCounter('delete'),
    };
    this.contextExpired = new Counter({
      name: 'wharf_context_expired_total',
      help: 'Contexts removed by the reaper because their TTL ran out',
      labelNames: ['backend'],
      registers: [this.registry],
    });
    this.contextStoreDuration = new Histogram({
      name: 'wharf_context_store_duration_seconds',
      help: 'Context store call latency by operation and backend',
      labelNames: ['operation', 'backend'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
  }
}
