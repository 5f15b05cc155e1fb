import type { Generated } from 'kysely';

/**
 * Table shapes as the query layer sees them. Timestamps travel as ISO-8601 strings on both dialects
 * (TEXT on SQLite, timestamptz on PostgreSQL, parsed back to ISO strings by the pg type parser);
 * booleans are 0/1 integers on SQLite and booleans on PostgreSQL, hence `SqlBool`.
 */
export type SqlBool = boolean | 0 | 1;

export interface ServersTable {
  server_name: string;
  version: string;
  status: 'active' | 'deprecated' | 'deleted';
  status_changed_at: string;
  status_message: string | null;
  published_at: string;
  updated_at: string;
  is_latest: SqlBool;
  /** The server.json document in canonical form (Go encoding order), echoed byte for byte. */
  value: string;
}

export interface ServerRemotesTable {
  server_name: string;
  version: string;
  url: string;
}

export interface ServerNamesTable {
  server_name: string;
}

export interface RegistryStateTable {
  id: number;
  generation: number | string;
}

export interface ContextsTable {
  id: string;
  namespace: string;
  /** JSON text of the document's `data` object. */
  data: string;
  /** JSON text of the document's `metadata` object. */
  metadata: string;
  /** `metadata.owner` when it is a string, for the owner rule. */
  owner: string | null;
  version: number;
  /** Epoch milliseconds (BIGINT on PostgreSQL, which pg returns as text). */
  created_at: number | string;
  updated_at: number | string;
  expires_at: number | string | null;
}

export interface ContextEventsTable {
  seq: Generated<number | string>;
  namespace: string;
  context_id: string;
  type: 'created' | 'updated' | 'deleted' | 'expired';
  version: number;
  at: number | string;
  owner: string | null;
  /** JSON text of the context after the change (created/updated). */
  context: string | null;
}

export interface WharfSchema {
  servers: ServersTable;
  server_remotes: ServerRemotesTable;
  server_names: ServerNamesTable;
  registry_state: RegistryStateTable;
  contexts: ContextsTable;
  context_events: ContextEventsTable;
}
