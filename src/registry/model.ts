/** The registry's domain vocabulary, shared by its store, service and routes. */
export const SERVER_STATUSES = ['active', 'deprecated', 'deleted'] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

/** One stored version of a server, with the registry's own metadata. */
export interface ServerVersion {
  name: string;
  version: string;
  status: ServerStatus;
  statusChangedAt: string;
  statusMessage: string | null;
  publishedAt: string;
  updatedAt: string;
  isLatest: boolean;
  /** The server.json document in canonical JSON, served byte for byte. */
  document: string;
  /** Set on versions mirrored from an upstream registry by `wharf sync`; served as `_meta["dev.wharf/origin"]`. */
  origin?: MirrorOrigin | undefined;
}

export interface MirrorOrigin {
  /** The upstream registry's API base URL (e.g. `https://registry.modelcontextprotocol.io/v0.1`). */
  upstream: string;
  /** When the sync last wrote or confirmed this version. */
  syncedAt: string;
}

export interface ListCursor {
  name: string;
  /** Absent for legacy cursors that carry only a name. */
  version?: string;
  /** Present for cursors of a ranked search: the position is (rank, name, version). */
  rank?: number;
}

export const TRANSPORT_TYPES = ['streamable-http', 'sse', 'stdio'] as const;
export type TransportType = (typeof TRANSPORT_TYPES)[number];

export interface ListFilter {
  cursor?: ListCursor;
  limit: number;
  /**
   * Ranked full-text search over name, title, description, remote URLs and package identifiers; every server
   * whose name contains it (the official substring semantics) is among the results.
   */
  search?: string;
  /** Exact version, or `latest` for the versions flagged latest. */
  version?: string;
  /** Strictly after this ISO timestamp. */
  updatedSince?: string;
  includeDeleted: boolean;
  /** Wharf's filters (extra query parameters), applied to the server's latest version. */
  transport?: TransportType;
  registryType?: string;
  hasRemote?: boolean;
  hasPackage?: boolean;
  /** `io.github.acme` matches `io.github.acme/x` and `io.github.acme.tools/y`; case-insensitive. */
  namespace?: string;
  status?: ServerStatus;
  /**
   * Extension point for filters computed outside the registry (e.g. health by the liveness capability):
   * only these server names qualify (or all but these, with `exclude`). An empty include list matches nothing.
   */
  names?: { names: readonly string[]; exclude: boolean };
}

/** The official metadata block under `_meta["io.modelcontextprotocol.registry/official"]`. */
export const OFFICIAL_META_KEY = 'io.modelcontextprotocol.registry/official';

/** Wharf's provenance block for mirrored versions, next to the official one in the response `_meta`. */
export const ORIGIN_META_KEY = 'dev.wharf/origin';
