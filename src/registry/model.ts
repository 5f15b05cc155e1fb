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
}

export interface ListCursor {
  name: string;
  /** Absent for legacy cursors that carry only a name. */
  version?: string;
}

export interface ListFilter {
  cursor?: ListCursor;
  limit: number;
  /** Case-insensitive substring of the name (the official semantics). */
  search?: string;
  /** Exact version, or `latest` for the versions flagged latest. */
  version?: string;
  /** Strictly after this ISO timestamp. */
  updatedSince?: string;
  includeDeleted: boolean;
  /** Only these server names (or all but these, with `exclude`); e.g. the servers of one health state. */
  names?: { names: readonly string[]; exclude: boolean };
}

/** The official metadata block under `_meta["io.modelcontextprotocol.registry/official"]`. */
export const OFFICIAL_META_KEY = 'io.modelcontextprotocol.registry/official';
