import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.js';
import { problem, sendProblem } from './problem.js';

export interface SystemRoutesOptions {
  metrics: Metrics;
  /** Resolves when the process can serve traffic (database reachable); rejects with the reason otherwise. */
  ready: () => Promise<void>;
}

/** Liveness (no I/O), readiness (dependencies reachable) and Prometheus metrics. */
export async function systemRoutes(app: FastifyInstance, options: SystemRoutesOptions): Promise<void> {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async (request, reply) => {
    try {
      await options.ready();
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return sendProblem(reply, problem(503, `Not ready: ${(error as Error).message}`));
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
}
