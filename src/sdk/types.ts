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

/** Body of `POST /api/v1/keys`. */
export interface CreateKeyRequest {
  /** 1–100 characters; the key's subject in tokens and the audit log. */
  name: string;
  description?: string;
  /**
   * What the key may do (at most 32). Actions: `publish`, `edit`, `admin`, `context_reader`, `context_writer`;
   * resources: `*`, `prefix*` or an exact name. An empty list makes a read-only key for a private registry.
   */
  permissions: Permission[];
  /** RFC 3339, in the future; omitted means the key lives until revoked. */
  expires_at?: string;
}

/** An API key as `/api/v1/keys` shows it: never the secret, only its id (which the key carries in clear). */
export interface ApiKey {
  id: string;
  name: string;
  description: string | null;
  permissions: Permission[];
  created_at: string;
  /** `<auth method>:<subject>` of whoever created it. */
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  last_used_at: string | null;
}

/** The create answer: the only time the secret `key` (`wharf_<id>_<secret>`) is shown. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

export type AuditOutcome = 'success' | 'denied' | 'failure';

/** Filters of `GET /api/v1/audit`; every one is optional and they combine with AND. */
export interface AuditQuery {
  /** Subject or API key id, exact. */
  actor?: string;
  /** e.g. `server.publish`, `key.create`, `auth.login`. */
  action?: string;
  /** Exact target: `name@version`, a server name, `key:<id>`, a login method. */
  target?: string;
  /** A server name: its own events and those of every one of its versions. */
  server?: string;
  outcome?: AuditOutcome;
  /** RFC 3339, inclusive. */
  since?: string;
  /** RFC 3339, exclusive. */
  until?: string;
  /** Page size, 1..500 (server default 100). */
  limit?: number;
  /** `metadata.nextCursor` of the previous page. */
  cursor?: string;
  extra?: Record<string, string | number | boolean | undefined>;
}

export interface AuditEvent {
  id: string;
  occurred_at: string;
  action: string;
  outcome: AuditOutcome;
  /** `null` when the caller never authenticated. */
  actor: { method: string; subject: string; key_id: string | null } | null;
  target: string | null;
  source_ip: string | null;
  detail: Record<string, unknown> | null;
}

/** @deprecated the earlier name of {@link AuditEvent}. */
export type AuditEntry = AuditEvent;

/** One page of the audit log, newest first; `nextCursor` is absent on the last page. */
export interface AuditPage {
  events: AuditEvent[];
  metadata: { count: number; nextCursor?: string };
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

/** Body of `POST /api/v1/gateway/upstreams`: a registry server (with a remote) to federate behind `/mcp`. */
export interface AttachUpstreamRequest {
  server: string;
  /** Default: the latest version. */
  version?: string;
  /** Index into the server's `remotes`, or the remote's URL (template). Default: the first remote. */
  remote?: number | string;
  /** Values of the remote's URL variables. Secret ones are sealed at rest and masked in every answer. */
  variables?: Record<string, string>;
  /** Header values; undeclared headers are treated as secret (sealed, masked). */
  headers?: Record<string, string>;
  /** 1–32 of a-z, 0-9 and "-"; prefixes the upstream's tools (`alias__tool`). Default: from the server name. */
  alias?: string;
}

/** Body of `PATCH /api/v1/gateway/upstreams/{alias}`: values not sent are kept, secrets included. */
export type UpdateUpstreamRequest = Pick<AttachUpstreamRequest, 'version' | 'remote' | 'variables' | 'headers'>;

/** The live connection state of an upstream, as the federation sees it. */
export interface UpstreamStatus {
  state: 'connecting' | 'ready' | 'unavailable';
  breaker: string;
  lastError: string | null;
  toolCount: number;
  connectedAt: string | null;
}

/** An upstream as the admin API shows it: secret values replaced by `********`. */
export interface Upstream {
  alias: string;
  server: string;
  version: string;
  remote: number;
  transport: 'streamable-http' | 'sse';
  url: string;
  variables: Record<string, string>;
  headers: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  status: UpstreamStatus;
}

/** Body of `POST /api/v1/gateway/virtual-servers`. */
export interface CreateVirtualServerRequest {
  /** 1–32 of a-z, 0-9 and "-"; served at `/mcp/{name}`. */
  name: string;
  description?: string;
  /** Downstream tool names (`alias__tool`) or `alias__*` for every tool of an upstream. */
  tools: string[];
}

/** Body of `PATCH /api/v1/gateway/virtual-servers/{name}`: `tools`, when given, replaces the whole list. */
export type UpdateVirtualServerRequest = Partial<Omit<CreateVirtualServerRequest, 'name'>>;

/** A virtual server: a named subset of the federated tools. */
export interface VirtualServer {
  name: string;
  description: string;
  tools: string[];
  /** Where MCP clients connect: `/mcp/{name}`. */
  path: string;
  createdAt: string;
  updatedAt: string;
}
