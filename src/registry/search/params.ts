import { Type } from '@sinclair/typebox';
import { SERVER_STATUSES, TRANSPORT_TYPES } from '../model.js';
import type { ListFilter, ServerStatus, TransportType } from '../model.js';

/**
 * Wharf's list filters, as extra query parameters of `GET /v0(.1)/servers` (official clients ignore parameters
 * they do not know) and of `GET /api/v1/registry/facets`. Validated by the route schema, so a bad value answers
 * the official 422 `validation failed` naming `query.<parameter>`.
 */
export const filterQueryProperties = {
  transport: Type.Optional(
    Type.Union(
      TRANSPORT_TYPES.map((t) => Type.Literal(t)),
      { description: 'Only servers with a remote or a package using this transport' },
    ),
  ),
  registry_type: Type.Optional(
    Type.String({
      pattern: '^[a-zA-Z0-9][a-zA-Z0-9-]{0,31}$',
      description: 'Only servers with a package of this registry type (npm, pypi, oci, nuget, mcpb, cargo, …)',
    }),
  ),
  has_remote: Type.Optional(Type.Boolean({ description: 'Only servers with (true) or without (false) remotes' })),
  has_package: Type.Optional(Type.Boolean({ description: 'Only servers with (true) or without (false) packages' })),
  namespace: Type.Optional(
    Type.String({
      pattern: '^[a-zA-Z0-9][a-zA-Z0-9.-]*[./]?$',
      maxLength: 200,
      description: 'Name prefix: io.github.acme matches io.github.acme/x and io.github.acme.tools/y',
    }),
  ),
  status: Type.Optional(
    Type.Union(
      SERVER_STATUSES.map((s) => Type.Literal(s)),
      { description: 'Only versions with this status (deleted implies include_deleted)' },
    ),
  ),
};

export interface FilterQuery {
  transport?: TransportType;
  registry_type?: string;
  has_remote?: boolean;
  has_package?: boolean;
  namespace?: string;
  status?: ServerStatus;
}

/** Copies the validated filter parameters into `filter`. */
export function applyFilterQuery(filter: ListFilter, query: FilterQuery): void {
  if (query.transport !== undefined) filter.transport = query.transport;
  if (query.registry_type !== undefined) filter.registryType = query.registry_type.toLowerCase();
  if (query.has_remote !== undefined) filter.hasRemote = query.has_remote;
  if (query.has_package !== undefined) filter.hasPackage = query.has_package;
  if (query.namespace !== undefined) filter.namespace = query.namespace;
  if (query.status !== undefined) {
    filter.status = query.status;
    if (query.status === 'deleted') filter.includeDeleted = true;
  }
}
