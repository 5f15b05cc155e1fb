import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { loginRoutes } from './auth/login/routes.js';
import { createGatewayAccessLayer } from './gateway/access/http.js';
import { gatewayAccessRoutes } from './gateway/access/routes.js';
import { authRoutes } from './auth/routes.js';
import { Metrics } from './platform/observability/metrics.js';
import { createHttpServer } from './platform/http/server.js';
import { systemRoutes } from './platform/http/system-routes.js';
import { registryRoutes } from './registry/routes.js';
import { uiRoutes } from './ui/routes.js';
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
  // Loaded on demand: the MCP SDK is large, and CLI commands other than `serve` never need it.
  const [{ createMcpHost }, { mcpRoutes }] = await Promise.all([
    import('./mcp/wharf-host.js'),
    import('./mcp/routes.js'),
  ]);
  const gatewayAccess = await createGatewayAccessLayer({
    config: wharf.config.gatewayAccess,
    redisUrl: wharf.config.redisUrl,
    allowPrivateNetworks: wharf.config.allowPrivateNetworks,
    authenticator: wharf.authenticator,
    policies: wharf.gatewayPolicies,
    audit: wharf.auditTrail,
    logger: wharf.logger,
    registry: metrics.registry,
  });
  app.addHook('onClose', async () => gatewayAccess.close());
  await app.register(gatewayAccessRoutes, {
    config: wharf.config.gatewayAccess,
    policies: wharf.gatewayPolicies,
    authenticator: wharf.authenticator,
  });
  const mcp = createMcpHost(wharf, { access: gatewayAccess.access });
  app.decorate('mcp', mcp);
  await app.register(mcpRoutes, { host: mcp, authenticator: wharf.authenticator, guard: gatewayAccess.guard });
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
        });
        await scope.register(authRoutes, {
          tokens: wharf.tokens,
          anonymousAuth: wharf.config.anonymousAuth,
          apiVersion,
        });
        await scope.register(loginRoutes, { login: wharf.login, apiVersion });
      },
      { prefix: `/${apiVersion}` },
    );
  }
  await app.register(uiRoutes);
  return app;
}
