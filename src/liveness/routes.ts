import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import { principalOf, requireAuth } from '../auth/http.js';
import { badRequest, notFound, unauthorized } from '../platform/errors.js';
import type { HealthService } from './health.js';
import { InstanceService } from './instances.js';
import { INSTANCE_STATES, INSTANCE_TRANSPORTS } from './model.js';
import type { Instance, InstanceState, RegisterRequest } from './model.js';

export interface LivenessRoutesOptions {
  instances: InstanceService;
  health: HealthService;
  authenticator: Authenticator;
  serverExists: (name: string) => Promise<boolean>;
}

const registerBody = Type.Object(
  {
    server: Type.String({ minLength: 1, maxLength: 200, description: 'Registry name of the server' }),
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'Where this instance answers MCP' }),
    transport: Type.Optional(Type.Union(INSTANCE_TRANSPORTS.map((t) => Type.Literal(t)))),
    metadata: Type.Optional(
      Type.Object(
        {
          region: Type.Optional(Type.String({ maxLength: 100 })),
          version: Type.Optional(Type.String({ maxLength: 100 })),
          tags: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 32 })),
        },
        { additionalProperties: true, maxProperties: 32 },
      ),
    ),
  },
  { additionalProperties: false },
);
const heartbeatBody = Type.Union([
  Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
  Type.Null(),
]);
const heartbeatAnswer = Type.Object({
  id: Type.String(),
  state: Type.Union(INSTANCE_STATES.map((st) => Type.Literal(st))),
  ttlSeconds: Type.Integer(),
  expiresAt: Type.String(),
});
const idParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const listQuery = Type.Object({
  server: Type.Optional(Type.String({ maxLength: 200 })),
  state: Type.Optional(Type.Union(INSTANCE_STATES.map((s) => Type.Literal(s)))),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});
const historyQuery = Type.Object({ hours: Type.Integer({ minimum: 1, maximum: 168, default: 24 }) });
const bearer = [{ bearerAuth: [] }];
const INSTANCE_TOKEN_PREFIX = 'whi_';

function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^bearer (.+)$/i.exec((request.headers.authorization ?? '').trim());
  return match?.[1]?.trim();
}

/** Wharf's instance API under /api/v1, and the health history; thin over the liveness services. */
export async function livenessRoutes(app: FastifyInstance, options: LivenessRoutesOptions): Promise<void> {
  const { instances, health } = options;
  const auth = requireAuth(options.authenticator);

  const instanceJson = (i: Instance) => {
    const probe = health.target(`instance:${i.id}`);
    return {
      id: i.id,
      server: i.server,
      url: i.url,
      transport: i.transport,
      metadata: i.metadata,
      state: i.state,
      statusNote: i.statusNote,
      ttlSeconds: i.ttlSeconds,
      registeredAt: i.registeredAt,
      stateChangedAt: i.stateChangedAt,
      leaseExpiresAt: i.leaseExpiresAt,
      probe: probe
        ? { status: probe.status, checkedAt: probe.checkedAt, latencyMs: probe.latencyMs, lastError: probe.lastError }
        : null,
    };
  };

  const register = async (request: FastifyRequest<{ Body: RegisterRequest }>) => {
    InstanceService.validate(request.body);
    return instances.register(principalOf(request), request.body);
  };
  const registerSchema = {
    tags: ['instances'],
    body: registerBody,
    security: bearer,
    description:
      'Registers a running instance of a registry server. Needs publish permission on the server name. Answers the instance token used for heartbeats.',
  };
  app.post<{ Body: RegisterRequest }>(
    '/instances',
    { schema: { ...registerSchema, operationId: 'register-instance' }, preHandler: auth },
    async (request, reply) => reply.code(201).send(await register(request)),
  );
  app.post<{ Body: RegisterRequest }>(
    '/register',
    { schema: { ...registerSchema, operationId: 'register-instance-alias' }, preHandler: auth },
    async (request, reply) => reply.code(201).send(await register(request)),
  );

  app.put<{ Params: { id: string }; Body: { note?: string } | null }>(
    '/instances/:id/heartbeat',
    {
      schema: {
        operationId: 'heartbeat-instance',
        tags: ['instances'],
        params: idParams,
        body: heartbeatBody,
        // A response schema lets Fastify serialise the hot path with a compiled serializer.
        response: { 200: heartbeatAnswer },
        security: bearer,
        description: 'Renews the lease of an instance. Authenticated by the instance token from registration.',
      },
    },
    async (request) => {
      const token = bearerToken(request);
      if (!token) throw unauthorized("Heartbeats need the instance token: 'Authorization: Bearer <token>'");
      return instances.heartbeat(request.params.id, token, request.body?.note);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/instances/:id',
    {
      schema: {
        operationId: 'deregister-instance',
        tags: ['instances'],
        params: idParams,
        security: bearer,
        description: 'Deregisters an instance: with its own token, or with publish permission on its server.',
      },
    },
    async (request, reply) => {
      const token = bearerToken(request);
      let principal: Principal | undefined;
      if (token && !token.startsWith(INSTANCE_TOKEN_PREFIX)) {
        principal = await options.authenticator.authenticate(request.headers.authorization ?? '');
      }
      await instances.deregister(request.params.id, {
        token: token?.startsWith(INSTANCE_TOKEN_PREFIX) ? token : undefined,
        principal,
      });
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { server?: string; state?: InstanceState; cursor?: string; limit: number } }>(
    '/instances',
    { schema: { operationId: 'list-instances', tags: ['instances'], querystring: listQuery } },
    async (request) => {
      const page = await instances.list(request.query);
      const metadata: { count: number; nextCursor?: string } = { count: page.instances.length };
      if (page.nextCursor) metadata.nextCursor = page.nextCursor;
      return { instances: page.instances.map(instanceJson), metadata };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/instances/:id',
    { schema: { operationId: 'get-instance', tags: ['instances'], params: idParams } },
    async (request) => instanceJson(await instances.get(request.params.id)),
  );

  app.get<{ Params: { name: string }; Querystring: { hours: number } }>(
    '/health/servers/:name',
    {
      schema: {
        operationId: 'server-health-history',
        tags: ['health'],
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 400 }) }),
        querystring: historyQuery,
        description: 'Probe history of a server: current state per target, latency percentiles, uptime, transitions.',
      },
    },
    async (request) => {
      let name = request.params.name;
      if (name.includes('%')) {
        try {
          name = decodeURIComponent(name);
        } catch {
          throw badRequest('Invalid server name encoding');
        }
      }
      if (!(await options.serverExists(name))) throw notFound(`Server ${name} is not in the registry`);
      return health.history(name, request.query.hours);
    },
  );
}
