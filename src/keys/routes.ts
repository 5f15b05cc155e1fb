import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuditRoute } from '../audit/http.js';
import type { Authenticator } from '../auth/authenticator.js';
import { principalOf, requireBearer } from '../auth/http.js';
import type { Action } from '../auth/permissions.js';
import type { ApiKey } from './model.js';
import type { ApiKeyService } from './service.js';

const ACTIONS = ['publish', 'edit', 'admin', 'context_reader', 'context_writer'] as const;

const permission = Type.Object(
  {
    action: Type.Union(ACTIONS.map((a) => Type.Literal(a))),
    resource: Type.String({ minLength: 1, maxLength: 200, description: 'Name pattern: exact, prefix* or *' }),
  },
  { additionalProperties: false },
);
const createBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    // An empty list makes a read-only key: useful for clients of a private registry.
    permissions: Type.Array(permission, { maxItems: 32 }),
    expires_at: Type.Optional(Type.String({ description: 'RFC 3339; omitted means the key never expires' })),
  },
  { additionalProperties: false },
);
type CreateBody = {
  name: string;
  description?: string;
  permissions: { action: Action; resource: string }[];
  expires_at?: string;
};
const idParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const listQuery = Type.Object({ include_revoked: Type.Boolean({ default: false }) });
const exchangeBody = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 200, description: 'A wharf_… API key' }) },
  { additionalProperties: false },
);
const bearer = [{ bearerAuth: [] }];

export function keyJson(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    description: key.description,
    permissions: key.permissions,
    created_at: key.createdAt,
    created_by: key.createdBy,
    expires_at: key.expiresAt,
    revoked_at: key.revokedAt,
    revoked_by: key.revokedBy,
    last_used_at: key.lastUsedAt,
  };
}

const keyAudit = (action: string): AuditRoute => ({
  action,
  describe: (request) => {
    const id = (request.params as { id?: unknown } | undefined)?.id;
    return { target: typeof id === 'string' ? `key:${id}` : undefined };
  },
});

export interface KeysRoutesOptions {
  keys: ApiKeyService;
  authenticator: Authenticator;
}

/** `/api/v1/keys`: API key administration (global administrators; a key may read its own record). */
export async function keysRoutes(app: FastifyInstance, options: KeysRoutesOptions): Promise<void> {
  const { keys } = options;
  const auth = requireBearer(options.authenticator);

  app.post<{ Body: CreateBody }>(
    '/keys',
    {
      schema: { operationId: 'create-api-key', tags: ['keys'], body: createBody, security: bearer },
      preHandler: auth,
      config: { audit: keyAudit('key.create') },
    },
    async (request, reply) => {
      const body = request.body;
      const { key, secret } = await keys.create(
        { name: body.name, description: body.description, permissions: body.permissions, expiresAt: body.expires_at },
        principalOf(request),
      );
      request.auditNote = {
        target: `key:${key.id}`,
        detail: { name: key.name, permissions: key.permissions, expires_at: key.expiresAt },
      };
      // The only time the key is ever shown: Wharf keeps its HMAC digest, not the key.
      return reply.code(201).send({ ...keyJson(key), key: secret });
    },
  );

  app.get<{ Querystring: { include_revoked: boolean } }>(
    '/keys',
    {
      schema: { operationId: 'list-api-keys', tags: ['keys'], querystring: listQuery, security: bearer },
      preHandler: auth,
    },
    async (request) => ({
      keys: (await keys.list(principalOf(request), request.query.include_revoked)).map(keyJson),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/keys/:id',
    { schema: { operationId: 'get-api-key', tags: ['keys'], params: idParams, security: bearer }, preHandler: auth },
    async (request) => keyJson(await keys.get(request.params.id, principalOf(request))),
  );

  app.delete<{ Params: { id: string } }>(
    '/keys/:id',
    {
      schema: { operationId: 'revoke-api-key', tags: ['keys'], params: idParams, security: bearer },
      preHandler: auth,
      config: { audit: keyAudit('key.revoke') },
    },
    async (request) => keyJson(await keys.revoke(request.params.id, principalOf(request))),
  );
}

export interface KeyExchangeRoutesOptions {
  keys: ApiKeyService;
  apiVersion: string;
}

/** `POST /v0(.1)/auth/key`: an API key for a registry JWT, in the same shape as the other login methods. */
export async function keyExchangeRoutes(app: FastifyInstance, options: KeyExchangeRoutesOptions): Promise<void> {
  app.post<{ Body: { key: string } }>(
    '/auth/key',
    {
      schema: {
        operationId: `exchange-api-key-${options.apiVersion}`,
        tags: ['auth'],
        body: exchangeBody,
        response: {
          200: {
            type: 'object',
            properties: { registry_token: { type: 'string' }, expires_at: { type: 'integer' } },
          },
        },
      },
    },
    async (request) => {
      const { token, principal } = await options.keys.exchange(request.body.key);
      request.principal = principal;
      return token;
    },
  );
}
