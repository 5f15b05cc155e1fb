import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { authRoutes } from './auth/routes.js';
import { registerLivenessMetrics } from './liveness/metrics.js';
import { HEALTH_META_KEY } from './liveness/model.js';
import { livenessRoutes } from './liveness/routes.js';
import { Metrics } from './platform/observability/metrics.js';
import { createHttpServer } from './platform/http/server.js';
import { systemRoutes } from './platform/http/system-routes.js';
import { registryRoutes } from './registry/routes.js';
import { buildInfo } from './version.js';
import type { Wharf } from './wharf.js';

export const API_PREFIXES = ['v0', 'v0.1'] as const;

/** Builds the HTTP app over the services, without listening, so tests can `inject()` into it. */
export async function buildApp(wharf: Wharf): Promise<FastifyInstance> {
  const metrics = new Metrics();
  const app = await createHttpServer(wharf.logger, metrics);
  app.decorateRequest('principal', null);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Wharf',
        version: buildInfo.version,
        description:
          'Self-hosted control plane for MCP servers. `/v0` and `/v0.1` are wire-compatible with the official MCP Registry API.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(systemRoutes, { metrics, ready: () => wharf.database.ping() });
  registerLivenessMetrics(metrics.registry, wharf.liveness);
  const healthMeta = (name: string) => {
    const json = wharf.liveness.health.metaJson(name);
    return json === undefined ? undefined : `${JSON.stringify(HEALTH_META_KEY)}:${json}`;
  };
  await app.register(livenessRoutes, {
    prefix: '/api/v1',
    instances: wharf.liveness.instances,
    health: wharf.liveness.health,
    authenticator: wharf.authenticator,
    serverExists: (name: string) => wharf.liveness.serverExists(name),
  });
  for (const apiVersion of API_PREFIXES) {
    await app.register(
      async (scope) => {
        await scope.register(registryRoutes, {
          service: wharf.registry,
          cache: wharf.registryCache,
          authenticator: wharf.authenticator,
          apiVersion,
          githubClientId: wharf.config.githubClientId,
          version: buildInfo,
          extraMeta: healthMeta,
          healthNames: (health) => wharf.liveness.health.namesFor(health),
        });
        await scope.register(authRoutes, {
          tokens: wharf.tokens,
          anonymousAuth: wharf.config.anonymousAuth,
          apiVersion,
        });
      },
      { prefix: `/${apiVersion}` },
    );
  }
  return app;
}
