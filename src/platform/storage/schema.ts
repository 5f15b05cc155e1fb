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

export interface WharfSchema {
  servers: ServersTable;
  server_remotes: ServerRemotesTable;
  server_names: ServerNamesTable;
  registry_state: RegistryStateTable;
  instances: InstancesTable;
  health_checks: HealthChecksTable;
  health_transitions: HealthTransitionsTable;
  health_hours: HealthHoursTable;
  liveness_state: LivenessStateTable;
}
