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

export interface SearchDocumentsTable {
  server_name: string;
  version: string;
  name_lc: string;
  slug_lc: string;
  slug_key: string;
}

export interface SearchTermsTable {
  term: string;
  server_name: string;
  /** 0 name, 1 title, 2 description, 3 remote URLs and package identifiers (the best place the word occurs). */
  field: number;
}

export interface SearchFacetsTable {
  facet: string;
  value: string;
  server_name: string;
}

export interface WharfSchema {
  servers: ServersTable;
  server_remotes: ServerRemotesTable;
  server_names: ServerNamesTable;
  registry_state: RegistryStateTable;
  search_documents: SearchDocumentsTable;
  search_terms: SearchTermsTable;
  search_facets: SearchFacetsTable;
}
