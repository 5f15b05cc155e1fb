/**
 * Wire types of the registry and of Wharf's own API. `server.json`, the validation report and the status vocabulary
 * are the server's own types, imported as types only: they vanish at compile time, so the SDK carries no server code.
 */
import type { Permission } from '../auth/permissions.js';
import type { ServerStatus } from '../registry/model.js';
import type { ValidationIssue, ValidationResult } from '../registry/validation/issues.js';
import type {
  Argument,
  Icon,
  Input,
  KeyValueInput,
  Package,
  Repository,
  ServerJSON,
  Transport,
} from '../registry/validation/server-json.js';

export type {
  Argument,
  Icon,
  Input,
  KeyValueInput,
  Package,
  Permission,
  Repository,
  ServerJSON,
  ServerStatus,
  Transport,
  ValidationIssue,
  ValidationResult,
};

export const OFFICIAL_META = 'io.modelcontextprotocol.registry/official';

/** `_meta["io.modelcontextprotocol.registry/official"]` of a registry response. */
export interface OfficialMeta {
  status: ServerStatus;
  statusChangedAt: string;
  statusMessage?: string;
  publishedAt: string;
  updatedAt: string;
  isLatest: boolean;
}

/** One version of a server as the registry answers it. Wharf's extra metadata lives under `dev.wharf/…` keys. */
export interface ServerResponse {
  server: ServerJSON;
  _meta: { [OFFICIAL_META]?: OfficialMeta; [key: string]: unknown };
}

export interface ServerListResponse {
  servers: ServerResponse[];
  metadata: { nextCursor?: string; count: number };
}

export interface StatusUpdateResponse {
  updatedCount: number;
  servers: ServerResponse[];
}

export interface StatusChange {
  status: ServerStatus;
  /** At most 500 characters; not allowed with `active`. */
  statusMessage?: string;
}

/**
 * Query of `GET /servers`. The official parameters are typed; Wharf's filters (`transport`, `registry_type`,
 * `has_remote`, `has_package`, `namespace`, `status`, `health`) and any future ones pass through as given.
 */
export interface ListQuery {
  search?: string;
  /** `latest`, or an exact version. */
  version?: string;
  /** RFC 3339; implies deleted versions are included. */
  updatedSince?: string;
  includeDeleted?: boolean;
  /** Page size, 1..100 (server default 30). */
  limit?: number;
  cursor?: string;
  transport?: string;
  registryType?: string;
  hasRemote?: boolean;
  hasPackage?: boolean;
  namespace?: string;
  status?: ServerStatus;
  health?: string;
  /** Any other query parameter, sent verbatim. */
  extra?: Record<string, string | number | boolean | undefined>;
}

/** The answer of every `/auth/*` exchange. */
export interface TokenResponse {
  registry_token: string;
  /** Unix seconds. */
  expires_at: number;
}

/** Body of `POST /auth/dns` and `POST /auth/http`: an RFC 3339 timestamp and its hex signature. */
export interface DomainProof {
  domain: string;
  timestamp: string;
  signed_timestamp: string;
}

export interface HealthResponse {
  status: string;
  github_client_id?: string;
}

export interface VersionResponse {
  version: string;
  git_commit: string;
  build_time: string;
}

// --- Wharf's own API (/api/v1). Shapes follow the issues that introduce them; see docs/sdk.md. ---

export interface CreateKeyRequest {
  name?: string;
  permissions: Permission[];
  /** ISO timestamp; omitted means no expiry. */
  expires_at?: string;
  [extra: string]: unknown;
}

export interface ApiKey {
  id: string;
  name?: string;
  permissions: Permission[];
  created_at?: string;
  expires_at?: string | null;
  last_used_at?: string | null;
  revoked_at?: string | null;
  [extra: string]: unknown;
}

/** The create answer: the only time the secret `key` (`wharf_…`) is shown. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

export interface AuditQuery {
  actor?: string;
  server?: string;
  since?: string;
  until?: string;
  action?: string;
  limit?: number;
  cursor?: string;
  extra?: Record<string, string | number | boolean | undefined>;
}

export interface AuditEntry {
  id?: string;
  at?: string;
  action?: string;
  [field: string]: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  metadata?: { nextCursor?: string; count?: number };
  [extra: string]: unknown;
}

export interface RegisterInstanceRequest {
  server: string;
  url: string;
  transport?: string;
  metadata?: Record<string, unknown>;
}

export interface RegisteredInstance {
  id: string;
  /** Bearer token for this instance's heartbeats and deregistration. */
  token: string;
  ttlSeconds: number;
  heartbeatIntervalSeconds: number;
  [extra: string]: unknown;
}

export interface Instance {
  id: string;
  server: string;
  url: string;
  state?: string;
  [field: string]: unknown;
}

export interface ContextPayload {
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface Context {
  context_id: string;
  created_at: string;
  last_updated: string;
  expires_at: string | null;
  payload: ContextPayload;
  version?: number;
  [extra: string]: unknown;
}

/** A context read or write, with the `ETag` to pass back as `ifMatch`. */
export interface ContextResult {
  context: Context;
  etag: string | undefined;
}

export interface ContextListQuery {
  namespace?: string;
  cursor?: string;
  limit?: number;
  extra?: Record<string, string | number | boolean | undefined>;
}

export interface ContextPage {
  contexts: Context[];
  /** `next_cursor`: pass it back as `cursor` for the next page (absent on the last one). */
  metadata?: { next_cursor?: string; count?: number };
  [extra: string]: unknown;
}

export interface AttachUpstreamRequest {
  server: string;
  version?: string;
  remote?: number | string;
  variables?: Record<string, string>;
  headers?: Record<string, string>;
  alias?: string;
}

export interface Upstream {
  id: string;
  server: string;
  alias?: string;
  [field: string]: unknown;
}
