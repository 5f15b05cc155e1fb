import { z } from 'zod';
import type { OutboundClient } from '../platform/net/index.js';
import { OutboundError } from '../platform/net/index.js';
import { OFFICIAL_META_KEY, SERVER_STATUSES } from '../registry/model.js';
import type { ServerStatus } from '../registry/model.js';
import type { MirroredVersion } from '../registry/store.js';
import { serverNameError } from '../registry/validation/index.js';

/** The official maximum page size. */
export const MAX_PAGE_SIZE = 100;
const MAX_PAGE_BYTES = 64 * 1024 * 1024;

export interface ListPageRequest {
  cursor?: string | undefined;
  updatedSince?: string | undefined;
  limit: number;
}

export interface InvalidItem {
  name?: string | undefined;
  version?: string | undefined;
  reason: string;
}

export interface UpstreamPage {
  items: MirroredVersion[];
  /** Entries that cannot be stored (bad name, missing official metadata…), with the reason. */
  invalid: InvalidItem[];
  nextCursor?: string | undefined;
  /** The upstream's clock (HTTP `Date` header, ISO), when it sent one. */
  serverTime?: string | undefined;
  /** The URL fetched (for messages). */
  url: string;
}

export class UpstreamError extends Error {
  override name = 'UpstreamError';
}

/**
 * Turns what a user wrote (`https://host`, `https://host/v0.1`, `https://host/v0/servers`) into the API base that
 * `/servers` hangs off. A bare host gets `/v0.1`, the current official prefix.
 */
export function normaliseUpstream(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new UpstreamError(`upstream "${input}" is not an absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UpstreamError(`upstream "${input}" must be an http(s) URL`);
  }
  url.search = '';
  url.hash = '';
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/servers')) path = path.slice(0, -'/servers'.length);
  if (!/\/v0(\.\d+)?$/.test(path)) path = `${path}/v0.1`;
  url.pathname = path;
  return url.toString().replace(/\/$/, '');
}

/** An RFC 3339 timestamp, as ISO in UTC to the millisecond (Wharf's precision; text comparisons then order it). */
function timestamp(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/i.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

interface OfficialMeta {
  status: ServerStatus;
  statusChangedAt: string;
  statusMessage: string | null;
  publishedAt: string;
  updatedAt: string;
  isLatest: boolean;
}

/**
 * The official metadata block of one entry, or the reason it cannot be stored. Checked by hand rather than with a
 * schema library: it runs for every version of a full copy (tens of thousands), where that cost showed.
 */
function officialMeta(meta: unknown): OfficialMeta | string {
  if (!isObject(meta)) return 'is missing';
  const status = meta.status ?? 'active';
  if (typeof status !== 'string' || !(SERVER_STATUSES as readonly string[]).includes(status)) {
    return 'status: must be active, deprecated or deleted';
  }
  const publishedAt = timestamp(meta.publishedAt);
  const updatedAt = timestamp(meta.updatedAt);
  if (publishedAt === undefined) return 'publishedAt: must be an RFC 3339 timestamp';
  if (updatedAt === undefined) return 'updatedAt: must be an RFC 3339 timestamp';
  const statusChangedAt = meta.statusChangedAt === undefined ? updatedAt : timestamp(meta.statusChangedAt);
  if (statusChangedAt === undefined) return 'statusChangedAt: must be an RFC 3339 timestamp';
  const message = meta.statusMessage ?? null;
  if (message !== null && (typeof message !== 'string' || message.length > 500)) {
    return 'statusMessage: must be a string of at most 500 characters';
  }
  if (meta.isLatest !== undefined && typeof meta.isLatest !== 'boolean') return 'isLatest: must be a boolean';
  return {
    status: status as ServerStatus,
    statusChangedAt,
    statusMessage: message,
    publishedAt,
    updatedAt,
    isLatest: meta.isLatest === true,
  };
}

const listResponse = z.object({
  servers: z.array(z.unknown()),
  metadata: z.object({ nextCursor: z.string().optional(), count: z.number().optional() }).partial().optional(),
});

export interface UpstreamClientOptions {
  client: OutboundClient;
  /** Normalised API base (see `normaliseUpstream`). */
  baseUrl: string;
  /** Attempts per page for 429, 5xx and network errors. */
  attempts?: number;
  /** Waits between attempts (injectable so tests do not sleep). */
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal | undefined;
}

/** Reads another registry's `/servers` listing, one page at a time. */
export class UpstreamClient {
  private readonly attempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: UpstreamClientOptions) {
    this.attempts = options.attempts ?? 5;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async listPage(request: ListPageRequest): Promise<UpstreamPage> {
    const url = new URL(`${this.options.baseUrl}/servers`);
    url.searchParams.set('limit', String(request.limit));
    url.searchParams.set('include_deleted', 'true');
    if (request.updatedSince !== undefined) url.searchParams.set('updated_since', request.updatedSince);
    // searchParams encodes the cursor: the official registry hands it out raw, and a version such as `1.0.0+build`
    // sent back unencoded would arrive as `1.0.0 build`.
    if (request.cursor !== undefined) url.searchParams.set('cursor', request.cursor);
    const href = url.toString();
    const response = await this.fetchWithRetries(href);
    let body: unknown;
    try {
      body = response.json();
    } catch {
      throw new UpstreamError(`${href} did not answer with JSON (status ${response.status})`);
    }
    const parsed = listResponse.safeParse(body);
    if (!parsed.success) {
      throw new UpstreamError(`${href} did not answer with a registry list response {servers, metadata}`);
    }
    const page: UpstreamPage = { items: [], invalid: [], url: href };
    for (const raw of parsed.data.servers) {
      const item = parseItem(raw);
      if ('reason' in item) page.invalid.push(item);
      else page.items.push(item);
    }
    const next = parsed.data.metadata?.nextCursor;
    if (next) page.nextCursor = next;
    const date = response.headers.get('date');
    if (date && !Number.isNaN(Date.parse(date))) page.serverTime = new Date(date).toISOString();
    return page;
  }

  private async fetchWithRetries(href: string) {
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (this.options.signal?.aborted) throw new UpstreamError('sync stopped');
      let waitMs = Math.min(30_000, 500 * 2 ** (attempt - 1));
      try {
        const response = await this.options.client.fetch(href, {
          maxBytes: MAX_PAGE_BYTES,
          timeoutMs: 60_000,
          headers: { accept: 'application/json' },
          ...(this.options.signal ? { signal: this.options.signal } : {}),
        });
        if (response.status === 200) return response;
        lastProblem = `answered ${response.status}: ${response.text().slice(0, 300)}`;
        if (response.status !== 429 && response.status < 500) break;
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter >= 0) waitMs = Math.min(60_000, retryAfter * 1000);
      } catch (error) {
        // Policy refusals (a private address, a bad URL) will not change on retry.
        if (error instanceof OutboundError && (error.code === 'blocked' || error.code === 'invalid_url')) throw error;
        if (this.options.signal?.aborted) throw new UpstreamError('sync stopped');
        lastProblem = error instanceof Error ? error.message : String(error);
      }
      if (attempt < this.attempts) await this.sleep(waitMs);
    }
    throw new UpstreamError(`GET ${href} ${lastProblem}`);
  }
}

function parseItem(raw: unknown): MirroredVersion | InvalidItem {
  if (!isObject(raw) || !isObject(raw.server)) return { reason: 'entry has no "server" object' };
  const server = raw.server;
  const name = typeof server.name === 'string' ? server.name : undefined;
  const version = typeof server.version === 'string' ? server.version : undefined;
  const invalid = (reason: string): InvalidItem => ({ name, version, reason });
  if (name === undefined || version === undefined) return invalid('server.name and server.version must be strings');
  const nameProblem = name.length > 200 ? 'server name is longer than 200 characters' : serverNameError(name);
  if (nameProblem) return invalid(nameProblem);
  if (version.trim() === '' || version.length > 255) return invalid('version must be 1 to 255 characters');
  const meta = isObject(raw._meta) ? raw._meta[OFFICIAL_META_KEY] : undefined;
  const o = officialMeta(meta);
  if (typeof o === 'string') return invalid(`_meta["${OFFICIAL_META_KEY}"] ${o}`);
  const remoteUrls = Array.isArray(server.remotes)
    ? server.remotes.flatMap((r) => (isObject(r) && typeof r.url === 'string' ? [r.url] : []))
    : [];
  return {
    name,
    version,
    status: o.status,
    statusChangedAt: o.statusChangedAt,
    statusMessage: o.statusMessage,
    publishedAt: o.publishedAt,
    updatedAt: o.updatedAt,
    isLatest: o.isLatest,
    // The upstream's document as it sent it (key order included): a mirror must not drop fields of schema
    // versions newer than its own validator.
    document: JSON.stringify(server),
    remoteUrls,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
