import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { SERVER_STATUSES, TRANSPORT_TYPES } from '../model.js';
import type { RegistryReadCache } from '../read-cache.js';
import { listFilterFrom, listQuery } from '../routes.js';
import type { ListQuery } from '../routes.js';
import type { RegistryService } from '../service.js';
import type { FacetCounts } from './search-store.js';

export interface SearchRoutesOptions {
  service: RegistryService;
  cache: RegistryReadCache;
}

const { cursor: _cursor, limit: _limit, ...filterProperties } = listQuery.properties;
const facetsQuery = Type.Object({
  ...filterProperties,
  top: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'How many namespaces to count' }),
});

/** Wharf's discovery API under /api/v1/registry: facet counts for a search and filters. */
export async function searchRoutes(app: FastifyInstance, options: SearchRoutesOptions): Promise<void> {
  app.get<{ Querystring: Omit<ListQuery, 'limit' | 'cursor'> & { top: number } }>(
    '/facets',
    {
      schema: {
        operationId: 'registry-facets',
        tags: ['registry'],
        description:
          'Counts per transport, registry type, status, has_remote, has_package and namespace (top N) of the servers ' +
          'the same search and filters return on GET /v0.1/servers (latest versions unless `version` is given).',
        querystring: facetsQuery,
      },
    },
    async (request, reply) => {
      const { top, ...query } = request.query;
      const filter = listFilterFrom({ ...query, limit: 1 }, request.raw.url ?? '');
      if (filter.version === undefined) filter.version = 'latest';
      const key = `facets ${JSON.stringify([filter, top])}`;
      const { body, etag } = await options.cache.get(key, async () =>
        JSON.stringify(facetsJson(await options.service.facets(filter, top))),
      );
      reply.header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}

function facetsJson(result: FacetCounts) {
  const zeros = (values: readonly string[]) => Object.fromEntries(values.map((v) => [v, 0])) as Record<string, number>;
  const facets: Record<string, Record<string, number>> = {
    transport: zeros(TRANSPORT_TYPES),
    registry_type: {},
    status: zeros(SERVER_STATUSES),
    has_remote: zeros(['true', 'false']),
    has_package: zeros(['true', 'false']),
  };
  for (const { facet, value, count } of result.counts) {
    const bucket = facets[facet];
    if (bucket) bucket[value] = count;
  }
  return { total: result.total, facets: { ...facets, namespace: result.namespaces } };
}
