import { WharfApiError, WharfError, WharfNetworkError, WharfTimeoutError } from './errors.js';
import type { Problem } from './errors.js';
import { abortableSleep, backoffDelay, isRetryableStatus, parseRetryAfter, resolveRetry } from './retry.js';
import type { ResolvedRetry, RetryOptions } from './retry.js';
import type {
  ApiKey,
  AttachUpstreamRequest,
  AuditEvent,
  AuditPage,
  AuditQuery,
  Context,
  ContextListQuery,
  ContextPage,
  ContextPayload,
  ContextResult,
  CreateKeyRequest,
  CreateVirtualServerRequest,
  CreatedApiKey,
  DomainProof,
  HealthResponse,
  Instance,
  ListQuery,
  RegisterInstanceRequest,
  RegisteredInstance,
  ServerJSON,
  ServerListResponse,
  ServerResponse,
  StatusChange,
  StatusUpdateResponse,
  TokenResponse,
  UpdateUpstreamRequest,
  UpdateVirtualServerRequest,
  Upstream,
  ValidationResult,
  VersionResponse,
  VirtualServer,
} from './types.js';

export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8080';

type TokenSource = string | undefined | (() => string | undefined | Promise<string | undefined>);

export interface WharfClientOptions {
  /** Registry base URL, without the `/v0.1` prefix (default `http://127.0.0.1:8080`). */
  baseUrl?: string;
  /** Bearer token (registry JWT or `wharf_…` API key), or a function asked before every request. */
  token?: TokenSource;
  /** Registry API prefix: `v0.1` (stable, default) or `v0`. */
  apiVersion?: 'v0.1' | 'v0';
  /** Per-attempt timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Retry policy for idempotent calls, or `false` for none. */
  retry?: RetryOptions | false;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  userAgent?: string;
  /** Injected for tests: a fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
  /** Injected for tests: how to wait between attempts (default: a real, abortable timer). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Injected for tests: the clock used to read HTTP-date `Retry-After` values (default Date.now). */
  now?: () => number;
}

/** Per-call options accepted by every method. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's per-attempt timeout. */
  timeoutMs?: number;
  /** Overrides the client's token for this call. */
  token?: string;
}

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
  contentType?: string;
  /** Safe to repeat: only such calls are retried. */
  idempotent: boolean;
  headers?: Record<string, string | undefined>;
}

interface RawResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A typed client for Wharf and for any registry speaking the official MCP Registry API.
 *
 * Reads, edits, deletes and validation are retried on network errors, 429 (honouring `Retry-After`) and 5xx with
 * exponential backoff and full jitter; publishing, status changes and other writes are never retried, because a
 * lost response does not prove the write did not happen.
 */
export class WharfClient {
  readonly baseUrl: string;
  readonly apiVersion: 'v0.1' | 'v0';
  private readonly token: TokenSource;
  private readonly timeoutMs: number;
  private readonly retry: ResolvedRetry;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: WharfClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_REGISTRY_URL).replace(/\/+$/, '');
    if (!/^https?:\/\//i.test(this.baseUrl)) {
      throw new WharfError(`baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
    }
    this.apiVersion = options.apiVersion ?? 'v0.1';
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retry = resolveRetry(options.retry);
    this.headers = { 'user-agent': options.userAgent ?? 'wharf-sdk', ...options.headers };
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** The same client with another token (e.g. the one a login exchange returned). */
  withToken(token: string | undefined): WharfClient {
    return new WharfClient({ ...this.options, token });
  }

  // ---------------------------------------------------------------- registry reads

  /** One page of `GET /servers`. */
  async listPage(query: ListQuery = {}, options?: CallOptions): Promise<ServerListResponse> {
    return this.json<ServerListResponse>(
      { method: 'GET', path: this.registryPath('/servers'), query: listParams(query), idempotent: true },
      options,
    );
  }

  /** Every page of `GET /servers`, following `nextCursor`. */
  async *pages(query: ListQuery = {}, options?: CallOptions): AsyncGenerator<ServerListResponse> {
    let cursor = query.cursor;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.listPage({ ...query, cursor }, options);
      yield page;
      const next = page.metadata?.nextCursor;
      // A final empty page is normal (the cursor is set whenever a page is full); a repeated cursor would loop.
      if (!next || page.servers.length === 0 || seen.has(next)) return;
      seen.add(next);
      cursor = next;
    }
  }

  /** Every server version matching the query, across all pages: `for await (const s of client.list()) …`. */
  async *list(query: ListQuery = {}, options?: CallOptions): AsyncGenerator<ServerResponse> {
    for await (const page of this.pages(query, options)) yield* page.servers;
  }

  /** `list` with a name search and filters (`transport`, `registryType`, `hasRemote`, `namespace`, …). */
  search(text: string, filters: Omit<ListQuery, 'search'> = {}, options?: CallOptions): AsyncGenerator<ServerResponse> {
    return this.list({ ...filters, search: text }, options);
  }

  /** One version (`latest` by default). */
  async get(
    name: string,
    version = 'latest',
    options?: CallOptions & { includeDeleted?: boolean },
  ): Promise<ServerResponse> {
    return this.json<ServerResponse>(
      {
        method: 'GET',
        path: this.registryPath(`/servers/${enc(name)}/versions/${enc(version)}`),
        query: { include_deleted: options?.includeDeleted },
        idempotent: true,
      },
      options,
    );
  }

  /** Every version of a server, newest first. */
  async versions(name: string, options?: CallOptions & { includeDeleted?: boolean }): Promise<ServerResponse[]> {
    const page = await this.json<ServerListResponse>(
      {
        method: 'GET',
        path: this.registryPath(`/servers/${enc(name)}/versions`),
        query: { include_deleted: options?.includeDeleted },
        idempotent: true,
      },
      options,
    );
    return page.servers;
  }

  // ---------------------------------------------------------------- registry writes

  /** `POST /publish`. Never retried. */
  async publish(server: ServerJSON, options?: CallOptions): Promise<ServerResponse> {
    return this.json({ method: 'POST', path: this.registryPath('/publish'), body: server, idempotent: false }, options);
  }

  /** `POST /validate`: the full report (schema + semantic rules); no auth needed, no side effects. */
  async validate(server: ServerJSON | Record<string, unknown>, options?: CallOptions): Promise<ValidationResult> {
    return this.json({ method: 'POST', path: this.registryPath('/validate'), body: server, idempotent: true }, options);
  }

  /** `PATCH /servers/{name}/versions/{version}/status`. */
  async setStatus(name: string, version: string, change: StatusChange, options?: CallOptions): Promise<ServerResponse> {
    return this.json(
      {
        method: 'PATCH',
        path: this.registryPath(`/servers/${enc(name)}/versions/${enc(version)}/status`),
        body: change,
        idempotent: false,
      },
      options,
    );
  }

  /** `PATCH /servers/{name}/status`: every version in one transaction. */
  async setStatusAllVersions(name: string, change: StatusChange, options?: CallOptions): Promise<StatusUpdateResponse> {
    return this.json(
      { method: 'PATCH', path: this.registryPath(`/servers/${enc(name)}/status`), body: change, idempotent: false },
      options,
    );
  }

  /** `PUT /servers/{name}/versions/{version}`: replace a version's server.json (needs `edit`). */
  async edit(name: string, version: string, server: ServerJSON, options?: CallOptions): Promise<ServerResponse> {
    return this.json(
      {
        method: 'PUT',
        path: this.registryPath(`/servers/${enc(name)}/versions/${enc(version)}`),
        body: server,
        idempotent: true,
      },
      options,
    );
  }

  /** `DELETE /servers/{name}/versions/{version}` (Wharf only; the official registry has no DELETE). */
  async delete(name: string, version: string, options?: CallOptions): Promise<void> {
    await this.request(
      { method: 'DELETE', path: this.registryPath(`/servers/${enc(name)}/versions/${enc(version)}`), idempotent: true },
      options,
    );
  }

  // ---------------------------------------------------------------- service endpoints

  async health(options?: CallOptions): Promise<HealthResponse> {
    return this.json({ method: 'GET', path: this.registryPath('/health'), idempotent: true }, options);
  }

  async ping(options?: CallOptions): Promise<{ pong: boolean }> {
    return this.json({ method: 'GET', path: this.registryPath('/ping'), idempotent: true }, options);
  }

  async version(options?: CallOptions): Promise<VersionResponse> {
    return this.json({ method: 'GET', path: this.registryPath('/version'), idempotent: true }, options);
  }

  // ---------------------------------------------------------------- login exchanges (→ registry JWT)

  /** `POST /auth/none` (anonymous namespace; only when the registry enables it). */
  loginNone(options?: CallOptions): Promise<TokenResponse> {
    return this.exchange('none', undefined, options);
  }

  /** `POST /auth/github-at` with a GitHub access token. */
  loginGitHub(githubToken: string, options?: CallOptions): Promise<TokenResponse> {
    return this.exchange('github-at', { github_token: githubToken }, options);
  }

  /** `POST /auth/github-oidc` with a GitHub Actions OIDC token. */
  loginGitHubOidc(oidcToken: string, options?: CallOptions): Promise<TokenResponse> {
    return this.exchange('github-oidc', { oidc_token: oidcToken }, options);
  }

  /** `POST /auth/oidc` with an ID token from the registry's configured issuer. */
  loginOidc(oidcToken: string, options?: CallOptions): Promise<TokenResponse> {
    return this.exchange('oidc', { oidc_token: oidcToken }, options);
  }

  /** `POST /auth/dns`: a timestamp signed with the key published in the domain's TXT record. */
  loginDns(proof: DomainProof, options?: CallOptions): Promise<TokenResponse> {
    return this.exchange('dns', proof, options);
  }

  /** `POST /auth/http`: a timestamp signed with the key served at `https://<domain>/.well-known/mcp-registry-auth`. */
  loginHttp(proof: DomainProof, options?: CallOptions): Promise<TokenResponse> {
    return this.exchange('http', proof, options);
  }

  /** `POST /auth/key`: exchange a Wharf API key for a short-lived registry JWT (server side lands with issue 3). */
  loginKey(apiKey: string, options?: CallOptions): Promise<TokenResponse> {
    return this.exchange('key', { key: apiKey }, options);
  }

  private exchange(method: string, body: unknown, options?: CallOptions): Promise<TokenResponse> {
    return this.json({ method: 'POST', path: this.registryPath(`/auth/${method}`), body, idempotent: false }, options);
  }

  // ---------------------------------------------------------------- API keys (global administrators)

  /** `POST /api/v1/keys`. The answer is the only time the secret `key` is shown. Never retried. */
  createKey(request: CreateKeyRequest, options?: CallOptions): Promise<CreatedApiKey> {
    return this.json({ method: 'POST', path: '/api/v1/keys', body: request, idempotent: false }, options);
  }

  /** Active keys, or every key with `includeRevoked`. */
  async listKeys(query: { includeRevoked?: boolean } = {}, options?: CallOptions): Promise<ApiKey[]> {
    const body = await this.json<{ keys: ApiKey[] }>(
      {
        method: 'GET',
        path: '/api/v1/keys',
        query: { include_revoked: query.includeRevoked },
        idempotent: true,
      },
      options,
    );
    return body.keys;
  }

  /** One key by id (administrators, or the key itself). */
  getKey(id: string, options?: CallOptions): Promise<ApiKey> {
    return this.json({ method: 'GET', path: `/api/v1/keys/${enc(id)}`, idempotent: true }, options);
  }

  /** `DELETE /api/v1/keys/{id}`: the revoked key; a second revocation is a 409. Never retried. */
  revokeKey(id: string, options?: CallOptions): Promise<ApiKey> {
    return this.json({ method: 'DELETE', path: `/api/v1/keys/${enc(id)}`, idempotent: false }, options);
  }

  // ---------------------------------------------------------------- audit log (global administrators)

  /** One page of `GET /api/v1/audit`, newest first. */
  auditPage(query: AuditQuery = {}, options?: CallOptions): Promise<AuditPage> {
    const { extra, ...known } = query;
    return this.json(
      { method: 'GET', path: '/api/v1/audit', query: { ...known, ...extra }, idempotent: true },
      options,
    );
  }

  /** Every audit event matching the query, newest first, across pages (`limit` is the page size). */
  async *audit(query: AuditQuery = {}, options?: CallOptions): AsyncGenerator<AuditEvent> {
    let cursor = query.cursor;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.auditPage({ ...query, cursor }, options);
      yield* page.events;
      const next = page.metadata?.nextCursor;
      if (!next || page.events.length === 0 || seen.has(next)) return;
      seen.add(next);
      cursor = next;
    }
  }

  // ---------------------------------------------------------------- instances (issue 9)

  /** Registers a running instance; needs publish permission on the server name. Not retried. */
  registerInstance(request: RegisterInstanceRequest, options?: CallOptions): Promise<RegisteredInstance> {
    return this.json({ method: 'POST', path: '/api/v1/instances', body: request, idempotent: false }, options);
  }

  /** `PUT /api/v1/instances/{id}/heartbeat` with the instance token from registration. */
  async heartbeat(
    id: string,
    instanceToken: string,
    note?: { status?: string; note?: string },
    options?: CallOptions,
  ): Promise<Record<string, unknown> | undefined> {
    const response = await this.request<Record<string, unknown> | undefined>(
      {
        method: 'PUT',
        path: `/api/v1/instances/${enc(id)}/heartbeat`,
        body: note ?? {},
        idempotent: true,
      },
      { ...options, token: instanceToken },
    );
    return response.body;
  }

  async deregisterInstance(id: string, instanceToken?: string, options?: CallOptions): Promise<void> {
    const token = instanceToken ?? options?.token;
    await this.request(
      { method: 'DELETE', path: `/api/v1/instances/${enc(id)}`, idempotent: true },
      token === undefined ? options : { ...options, token },
    );
  }

  async listInstances(query: { server?: string; state?: string } = {}, options?: CallOptions): Promise<Instance[]> {
    const body = await this.json<Instance[] | { instances: Instance[] }>(
      { method: 'GET', path: '/api/v1/instances', query, idempotent: true },
      options,
    );
    return Array.isArray(body) ? body : body.instances;
  }

  getInstance(id: string, options?: CallOptions): Promise<Instance> {
    return this.json({ method: 'GET', path: `/api/v1/instances/${enc(id)}`, idempotent: true }, options);
  }

  // ---------------------------------------------------------------- contexts (issue 6)

  /** `POST /api/v1/contexts?ttl_seconds=N` (0 = no expiry). Pass `id` to choose the id (409 when taken). */
  async createContext(
    payload: ContextPayload,
    params: { ttlSeconds?: number; id?: string; namespace?: string } = {},
    options?: CallOptions,
  ): Promise<ContextResult> {
    const body: Record<string, unknown> = { ...payload };
    if (params.id !== undefined) body.context_id = params.id;
    if (params.namespace !== undefined) body.namespace = params.namespace;
    const response = await this.request<Context>(
      {
        method: 'POST',
        path: '/api/v1/contexts',
        query: { ttl_seconds: params.ttlSeconds },
        body,
        idempotent: false,
      },
      options,
    );
    return { context: response.body, etag: response.headers.get('etag') ?? undefined };
  }

  async getContext(id: string, options?: CallOptions): Promise<ContextResult> {
    const response = await this.request<Context>(
      { method: 'GET', path: `/api/v1/contexts/${enc(id)}`, idempotent: true },
      options,
    );
    return { context: response.body, etag: response.headers.get('etag') ?? undefined };
  }

  /** Replaces the payload and refreshes the TTL; `ifMatch` makes it conditional (412 on conflict). */
  async putContext(
    id: string,
    payload: ContextPayload,
    params: { ttlSeconds?: number; ifMatch?: string } = {},
    options?: CallOptions,
  ): Promise<ContextResult> {
    const response = await this.request<Context>(
      {
        method: 'PUT',
        path: `/api/v1/contexts/${enc(id)}`,
        query: { ttl_seconds: params.ttlSeconds },
        body: payload,
        headers: { 'if-match': params.ifMatch },
        // Unconditional PUT is idempotent; a conditional one is too (a repeat fails cleanly with 412).
        idempotent: true,
      },
      options,
    );
    return { context: response.body, etag: response.headers.get('etag') ?? undefined };
  }

  /** JSON Merge Patch (RFC 7396) of the payload. Not retried: a merge patch is not idempotent in general. */
  async patchContext(
    id: string,
    mergePatch: Record<string, unknown>,
    params: { ifMatch?: string; ttlSeconds?: number } = {},
    options?: CallOptions,
  ): Promise<ContextResult> {
    const response = await this.request<Context>(
      {
        method: 'PATCH',
        path: `/api/v1/contexts/${enc(id)}`,
        query: { ttl_seconds: params.ttlSeconds },
        body: mergePatch,
        contentType: 'application/merge-patch+json',
        headers: { 'if-match': params.ifMatch },
        idempotent: false,
      },
      options,
    );
    return { context: response.body, etag: response.headers.get('etag') ?? undefined };
  }

  async deleteContext(id: string, params: { ifMatch?: string } = {}, options?: CallOptions): Promise<void> {
    await this.request(
      {
        method: 'DELETE',
        path: `/api/v1/contexts/${enc(id)}`,
        headers: { 'if-match': params.ifMatch },
        idempotent: true,
      },
      options,
    );
  }

  listContexts(query: ContextListQuery = {}, options?: CallOptions): Promise<ContextPage> {
    const { extra, ...known } = query;
    return this.json(
      { method: 'GET', path: '/api/v1/contexts', query: { ...known, ...extra }, idempotent: true },
      options,
    );
  }

  // ---------------------------------------------------------------- gateway (global administrators)

  /** Every attached upstream with its connection status; secret values come back as `********`. */
  async listUpstreams(options?: CallOptions): Promise<Upstream[]> {
    const body = await this.json<{ upstreams: Upstream[] }>(
      { method: 'GET', path: '/api/v1/gateway/upstreams', idempotent: true },
      options,
    );
    return body.upstreams;
  }

  getUpstream(alias: string, options?: CallOptions): Promise<Upstream> {
    return this.json({ method: 'GET', path: `/api/v1/gateway/upstreams/${enc(alias)}`, idempotent: true }, options);
  }

  /** Attaches a registry server's remote as an upstream (409 when the alias is taken). Never retried. */
  attachUpstream(request: AttachUpstreamRequest, options?: CallOptions): Promise<Upstream> {
    return this.json({ method: 'POST', path: '/api/v1/gateway/upstreams', body: request, idempotent: false }, options);
  }

  /** Changes version, remote or values; values not sent are kept, secrets included. */
  updateUpstream(alias: string, changes: UpdateUpstreamRequest, options?: CallOptions): Promise<Upstream> {
    return this.json(
      { method: 'PATCH', path: `/api/v1/gateway/upstreams/${enc(alias)}`, body: changes, idempotent: false },
      options,
    );
  }

  async detachUpstream(alias: string, options?: CallOptions): Promise<void> {
    await this.request(
      { method: 'DELETE', path: `/api/v1/gateway/upstreams/${enc(alias)}`, idempotent: false },
      options,
    );
  }

  async listVirtualServers(options?: CallOptions): Promise<VirtualServer[]> {
    const body = await this.json<{ virtualServers: VirtualServer[] }>(
      { method: 'GET', path: '/api/v1/gateway/virtual-servers', idempotent: true },
      options,
    );
    return body.virtualServers;
  }

  getVirtualServer(name: string, options?: CallOptions): Promise<VirtualServer> {
    return this.json(
      { method: 'GET', path: `/api/v1/gateway/virtual-servers/${enc(name)}`, idempotent: true },
      options,
    );
  }

  /** A named subset of the federated tools, served at `/mcp/{name}` (409 when the name is taken). Never retried. */
  createVirtualServer(request: CreateVirtualServerRequest, options?: CallOptions): Promise<VirtualServer> {
    return this.json(
      { method: 'POST', path: '/api/v1/gateway/virtual-servers', body: request, idempotent: false },
      options,
    );
  }

  /** `tools`, when given, replaces the whole selection. */
  updateVirtualServer(
    name: string,
    changes: UpdateVirtualServerRequest,
    options?: CallOptions,
  ): Promise<VirtualServer> {
    return this.json(
      { method: 'PATCH', path: `/api/v1/gateway/virtual-servers/${enc(name)}`, body: changes, idempotent: false },
      options,
    );
  }

  async deleteVirtualServer(name: string, options?: CallOptions): Promise<void> {
    await this.request(
      { method: 'DELETE', path: `/api/v1/gateway/virtual-servers/${enc(name)}`, idempotent: false },
      options,
    );
  }

  // ---------------------------------------------------------------- transport

  private registryPath(path: string): string {
    return `/${this.apiVersion}${path}`;
  }

  private async json<T>(spec: RequestSpec, options?: CallOptions): Promise<T> {
    return (await this.request<T>(spec, options)).body;
  }

  /** One logical call: attempts, classification of failures, backoff between retries. */
  private async request<T>(spec: RequestSpec, options: CallOptions = {}): Promise<RawResponse<T>> {
    const url = this.url(spec.path, spec.query);
    const retries = spec.idempotent ? this.retry.retries : 0;
    for (let attempt = 0; ; attempt += 1) {
      let delay: number;
      try {
        return await this.attempt<T>(spec, url, options);
      } catch (error) {
        if (options.signal?.aborted || attempt >= retries) throw error;
        if (error instanceof WharfApiError) {
          if (!isRetryableStatus(error.status)) throw error;
          const retryAfterMs = error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000;
          if (retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs) throw error;
          delay = retryAfterMs ?? backoffDelay(attempt, this.retry, this.random);
        } else if (error instanceof WharfNetworkError || error instanceof WharfTimeoutError) {
          delay = backoffDelay(attempt, this.retry, this.random);
        } else {
          throw error;
        }
      }
      await this.sleep(delay, options.signal);
    }
  }

  private async attempt<T>(spec: RequestSpec, url: string, options: CallOptions): Promise<RawResponse<T>> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...this.headers };
    const token = options.token ?? (typeof this.token === 'function' ? await this.token() : this.token);
    if (token) headers.authorization = `Bearer ${token}`;
    for (const [key, value] of Object.entries(spec.headers ?? {})) if (value !== undefined) headers[key] = value;
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = spec.contentType ?? 'application/json';
    }
    let status: number;
    let responseHeaders: Headers;
    let text: string;
    try {
      const response = await this.fetchImpl(url, { method: spec.method, headers, body, signal });
      status = response.status;
      responseHeaders = response.headers;
      // The timeout covers the body too: a server that stalls mid-body is as stuck as one that never answers.
      text = await response.text();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.signal.aborted) throw new WharfTimeoutError(spec.method, url, timeoutMs);
      throw new WharfNetworkError(spec.method, url, error);
    } finally {
      clearTimeout(timer);
    }
    if (status >= 200 && status < 300) {
      if (text === '') return { status, headers: responseHeaders, body: undefined as T };
      try {
        return { status, headers: responseHeaders, body: JSON.parse(text) as T };
      } catch {
        throw new WharfError(`${spec.method} ${url} answered ${status} with a body that is not JSON`);
      }
    }
    throw new WharfApiError({
      method: spec.method,
      url,
      problem: toProblem(status, text),
      retryAfterSeconds: parseRetryAfter(responseHeaders.get('retry-after'), this.now()),
    });
  }

  private url(path: string, query?: Record<string, string | number | boolean | undefined>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }
}

/** Path segments are encoded once (`/` → `%2F`), which is what both the official registry and Wharf expect. */
const enc = (segment: string) => encodeURIComponent(segment);

function listParams(query: ListQuery): Record<string, string | number | boolean | undefined> {
  return {
    cursor: query.cursor,
    limit: query.limit,
    search: query.search,
    version: query.version,
    updated_since: query.updatedSince,
    include_deleted: query.includeDeleted,
    transport: query.transport,
    registry_type: query.registryType,
    has_remote: query.hasRemote,
    has_package: query.hasPackage,
    namespace: query.namespace,
    status: query.status,
    health: query.health,
    ...query.extra,
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The problem body as sent, or one synthesised from the status and text when a proxy answered in HTML. */
function toProblem(status: number, text: string): Problem {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const p = parsed as Partial<Problem>;
      return {
        ...p,
        title: typeof p.title === 'string' ? p.title : (STATUS_TEXT[status] ?? `HTTP ${status}`),
        status: typeof p.status === 'number' ? p.status : status,
        detail: typeof p.detail === 'string' ? p.detail : '',
      } as Problem;
    }
  } catch {
    // not JSON: fall through
  }
  return { title: STATUS_TEXT[status] ?? `HTTP ${status}`, status, detail: text.trim().slice(0, 500) };
}
