import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { loginRoutes } from './auth/login/routes.js';
import { installAuditTrail } from './audit/http.js';
import { auditRoutes } from './audit/routes.js';
import { installPrivateReads } from './auth/http.js';
import { createGatewayAccessLayer } from './gateway/access/http.js';
import { gatewayAccessRoutes } from './gateway/access/routes.js';
import { authRoutes } from './auth/routes.js';
import { keyExchangeRoutes, keysRoutes } from './keys/routes.js';
import { installAuthRateLimit, publishRateLimit } from './limits/http.js';
import { contextRoutes } from './contexts/routes.js';
import { registerLivenessMetrics } from './liveness/metrics.js';
import { HEALTH_META_KEY } from './liveness/model.js';
import { livenessRoutes } from './liveness/routes.js';
import { Metrics } from './platform/observability/metrics.js';
import { createHttpServer } from './platform/http/server.js';
import { systemRoutes } from './platform/http/system-routes.js';
import { registryRoutes } from './registry/routes.js';
import { uiRoutes } from './ui/routes.js';
import { searchRoutes } from './registry/search/routes.js';
import { buildInfo } from './version.js';
import type { Wharf } from './wharf.js';

export const API_PREFIXES = ['v0', 'v0.1'] as const;

/** Builds the HTTP app over the services, without listening, so tests can `inject()` into it. */
export async function buildApp(wharf: Wharf): Promise<FastifyInstance> {
  const metrics = new Metrics();
  wharf.syncJob?.registerMetrics(metrics.registry);
  const app = await createHttpServer(wharf.logger, metrics);
  app.decorateRequest('principal', null);
  installAuthRateLimit(app, wharf.rateLimits);
  if (wharf.config.registryRead === 'authenticated') installPrivateReads(app, wharf.authenticator);
  installAuditTrail(app, wharf.audit);

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
    bindHost: wharf.config.host,
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
  const [{ createGatewayFederation }, { gatewayRoutes, legacySseRoutes }] = await Promise.all([
    import('./gateway/wiring.js'),
    import('./gateway/routes.js'),
  ]);
  const federation = await createGatewayFederation(wharf, mcp, gatewayAccess.access);
  app.addHook('onClose', async () => federation.close());
  await app.register(mcpRoutes, {
    host: mcp,
    authenticator: wharf.authenticator,
    guard: gatewayAccess.guard,
    hasVirtualServer: (name) => federation.hasVirtualServer(name),
  });
  await app.register(legacySseRoutes, { host: mcp, authenticator: wharf.authenticator, guard: gatewayAccess.guard });
  await app.register(gatewayRoutes, {
    prefix: '/api/v1/gateway',
    service: wharf.gateway,
    virtualServers: wharf.virtualServers,
    federation,
    authenticator: wharf.authenticator,
  });
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
          publishLimit: publishRateLimit(wharf.rateLimits),
          extraMeta: healthMeta,
          healthNames: (health) => wharf.liveness.health.namesFor(health),
        });
        await scope.register(authRoutes, {
          tokens: wharf.tokens,
          anonymousAuth: wharf.config.anonymousAuth,
          apiVersion,
        });
        await scope.register(loginRoutes, { login: wharf.login, apiVersion });
        await scope.register(keyExchangeRoutes, { keys: wharf.keys, apiVersion });
      },
      { prefix: `/${apiVersion}` },
    );
  }
  await app.register(uiRoutes);
  await app.register(
    async (scope) => {
      await scope.register(keysRoutes, { keys: wharf.keys, authenticator: wharf.authenticator });
      await scope.register(auditRoutes, { audit: wharf.audit, authenticator: wharf.authenticator });
    },
    { prefix: '/api/v1' },
  );
  wharf.contexts.instrument(metrics);
  await app.register(contextRoutes, {
    prefix: '/api/v1',
    service: wharf.contexts,
    authenticator: wharf.authenticator,
  });
  await app.register(searchRoutes, {
    prefix: '/api/v1/registry',
    service: wharf.registry,
    cache: wharf.registryCache,
  });
  return app;
}
