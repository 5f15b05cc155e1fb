import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AuditRoute } from '../audit/http.js';
import type { Authenticator } from '../auth/authenticator.js';
import { principalOf, requireAuth } from '../auth/http.js';
import { badRequest } from '../platform/errors.js';
import { SERVER_JSON_BODY } from '../platform/http/validation.js';
import { SERVER_STATUSES } from './model.js';
import type { ListFilter } from './model.js';
import type { RegistryReadCache } from './read-cache.js';
import { parseListCursor } from './search/cursor.js';
import { applyFilterQuery, filterQueryProperties } from './search/params.js';
import type { FilterQuery } from './search/params.js';
import type { RegistryService } from './service.js';
import { serverJsonSchema } from './validation/index.js';
import type { ServerJSON } from './validation/index.js';
import { serverListJson, serverResponseJson, statusUpdateJson, versionListJson } from './wire.js';
import type { EncodedBody, MetaProvider } from './wire.js';

export interface RegistryRoutesOptions {
  service: RegistryService;
  cache: RegistryReadCache;
  authenticator: Authenticator;
  /** `v0` or `v0.1`: suffixes operation ids, as the official OpenAPI does. */
  apiVersion: string;
  /** Sent as `github_client_id` by `/health`, which `mcp-publisher login github` reads. */
  githubClientId?: string | undefined;
  version: { version: string; gitCommit: string; buildTime: string };
  /** Runs after authentication on publish (the per-identity publish rate limit). */
  publishLimit?: preHandlerAsyncHookHandler | undefined;
  /** Extra `_meta` members per server (liveness health); cached bodies are dropped when they change. */
  extraMeta?: MetaProvider | undefined;
  /** The `health=` list filter: the names in that state, or the names to exclude (for `unknown`). */
  healthNames?: ((health: HealthQuery) => { names: readonly string[]; exclude: boolean }) | undefined;
}

const HEALTH_QUERY_VALUES = ['passing', 'warning', 'critical', 'unknown'] as const;
type HealthQuery = (typeof HEALTH_QUERY_VALUES)[number];

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export const listQuery = Type.Object({
  cursor: Type.Optional(Type.String({ description: 'Opaque pagination cursor from metadata.nextCursor' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 30, description: 'Items per page' }),
  search: Type.Optional(
    Type.String({
      description:
        'Ranked search over name, title, description, remote URLs and package identifiers (see docs/search.md); ' +
        'every server whose name contains it is among the results',
    }),
  ),
  version: Type.Optional(Type.String({ description: "Exact version, or 'latest'" })),
  updated_since: Type.Optional(Type.String({ description: 'RFC 3339 timestamp; only servers updated after it' })),
  include_deleted: Type.Optional(Type.Boolean({ description: 'Include deleted versions' })),
  ...filterQueryProperties,
  health: Type.Optional(
    Type.Union(
      HEALTH_QUERY_VALUES.map((h) => Type.Literal(h)),
      { description: 'Wharf extension: only servers whose probed health is in this state' },
    ),
  ),
});
export type ListQuery = {
  cursor?: string;
  limit: number;
  search?: string;
  version?: string;
  updated_since?: string;
} & {
  include_deleted?: boolean;
  health?: HealthQuery;
} & FilterQuery;

const includeDeletedQuery = Type.Object({ include_deleted: Type.Boolean({ default: false }) });
const nameParams = Type.Object({ serverName: Type.String({ description: 'URL-encoded server name' }) });
const versionParams = Type.Object({
  serverName: Type.String({ description: 'URL-encoded server name' }),
  version: Type.String({ description: "URL-encoded version, or 'latest'" }),
});
const statusBody = Type.Object(
  {
    status: Type.Union(SERVER_STATUSES.map((s) => Type.Literal(s))),
    statusMessage: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
const serverBody = { ...serverJsonSchema, [SERVER_JSON_BODY]: true };
const bearer = [{ bearerAuth: [] }];

type NameParams = { serverName: string };
type VersionParams = { serverName: string; version: string };

/** The official registry API; mounted once per prefix (`/v0`, `/v0.1`) with identical handlers. */
export async function registryRoutes(app: FastifyInstance, options: RegistryRoutesOptions): Promise<void> {
  const { service, apiVersion } = options;
  const auth = requireAuth(options.authenticator);
  const op = (name: string) => `${name}-${apiVersion}`;
  const publishPreHandlers = options.publishLimit ? [auth, options.publishLimit] : auth;
  const json = (reply: FastifyReply, body: string | Buffer) => reply.type('application/json; charset=utf-8').send(body);
  // Reads are answered from the cache (dropped on every write) with an ETag, so clients and CDNs can revalidate.
  const cachedJson = async (
    request: FastifyRequest,
    reply: FastifyReply,
    key: string,
    compute: () => Promise<string | EncodedBody>,
  ) => {
    const { body, etag } = await options.cache.get(key, compute);
    reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return json(reply, body);
  };

  app.get<{ Querystring: ListQuery }>(
    '/servers',
    { schema: { operationId: op('list-servers'), tags: ['servers'], querystring: listQuery } },
    async (request, reply) => {
      const filter = listFilter(request);
      const health = request.query.health;
      // The key names the health state, not its member list: health changes drop the cache anyway.
      const key = `list ${JSON.stringify(filter)}${health ? ` health=${health}` : ''}`;
      return cachedJson(request, reply, key, async () => {
        if (health && options.healthNames) filter.names = options.healthNames(health);
        const fast = await service.searchPage(filter, options.extraMeta);
        if (fast !== undefined) return fast;
        const page = await service.list(filter);
        return serverListJson(page.servers, page.nextCursor, options.extraMeta);
      });
    },
  );

  app.get<{ Params: NameParams; Querystring: { include_deleted: boolean } }>(
    '/servers/:serverName/versions',
    {
      schema: {
        operationId: op('get-server-versions'),
        tags: ['servers'],
        params: nameParams,
        querystring: includeDeletedQuery,
      },
    },
    async (request, reply) => {
      const name = decodeName(request.params.serverName);
      const includeDeleted = request.query.include_deleted;
      return cachedJson(request, reply, `versions ${JSON.stringify([name, includeDeleted])}`, async () =>
        versionListJson(await service.versions(name, includeDeleted), options.extraMeta),
      );
    },
  );

  app.get<{ Params: VersionParams; Querystring: { include_deleted: boolean } }>(
    '/servers/:serverName/versions/:version',
    {
      schema: {
        operationId: op('get-server-version'),
        tags: ['servers'],
        params: versionParams,
        querystring: includeDeletedQuery,
      },
    },
    async (request, reply) => {
      const { name, version } = decodeNameAndVersion(request.params);
      const includeDeleted = request.query.include_deleted;
      return cachedJson(request, reply, `get ${JSON.stringify([name, version, includeDeleted])}`, async () =>
        serverResponseJson(await service.get(name, version, includeDeleted), options.extraMeta),
      );
    },
  );

  app.post<{ Body: ServerJSON }>(
    '/publish',
    {
      schema: { operationId: op('publish-server'), tags: ['publish'], body: serverBody, security: bearer },
      preHandler: publishPreHandlers,
      config: { audit: PUBLISH_AUDIT },
    },
    async (request, reply) =>
      json(reply, serverResponseJson(await service.publish(request.body, principalOf(request)))),
  );

  app.post<{ Body: ServerJSON }>(
    '/validate',
    { schema: { operationId: op('validate-server'), tags: ['publish'], body: serverBody } },
    async (request, reply) => json(reply, JSON.stringify(service.validate(request.body))),
  );

  app.put<{ Params: VersionParams; Body: ServerJSON }>(
    '/servers/:serverName/versions/:version',
    {
      schema: {
        operationId: op('edit-server-version'),
        tags: ['admin'],
        params: versionParams,
        body: serverBody,
        security: bearer,
      },
      preHandler: auth,
      config: { audit: versionAudit('server.edit') },
    },
    async (request, reply) => {
      const { name, version } = decodeNameAndVersion(request.params);
      return json(reply, serverResponseJson(await service.edit(name, version, request.body, principalOf(request))));
    },
  );

  app.delete<{ Params: VersionParams }>(
    '/servers/:serverName/versions/:version',
    {
      schema: { operationId: op('delete-server-version'), tags: ['admin'], params: versionParams, security: bearer },
      preHandler: auth,
      config: { audit: versionAudit('server.delete') },
    },
    async (request, reply) => {
      const { name, version } = decodeNameAndVersion(request.params);
      await service.deleteVersion(name, version, principalOf(request));
      return reply.code(204).send();
    },
  );

  app.patch<{ Params: VersionParams; Body: { status: (typeof SERVER_STATUSES)[number]; statusMessage?: string } }>(
    '/servers/:serverName/versions/:version/status',
    {
      schema: {
        operationId: op('update-server-version-status'),
        tags: ['status'],
        params: versionParams,
        body: statusBody,
        security: bearer,
      },
      preHandler: auth,
      config: { audit: versionAudit('server.status') },
    },
    async (request, reply) => {
      const { name, version } = decodeNameAndVersion(request.params);
      const updated = await service.setVersionStatus(name, version, request.body, principalOf(request));
      return json(reply, serverResponseJson(updated));
    },
  );

  app.patch<{ Params: NameParams; Body: { status: (typeof SERVER_STATUSES)[number]; statusMessage?: string } }>(
    '/servers/:serverName/status',
    {
      schema: {
        operationId: op('update-server-status'),
        tags: ['status'],
        params: nameParams,
        body: statusBody,
        security: bearer,
      },
      preHandler: auth,
      config: { audit: SERVER_STATUS_AUDIT },
    },
    async (request, reply) => {
      const name = decodeName(request.params.serverName);
      return json(reply, statusUpdateJson(await service.setServerStatus(name, request.body, principalOf(request))));
    },
  );

  app.get('/health', { schema: { operationId: op('health'), tags: ['health'] } }, async () =>
    options.githubClientId ? { status: 'ok', github_client_id: options.githubClientId } : { status: 'ok' },
  );
  app.get('/ping', { schema: { operationId: op('ping'), tags: ['health'] } }, async () => ({ pong: true }));
  app.get('/version', { schema: { operationId: op('version'), tags: ['health'] } }, async () => ({
    version: options.version.version,
    git_commit: options.version.gitCommit,
    build_time: options.version.buildTime,
  }));
}

function listFilter(request: FastifyRequest<{ Querystring: ListQuery }>): ListFilter {
  return listFilterFrom(request.query, request.raw.url ?? '');
}

/** The list filter of a list (or facets) request's validated query; throws the official 400s. */
export function listFilterFrom(q: ListQuery, raw: string): ListFilter {
  const includeDeletedGiven = /[?&]include_deleted=/.test(raw);
  let updatedSince: string | undefined;
  if (q.updated_since !== undefined && q.updated_since !== '') {
    const parsed = RFC3339.test(q.updated_since) ? new Date(q.updated_since) : undefined;
    if (!parsed || Number.isNaN(parsed.getTime())) {
      throw badRequest('Invalid updated_since format: expected RFC3339 timestamp (e.g., 2025-08-07T13:15:04.280Z)');
    }
    if (includeDeletedGiven && q.include_deleted === false) {
      throw badRequest(
        'Cannot set include_deleted=false when using updated_since (incremental sync requires deleted servers)',
      );
    }
    updatedSince = parsed.toISOString();
  }
  const filter: ListFilter = {
    limit: q.limit,
    includeDeleted: updatedSince !== undefined || q.include_deleted === true,
  };
  if (updatedSince !== undefined) filter.updatedSince = updatedSince;
  if (q.search) {
    if (q.search.length > 200) throw badRequest('search must be at most 200 characters');
    filter.search = q.search;
  }
  if (q.version) filter.version = q.version;
  if (q.cursor) filter.cursor = parseListCursor(q.cursor, filter.search);
  applyFilterQuery(filter, q);
  return filter;
}

/**
 * Path values arrive decoded once by the router; the official registry decodes them a second time,
 * so `%252F` means `/` there too and a stray `%` is an encoding error.
 */
function decodeTwice(value: string, what: 'server name' | 'version'): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw badRequest(`Invalid ${what} encoding`);
  }
}

const decodeName = (name: string) => decodeTwice(name, 'server name');

function decodeNameAndVersion(params: VersionParams) {
  return { name: decodeName(params.serverName), version: decodeTwice(params.version, 'version') };
}

// Audit descriptions read the raw request, which may be malformed when the request is refused.
const statusDetail = (body: unknown) => {
  const status = (body as { status?: unknown } | undefined)?.status;
  return typeof status === 'string' ? { new_status: status } : undefined;
};
const rawParam = (request: FastifyRequest, key: string): string => {
  const value = (request.params as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== 'string') return '';
  try {
    return value.includes('%') ? decodeURIComponent(value) : value;
  } catch {
    return value;
  }
};
const PUBLISH_AUDIT: AuditRoute = {
  action: 'server.publish',
  describe: (request) => {
    const body = request.body as { name?: unknown; version?: unknown } | undefined;
    const name = typeof body?.name === 'string' ? body.name.slice(0, 200) : undefined;
    const version = typeof body?.version === 'string' ? body.version.slice(0, 255) : undefined;
    return { target: name && (version ? `${name}@${version}` : name) };
  },
};
const versionAudit = (action: string): AuditRoute => ({
  action,
  describe: (request) => ({
    target: `${rawParam(request, 'serverName')}@${rawParam(request, 'version')}`,
    detail: action === 'server.status' ? statusDetail(request.body) : undefined,
  }),
});
const SERVER_STATUS_AUDIT: AuditRoute = {
  action: 'server.status',
  describe: (request) => ({ target: rawParam(request, 'serverName'), detail: statusDetail(request.body) }),
};
