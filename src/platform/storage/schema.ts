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

export interface WharfSchema {
  servers: ServersTable;
  server_remotes: ServerRemotesTable;
  server_names: ServerNamesTable;
  registry_state: RegistryStateTable;
  gateway_upstreams: GatewayUpstreamsTable;
  gateway_virtual_servers: GatewayVirtualServersTable;
}

export interface GatewayUpstreamsTable {
  alias: string;
  server_name: string;
  version: string;
  remote_index: number;
  /** `streamable-http` or `sse`. */
  transport: string;
  url_template: string;
  /** JSON object of non-secret URL template variable values. */
  variables: string;
  /** JSON object of non-secret header values. */
  headers: string;
  /** SecretBox-sealed JSON `{variables, headers}` of the values marked isSecret; null when there are none. */
  secrets: string | null;
  created_at: string;
  updated_at: string;
}

export interface GatewayVirtualServersTable {
  name: string;
  description: string;
  /** JSON array of downstream tool names or `alias__*` patterns. */
  tools: string;
  created_at: string;
  updated_at: string;
}
