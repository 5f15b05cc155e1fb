import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { loginRoutes } from './auth/login/routes.js';
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
  const mcp = createMcpHost(wharf);
  app.decorate('mcp', mcp);
  await app.register(mcpRoutes, { host: mcp, authenticator: wharf.authenticator });
  const [{ createGatewayFederation }, { gatewayRoutes, legacySseRoutes }] = await Promise.all([
    import('./gateway/wiring.js'),
    import('./gateway/routes.js'),
  ]);
  const federation = await createGatewayFederation(wharf, mcp);
  app.addHook('onClose', async () => federation.close());
  await app.register(mcpRoutes, {
    host: mcp,
    authenticator: wharf.authenticator,
    hasVirtualServer: (name) => federation.hasVirtualServer(name),
  });
  await app.register(legacySseRoutes, { host: mcp, authenticator: wharf.authenticator });
  await app.register(gatewayRoutes, {
    prefix: '/api/v1/gateway',
    service: wharf.gateway,
    virtualServers: wharf.virtualServers,
    federation,
    authenticator: wharf.authenticator,
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
