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
  /** The upstream registry a mirrored version came from (`wharf sync`); null when published here. */
  origin_upstream?: string | null;
  /** When the sync last wrote or confirmed this version. */
  origin_synced_at?: string | null;
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

export interface ApiKeysTable {
  id: string;
  name: string;
  description: string | null;
  /** Hex HMAC-SHA256 of the whole key under the server's key secret; the key itself is never stored. */
  digest: string;
  /** JSON array of {action, resource}. */
  permissions: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  last_used_at: string | null;
}

export interface AuditEventsTable {
  id: Generated<number | string>;
  occurred_at: string;
  action: string;
  outcome: 'success' | 'denied' | 'failure';
  actor_method: string | null;
  actor_subject: string | null;
  actor_key_id: string | null;
  target: string | null;
  source_ip: string | null;
  /** JSON object, or null. */
  detail: string | null;
}

export interface SyncStateTable {
  upstream: string;
  stage: 'idle' | 'full' | 'incremental' | 'sweep';
  pass_since: string | null;
  pass_cursor: string | null;
  pass_started_at: string | null;
  pass_upstream_time: string | null;
  pass_max_updated_at: string | null;
  pass_fingerprint: string | null;
  high_water: string | null;
  last_full_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  updated_at: string;
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

export interface SearchDocumentsTable {
  server_name: string;
  version: string;
  name_lc: string;
  slug_lc: string;
  slug_key: string;
  /** The latest version's status and updated_at, so facet counts of latest versions never read `servers`. */
  status: 'active' | 'deprecated' | 'deleted';
  updated_at: string;
  /** Folded namespace ('' for a name without one). */
  namespace: string;
  /** JSON array of the server's [facet, value] pairs except the namespace, sorted: one GROUP BY key per shape. */
  facet_key: string;
  /** ` term:field term:field … ` (sorted): its search_terms rows as one string, scanned by dense facet counts. */
  words: string;
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

export interface InstancesTable {
  id: string;
  server_name: string;
  url: string;
  transport: string;
  /** JSON object. */
  metadata: string;
  token_hash: string;
  registered_by: string;
  state: 'passing' | 'critical';
  status_note: string | null;
  ttl_seconds: number;
  registered_at: string;
  state_changed_at: string;
  lease_expires_at: string;
}

export interface HealthChecksTable {
  target_id: string;
  kind: 'remote' | 'instance';
  server_name: string;
  url: string;
  transport: string;
  status: 'passing' | 'warning' | 'critical';
  status_since: string;
  checked_at: string;
  latency_ms: number | null;
  era: string | null;
  protocol_version: string | null;
  reported_name: string | null;
  reported_version: string | null;
  tool_count: number | null;
  /** JSON array of strings. */
  tool_names: string | null;
  last_error: string | null;
  consecutive_failures: number;
  uptime_24h: number | null;
}

export interface HealthTransitionsTable {
  id: Generated<number>;
  target_id: string;
  server_name: string;
  at: string;
  from_status: string | null;
  to_status: string;
  error: string | null;
}

export interface HealthHoursTable {
  target_id: string;
  hour: string;
  server_name: string;
  probes: number;
  passing: number;
  /** JSON array of latencies in ms of the passing probes of that hour. */
  latencies: string;
}

export interface LivenessStateTable {
  id: number;
  generation: number | string;
  leader_epoch: number | string;
}

export interface GatewayPoliciesTable {
  id: string;
  effect: 'allow' | 'deny';
  subject: string;
  virtual_server: string;
  tool: string;
  description: string | null;
  created_at: string;
}

export interface WharfSchema {
  servers: ServersTable;
  server_remotes: ServerRemotesTable;
  server_names: ServerNamesTable;
  registry_state: RegistryStateTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  sync_state: SyncStateTable;
  contexts: ContextsTable;
  context_events: ContextEventsTable;
  search_documents: SearchDocumentsTable;
  search_terms: SearchTermsTable;
  search_facets: SearchFacetsTable;
  instances: InstancesTable;
  health_checks: HealthChecksTable;
  health_transitions: HealthTransitionsTable;
  health_hours: HealthHoursTable;
  liveness_state: LivenessStateTable;
  gateway_policies: GatewayPoliciesTable;
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
