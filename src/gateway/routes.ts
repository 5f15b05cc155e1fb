import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { principalOf, requireAuth } from '../auth/http.js';
import { hasPermission } from '../auth/permissions.js';
import { forbidden } from '../platform/errors.js';
import type { FastifyReply } from 'fastify';
import type { Principal } from '../auth/authenticator.js';
import { WharfError } from '../platform/errors.js';
import type { McpHost } from '../mcp/host.js';
import type { GatewayFederation } from './federation.js';
import { LegacySseBridge } from './legacy-sse.js';
import type { GatewayService, UpstreamView } from './service.js';
import type { VirtualServerService } from './virtual-servers.js';

export interface GatewayRoutesOptions {
  service: GatewayService;
  virtualServers: VirtualServerService;
  federation: GatewayFederation;
  authenticator: Authenticator;
}

const stringMap = { type: 'object', additionalProperties: { type: 'string', maxLength: 8192 }, maxProperties: 64 };
const remote = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 1000 },
    { type: 'string', minLength: 1, maxLength: 2048 },
  ],
};
const attachBody = {
  type: 'object',
  required: ['server'],
  additionalProperties: false,
  properties: {
    server: { type: 'string', minLength: 1, maxLength: 200 },
    version: { type: 'string', minLength: 1, maxLength: 255 },
    remote,
    variables: stringMap,
    headers: stringMap,
    alias: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;
const updateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: { type: 'string', minLength: 1, maxLength: 255 },
    remote,
    variables: stringMap,
    headers: stringMap,
  },
} as const;
const aliasParams = {
  type: 'object',
  required: ['alias'],
  properties: { alias: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const virtualBody = {
  type: 'object',
  required: ['name', 'tools'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    description: { type: 'string', maxLength: 1000 },
    tools: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 160 } },
  },
} as const;
const virtualUpdateBody = {
  type: 'object',
  additionalProperties: false,
  properties: virtualBody.properties,
} as const;
const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

interface AttachBody {
  server: string;
  version?: string;
  remote?: number | string;
  variables?: Record<string, string>;
  headers?: Record<string, string>;
  alias?: string;
}

/** `/api/v1/gateway/*`: attach registry servers as upstreams and define virtual servers (admins only). */
export async function gatewayRoutes(app: FastifyInstance, options: GatewayRoutesOptions): Promise<void> {
  const { service, federation, virtualServers } = options;
  const auth = requireAuth(options.authenticator);
  const adminOnly = async (request: FastifyRequest) => {
    if (!hasPermission(principalOf(request).permissions, 'admin', '*')) {
      throw forbidden('Managing the gateway needs the admin permission');
    }
  };
  const admin = [auth, adminOnly];
  const withStatus = (view: UpstreamView) => {
    const status = federation.status().get(view.alias);
    return {
      ...view,
      status: status ?? { state: 'connecting', breaker: 'closed', lastError: null, toolCount: 0, connectedAt: null },
    };
  };
  const tags = ['gateway'];
  const security = [{ bearerAuth: [] }];

  app.get(
    '/upstreams',
    { preHandler: admin, schema: { tags, security, operationId: 'list-gateway-upstreams' } },
    async () => {
      const upstreams = (await service.list()).map(withStatus);
      return { upstreams, count: upstreams.length };
    },
  );
  app.get<{ Params: { alias: string } }>(
    '/upstreams/:alias',
    { preHandler: admin, schema: { tags, security, params: aliasParams, operationId: 'get-gateway-upstream' } },
    async (request) => withStatus(await service.get(request.params.alias)),
  );
  app.post<{ Body: AttachBody }>(
    '/upstreams',
    { preHandler: admin, schema: { tags, security, body: attachBody, operationId: 'attach-gateway-upstream' } },
    async (request, reply) => {
      const view = await service.attach(request.body);
      await federation.sync();
      return reply.code(201).send(withStatus(view));
    },
  );
  app.patch<{ Params: { alias: string }; Body: Omit<AttachBody, 'server' | 'alias'> }>(
    '/upstreams/:alias',
    {
      preHandler: admin,
      schema: { tags, security, params: aliasParams, body: updateBody, operationId: 'update-gateway-upstream' },
    },
    async (request) => {
      const view = await service.update(request.params.alias, request.body);
      await federation.sync();
      return withStatus(view);
    },
  );
  app.delete<{ Params: { alias: string } }>(
    '/upstreams/:alias',
    { preHandler: admin, schema: { tags, security, params: aliasParams, operationId: 'detach-gateway-upstream' } },
    async (request, reply) => {
      await service.detach(request.params.alias);
      await federation.sync();
      return reply.code(204).send();
    },
  );

  app.get(
    '/virtual-servers',
    { preHandler: admin, schema: { tags, security, operationId: 'list-virtual-servers' } },
    async () => {
      const servers = await virtualServers.list();
      return { virtualServers: servers, count: servers.length };
    },
  );
  app.get<{ Params: { name: string } }>(
    '/virtual-servers/:name',
    { preHandler: admin, schema: { tags, security, params: nameParams, operationId: 'get-virtual-server' } },
    async (request) => virtualServers.get(request.params.name),
  );
  app.post<{ Body: { name: string; description?: string; tools: string[] } }>(
    '/virtual-servers',
    { preHandler: admin, schema: { tags, security, body: virtualBody, operationId: 'create-virtual-server' } },
    async (request, reply) => {
      const created = await virtualServers.create(request.body);
      await federation.sync();
      return reply.code(201).send(created);
    },
  );
  app.patch<{ Params: { name: string }; Body: { description?: string; tools?: string[] } }>(
    '/virtual-servers/:name',
    {
      preHandler: admin,
      schema: { tags, security, params: nameParams, body: virtualUpdateBody, operationId: 'update-virtual-server' },
    },
    async (request) => {
      const updated = await virtualServers.update(request.params.name, request.body);
      await federation.sync();
      return updated;
    },
  );
  app.delete<{ Params: { name: string } }>(
    '/virtual-servers/:name',
    { preHandler: admin, schema: { tags, security, params: nameParams, operationId: 'delete-virtual-server' } },
    async (request, reply) => {
      await virtualServers.remove(request.params.name);
      await federation.sync();
      return reply.code(204).send();
    },
  );
}

export interface LegacySseRoutesOptions {
  host: McpHost;
  authenticator: Authenticator;
  allowAnonymous?: boolean;
  /** The gateway's access guard (origin, authentication, request limits), as on `/mcp`; it leaves the caller in `request.principal`. */
  guard?: preHandlerAsyncHookHandler;
}

/** The deprecated HTTP+SSE pair `GET /sse` + `POST /messages`, served by the `/mcp` host (see legacy-sse.ts). */
export async function legacySseRoutes(app: FastifyInstance, options: LegacySseRoutesOptions): Promise<void> {
  const bridge = new LegacySseBridge(options.host);
  app.addHook('onClose', async () => bridge.closeAll());
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 4 * 1024 * 1024 }, (_request, body, done) =>
    done(null, body),
  );
  const authenticate = async (request: FastifyRequest): Promise<Principal | null | Response> => {
    if (options.guard) return request.principal;
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      if (options.allowAnonymous === false) return challenge('This endpoint needs a bearer token');
      return null;
    }
    try {
      return await options.authenticator.authenticate(header);
    } catch (error) {
      if (error instanceof WharfError) return challenge(error.detail);
      throw error;
    }
  };
  const routeOptions = { schema: { hide: true }, ...(options.guard && { preHandler: options.guard }) };
  app.get('/sse', routeOptions, async (request, reply) => {
    const principal = await authenticate(request);
    if (principal instanceof Response) return send(reply, principal);
    return send(reply, bridge.open(webRequest(request, reply), principal));
  });
  app.post('/messages', routeOptions, async (request, reply) => {
    const principal = await authenticate(request);
    if (principal instanceof Response) return send(reply, principal);
    const token = /^bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
    return send(reply, await bridge.post(webRequest(request, reply), body, { principal, token }));
  });
}

function challenge(message: string): Response {
  return new Response(message, { status: 401, headers: { 'www-authenticate': 'Bearer realm="wharf"' } });
}

function webRequest(request: FastifyRequest, reply: FastifyReply): Request {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(key, value);
  }
  return new Request(new URL(request.url, `${request.protocol}://${request.host || 'localhost'}`), {
    method: request.method,
    headers,
    signal: controller.signal,
  });
}

async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, key) => {
    reply.header(key, value);
  });
  if (response.body === null) return reply.send();
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) return reply.send(response.body);
  return reply.send(Buffer.from(await response.arrayBuffer()));
}
