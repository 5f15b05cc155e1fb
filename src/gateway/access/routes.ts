import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { principalOf, requireAuth } from '../../auth/http.js';
import { hasPermission } from '../../auth/permissions.js';
import { forbidden } from '../../platform/errors.js';
import type { GatewayAccessConfig } from './config.js';
import { PRM_PATH, resourceUrl } from './http.js';
import type { GatewayPolicyService } from './policy.js';

export interface GatewayAccessRoutesOptions {
  config: GatewayAccessConfig;
  policies: GatewayPolicyService;
  authenticator: Authenticator;
}

const PATTERN = Type.String({ minLength: 1, maxLength: 300, pattern: '^[^\\s]+$' });
const PolicyInput = Type.Object(
  {
    effect: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    subject: PATTERN,
    virtualServer: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\s/]+$' })),
    tool: PATTERN,
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
type PolicyInput = Static<typeof PolicyInput>;

/**
 * Protected Resource Metadata (RFC 9728) for the MCP endpoints, and the admin API of the gateway's allow/deny
 * rules (`/api/v1/gateway/policies`).
 */
export async function gatewayAccessRoutes(app: FastifyInstance, options: GatewayAccessRoutesOptions): Promise<void> {
  const { config } = options;
  const metadata = (request: FastifyRequest, path: string) => ({
    resource: resourceUrl(config, request, path),
    // Without an external issuer there is no OAuth server to name: credentials are API keys or registry tokens.
    authorization_servers: config.oauth ? [config.oauth.issuer] : [],
    bearer_methods_supported: ['header'],
    ...(config.oauth && config.oauth.scopes.length > 0 && { scopes_supported: config.oauth.scopes }),
    resource_name: 'Wharf MCP gateway',
  });
  const prm = { schema: { hide: true } };
  app.get(PRM_PATH, prm, async (request) => metadata(request, '/mcp'));
  app.get(`${PRM_PATH}/mcp`, prm, async (request) => metadata(request, '/mcp'));
  app.get<{ Params: { virtualServer: string } }>(`${PRM_PATH}/mcp/:virtualServer`, prm, async (request) =>
    metadata(request, `/mcp/${encodeURIComponent(request.params.virtualServer)}`),
  );
  app.get(`${PRM_PATH}/sse`, prm, async (request) => metadata(request, '/sse'));

  const admin = async (request: FastifyRequest) => {
    if (!hasPermission(principalOf(request).permissions, 'admin', '*')) {
      throw forbidden('Managing gateway policies needs the admin permission on *');
    }
  };
  const guarded = { preHandler: [requireAuth(options.authenticator), admin] };
  const tags = ['gateway'];
  app.get('/api/v1/gateway/policies', { ...guarded, schema: { tags, security: [{ bearerAuth: [] }] } }, async () => ({
    policies: options.policies.current(),
  }));
  app.post<{ Body: PolicyInput }>(
    '/api/v1/gateway/policies',
    { ...guarded, schema: { tags, security: [{ bearerAuth: [] }], body: PolicyInput } },
    async (request, reply) => {
      const { virtualServer, ...rest } = request.body;
      const policy = await options.policies.create({ ...rest, virtualServer: virtualServer ?? '*' });
      return reply.code(201).send(policy);
    },
  );
  app.delete<{ Params: { id: string } }>(
    '/api/v1/gateway/policies/:id',
    { ...guarded, schema: { tags, security: [{ bearerAuth: [] }] } },
    async (request, reply) => {
      await options.policies.remove(request.params.id);
      return reply.code(204).send();
    },
  );
}
