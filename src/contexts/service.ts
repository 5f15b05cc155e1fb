import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/authenticator.js';
import { hasPermission, matchesPattern } from '../auth/permissions.js';
import type { Action } from '../auth/permissions.js';
import { WharfError, badRequest, forbidden, notFound } from '../platform/errors.js';
import type { ErrorDetail } from '../platform/errors.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { ContextEvent, ContextPage, ContextRecord, ContextStore, JsonObject, VersionCondition } from './model.js';
import { isPlainObject, mergePatch, ownerOf } from './model-json.js';

export interface ContextSettings {
  /** TTL when a write does not give one; 0 = no expiry. */
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  /** Largest `{data, metadata}` document, in bytes of its JSON. */
  maxDocumentBytes: number;
  /** Namespace patterns under which non-admin callers see only contexts whose `metadata.owner` is their subject. */
  ownerRuleNamespaces: string[];
  reapIntervalMs: number;
  eventRetentionSeconds: number;
}

export const DEFAULT_NAMESPACE = 'default';
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$/;
export const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
const METADATA_KEY_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** `events` names the namespace change stream under /api/v1/contexts, so it cannot be a context id. */
const RESERVED_IDS = new Set(['events']);
const REAP_BATCH = 1000;
const EVENT_BATCH = 500;

export interface WriteInput {
  data: unknown;
  metadata?: unknown;
  /** Raw `ttl_seconds` as given (query text or number); undefined = default TTL. */
  ttlSeconds?: unknown;
}

export interface CreateInput extends WriteInput {
  id?: unknown;
  namespace?: unknown;
}

export interface Precondition {
  /** Raw If-Match header value. */
  ifMatch?: string | undefined;
}

export interface ListInput {
  namespace?: unknown;
  metadata?: Record<string, string>;
  cursor?: unknown;
  limit?: unknown;
}

export interface WatchInput {
  namespace: string;
  contextId?: string | undefined;
  lastEventId?: string | undefined;
}

type Operation = 'create' | 'read' | 'update' | 'delete';

/**
 * The context store's rules: shapes, sizes, TTLs, versions, namespaces and who may do what. The HTTP routes
 * and the MCP tools both call this; neither knows which backend holds the documents.
 */
export class ContextService {
  private reaper: NodeJS.Timeout | undefined;
  private reaping: Promise<void> | undefined;
  private lastPrune = 0;
  private metrics: Metrics | undefined;

  constructor(
    readonly store: ContextStore,
    readonly settings: ContextSettings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get backend(): ContextStore['backend'] {
    return this.store.backend;
  }

  /** Counts operations and times the store on this app's metrics registry. */
  instrument(metrics: Metrics): void {
    this.metrics = metrics;
  }

  async create(principal: Principal, input: CreateInput): Promise<ContextRecord> {
    return this.counted('create', async () => {
      const namespace = parseNamespace(input.namespace);
      this.authorize(principal, 'context_writer', namespace);
      const id = input.id === undefined || input.id === null ? randomUUID() : parseId(input.id, 'body.context_id');
      const { data, metadata } = this.parsePayload(input.data, input.metadata);
      this.applyOwnerOnCreate(principal, namespace, metadata);
      this.checkSize(data, metadata);
      const now = this.now();
      const context: ContextRecord = {
        id,
        namespace,
        data,
        metadata,
        version: 1,
        createdAt: now,
        updatedAt: now,
        expiresAt: this.expiry(input.ttlSeconds, now),
      };
      const outcome = await this.timed('create', () => this.store.create(context, now));
      if (!outcome.ok) {
        throw new WharfError('conflict', `A context with id "${id}" already exists; choose another id or update it`);
      }
      return context;
    });
  }

  async get(principal: Principal, id: string): Promise<ContextRecord> {
    return this.counted('read', async () => {
      const context = await this.load(principal, id, 'context_reader');
      return context;
    });
  }

  /** Replaces data and metadata and restarts the TTL. */
  async replace(principal: Principal, id: string, input: WriteInput & Precondition): Promise<ContextRecord> {
    return this.counted('update', async () => {
      const condition = parseIfMatch(input.ifMatch);
      const { data, metadata } = this.parsePayload(input.data, input.metadata);
      this.checkSize(data, metadata);
      const ttlSeconds = input.ttlSeconds;
      this.expiry(ttlSeconds, 0); // validate before touching the store
      return this.write(principal, id, condition, (current, now) => {
        this.keepOwner(principal, current, metadata);
        return { ...current, data, metadata, updatedAt: now, expiresAt: this.expiry(ttlSeconds, now) };
      });
    });
  }

  /** Applies a JSON Merge Patch (RFC 7396) to `{data, metadata}` and restarts the TTL. */
  async patch(
    principal: Principal,
    id: string,
    input: { patch: unknown; ttlSeconds?: unknown } & Precondition,
  ): Promise<ContextRecord> {
    return this.counted('update', async () => {
      const condition = parseIfMatch(input.ifMatch);
      const patch = input.patch;
      if (!isPlainObject(patch)) {
        throw badRequest('A merge patch must be a JSON object such as {"data": {"step": 2}}', [
          { message: 'expected a JSON object', location: 'body' },
        ]);
      }
      const unknown = Object.keys(patch).filter((k) => k !== 'data' && k !== 'metadata');
      if (unknown.length > 0) {
        throw badRequest('A merge patch may only change "data" and "metadata"', [
          ...unknown.map((k) => ({
            message: 'unknown member; only data and metadata can be patched',
            location: `body.${k}`,
          })),
        ]);
      }
      const ttlSeconds = input.ttlSeconds;
      this.expiry(ttlSeconds, 0);
      return this.write(principal, id, condition, (current, now) => {
        const merged = mergePatch({ data: current.data, metadata: current.metadata }, patch) as JsonObject;
        const { data, metadata } = this.parsePayload(merged.data, merged.metadata ?? {}, 'patched ');
        this.keepOwner(principal, current, metadata);
        this.checkSize(data, metadata);
        return { ...current, data, metadata, updatedAt: now, expiresAt: this.expiry(ttlSeconds, now) };
      });
    });
  }

  /** Deletes a live context; answers it as it was just before the delete. */
  async delete(principal: Principal, id: string, precondition: Precondition = {}): Promise<ContextRecord> {
    return this.counted('delete', async () => {
      const condition = parseIfMatch(precondition.ifMatch);
      const current = await this.load(principal, id, 'context_writer');
      const now = this.now();
      const expected = condition === '*' || condition === undefined ? current.version : condition;
      if (expected !== current.version) throw preconditionFailed(id, current.version);
      const outcome = await this.timed('delete', () => this.store.delete(id, expected, now, current));
      if (!outcome.ok) {
        if (outcome.reason === 'not_found') throw missing(id);
        if (condition === undefined) return this.delete(principal, id, precondition);
        throw preconditionFailed(id, outcome.current?.version);
      }
      return current;
    });
  }

  async list(principal: Principal, input: ListInput): Promise<ContextPage> {
    return this.counted('read', async () => {
      const namespace = parseNamespace(input.namespace);
      this.authorize(principal, 'context_reader', namespace);
      const metadata = { ...(input.metadata ?? {}) };
      const errors: ErrorDetail[] = [];
      for (const key of Object.keys(metadata)) {
        if (!METADATA_KEY_PATTERN.test(key)) {
          errors.push({
            message: 'metadata filter keys use letters, digits, _ . - (1-64)',
            location: `query.metadata.${key}`,
          });
        }
      }
      if (errors.length > 0) throw badRequest('Invalid metadata filter', errors);
      if (this.ownerRuleApplies(principal, namespace)) {
        if (metadata.owner !== undefined && metadata.owner !== principal.subject) {
          throw forbidden(`Only contexts owned by "${principal.subject}" can be listed in namespace "${namespace}"`);
        }
        metadata.owner = principal.subject;
      }
      const limit = parseLimit(input.limit);
      const after = parseCursor(input.cursor, namespace);
      return this.timed('list', () => this.store.list({ namespace, metadata, after, limit, now: this.now() }));
    });
  }

  /** Checks that the caller may watch, and where a per-context stream's namespace is. */
  async watchTarget(principal: Principal, input: { namespace?: unknown; contextId?: string }): Promise<string> {
    if (input.contextId !== undefined) {
      const id = parseId(input.contextId, 'path.id');
      if (input.namespace !== undefined) {
        const namespace = parseNamespace(input.namespace);
        this.authorize(principal, 'context_reader', namespace);
        return namespace;
      }
      return (await this.load(principal, id, 'context_reader')).namespace;
    }
    const namespace = parseNamespace(input.namespace);
    this.authorize(principal, 'context_reader', namespace);
    return namespace;
  }

  /**
   * The namespace's changes in order, from after `lastEventId` (or from now), until `signal` aborts. Every
   * event is read from the store's ordered log, so a watcher sees every change exactly once and in order,
   * whichever replica made it.
   */
  async *watch(principal: Principal, input: WatchInput, signal: AbortSignal): AsyncGenerator<ContextEvent> {
    this.authorize(principal, 'context_reader', input.namespace);
    if (input.lastEventId !== undefined && !this.store.isEventId(input.lastEventId)) {
      throw badRequest(`Last-Event-ID "${input.lastEventId}" is not an event id of this store`);
    }
    const ownerOnly = this.ownerRuleApplies(principal, input.namespace) ? principal.subject : undefined;
    let wake: (() => void) | undefined;
    let dirty = true;
    const unsubscribe = this.store.onChange((namespace) => {
      if (namespace !== input.namespace && namespace !== '*') return;
      dirty = true;
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      let cursor = input.lastEventId ?? (await this.store.latestEventId(input.namespace));
      while (!signal.aborted) {
        if (!dirty) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        dirty = false;
        for (;;) {
          const events = await this.store.readEvents(input.namespace, cursor, EVENT_BATCH);
          for (const event of events) {
            cursor = event.id;
            if (input.contextId !== undefined && event.contextId !== input.contextId) continue;
            if (ownerOnly !== undefined && event.owner !== ownerOnly) continue;
            if (signal.aborted) return;
            yield event;
          }
          if (events.length < EVENT_BATCH) break;
        }
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Runs the reaper in the background; every replica may run it (the stores make batches exclusive). */
  start(): void {
    if (this.reaper) return;
    this.reaper = setInterval(() => void this.reapNow(), this.settings.reapIntervalMs);
    this.reaper.unref();
  }

  async stop(): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = undefined;
    await this.reaping;
  }

  /** Expires every due context now; returns how many. Concurrent calls share one pass. */
  async reapNow(): Promise<number> {
    let total = 0;
    const pass = async () => {
      try {
        for (;;) {
          const started = performance.now();
          const n = await this.store.reapExpired(this.now(), REAP_BATCH);
          this.metrics?.contextStoreDuration.observe(
            { operation: 'reap', backend: this.backend },
            (performance.now() - started) / 1000,
          );
          total += n;
          if (n < REAP_BATCH) break;
        }
        if (total > 0) {
          this.metrics?.contextExpired.inc({ backend: this.backend }, total);
          this.logger.debug({ expired: total }, 'contexts expired');
        }
        const now = this.now();
        if (now - this.lastPrune > 60_000) {
          this.lastPrune = now;
          await this.store.pruneEvents(now - this.settings.eventRetentionSeconds * 1000);
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'context reaper pass failed; retrying on the next tick');
      }
    };
    if (this.reaping) {
      await this.reaping;
      return 0;
    }
    this.reaping = pass();
    try {
      await this.reaping;
    } finally {
      this.reaping = undefined;
    }
    return total;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }

  // ---- rules ----

  private async write(
    principal: Principal,
    id: string,
    condition: VersionCondition,
    next: (current: ContextRecord, now: number) => ContextRecord,
  ): Promise<ContextRecord> {
    const loaded = await this.load(principal, id, 'context_writer');
    const now = this.now();
    const outcome = await this.timed('update', () =>
      this.store.update(id, condition, (c) => next(c, now), now, loaded),
    );
    if (outcome.ok) return outcome.context;
    if (outcome.reason === 'not_found') throw missing(id);
    throw preconditionFailed(id, outcome.current?.version);
  }

  /** The live context, after checking the caller may act on it; 404 when missing or expired. */
  private async load(principal: Principal, id: string, action: Action): Promise<ContextRecord> {
    const checked = parseId(id, 'path.id');
    requireAnyContextRole(principal);
    const context = await this.timed('read', () => this.store.get(checked, this.now()));
    if (!context) throw missing(checked);
    this.authorize(principal, action, context.namespace);
    if (this.ownerRuleApplies(principal, context.namespace) && ownerOf(context.metadata) !== principal.subject) {
      throw forbidden(
        `Context "${checked}" belongs to another owner; in namespace "${context.namespace}" you may only use contexts whose metadata.owner is "${principal.subject}"`,
      );
    }
    return context;
  }

  private authorize(principal: Principal, action: Action, namespace: string): void {
    // A writer can read what it writes.
    const allowed =
      hasPermission(principal.permissions, action, namespace) ||
      (action === 'context_reader' && hasPermission(principal.permissions, 'context_writer', namespace));
    if (allowed) return;
    const held = principal.permissions
      .filter((p) => p.action === 'context_reader' || p.action === 'context_writer' || p.action === 'admin')
      .map((p) => `${p.action} on "${p.resource}"`);
    throw forbidden(
      `${action} permission on namespace "${namespace}" is required. ` +
        (held.length > 0
          ? `Your credential holds: ${held.join(', ')}.`
          : 'Your credential holds no context permissions.'),
    );
  }

  private ownerRuleApplies(principal: Principal, namespace: string): boolean {
    if (!this.settings.ownerRuleNamespaces.some((p) => matchesPattern(p, namespace))) return false;
    return !hasPermission(principal.permissions, 'admin', namespace);
  }

  private applyOwnerOnCreate(principal: Principal, namespace: string, metadata: JsonObject) {
    if (!this.ownerRuleApplies(principal, namespace)) return;
    if (metadata.owner === undefined) metadata.owner = principal.subject;
    else if (metadata.owner !== principal.subject) {
      throw forbidden(
        `In namespace "${namespace}" contexts belong to their creator: metadata.owner must be "${principal.subject}" or absent`,
      );
    }
  }

  private keepOwner(principal: Principal, current: ContextRecord, metadata: JsonObject) {
    if (!this.ownerRuleApplies(principal, current.namespace)) return;
    if (metadata.owner === undefined) metadata.owner = principal.subject;
    else if (metadata.owner !== principal.subject) {
      throw forbidden(`metadata.owner cannot be changed to another subject in namespace "${current.namespace}"`);
    }
  }

  private parsePayload(data: unknown, metadata: unknown, what = ''): { data: JsonObject; metadata: JsonObject } {
    const errors: ErrorDetail[] = [];
    if (!isPlainObject(data)) {
      errors.push({ message: `data must be a JSON object, got ${describe(data)}`, location: 'body.data' });
    }
    if (metadata !== undefined && metadata !== null && !isPlainObject(metadata)) {
      errors.push({ message: `metadata must be a JSON object, got ${describe(metadata)}`, location: 'body.metadata' });
    }
    if (errors.length > 0) {
      throw badRequest(`Invalid ${what}context payload: ${errors.map((e) => e.message).join('; ')}`, errors);
    }
    return { data: data as JsonObject, metadata: isPlainObject(metadata) ? { ...metadata } : {} };
  }

  private checkSize(data: JsonObject, metadata: JsonObject) {
    const bytes = Buffer.byteLength(JSON.stringify({ data, metadata }));
    if (bytes > this.settings.maxDocumentBytes) {
      throw new WharfError(
        'payload_too_large',
        `The context document is ${bytes} bytes; the limit is ${this.settings.maxDocumentBytes} bytes (WHARF_CONTEXT_MAX_BYTES)`,
      );
    }
  }

  private expiry(raw: unknown, now: number): number | null {
    const ttl =
      raw === undefined || raw === '' ? this.settings.defaultTtlSeconds : parseTtl(raw, this.settings.maxTtlSeconds);
    return ttl === 0 ? null : now + ttl * 1000;
  }

  private async counted<T>(operation: Operation, run: () => Promise<T>): Promise<T> {
    const counter = this.metrics?.contextOperations[operation];
    try {
      const result = await run();
      counter?.inc({ outcome: 'ok', backend: this.backend });
      return result;
    } catch (error) {
      counter?.inc({ outcome: error instanceof WharfError ? error.code : 'error', backend: this.backend });
      throw error;
    }
  }

  private async timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (!this.metrics) return run();
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.metrics.contextStoreDuration.observe(
        { operation, backend: this.backend },
        (performance.now() - started) / 1000,
      );
    }
  }
}

// ---- parsing ----

function requireAnyContextRole(principal: Principal) {
  const any = principal.permissions.some(
    (p) => p.action === 'context_reader' || p.action === 'context_writer' || p.action === 'admin',
  );
  if (!any) {
    throw forbidden(
      'This credential holds no context permissions (context_reader, context_writer or admin on a namespace)',
    );
  }
}

export function parseId(raw: unknown, location: string): string {
  if (typeof raw !== 'string' || !ID_PATTERN.test(raw) || RESERVED_IDS.has(raw)) {
    throw badRequest(
      `Invalid context id ${JSON.stringify(raw)}: use 1-128 characters from letters, digits and . _ : ~ -, starting with a letter or digit (and not "events")`,
      [{ message: 'invalid context id', location }],
    );
  }
  return raw;
}

export function parseNamespace(raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_NAMESPACE;
  if (typeof raw !== 'string' || !NAMESPACE_PATTERN.test(raw)) {
    throw badRequest(
      `Invalid namespace ${JSON.stringify(raw)}: use 1-128 characters from letters, digits and . _ / -, starting with a letter or digit`,
      [{ message: 'invalid namespace', location: 'namespace' }],
    );
  }
  return raw;
}

function parseTtl(raw: unknown, max: number): number {
  const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw badRequest(
      `ttl_seconds must be a whole number of seconds from 0 (never expires) to ${max}, got ${JSON.stringify(raw)}`,
      [{ message: 'invalid ttl_seconds', location: 'query.ttl_seconds' }],
    );
  }
  return value;
}

function parseLimit(raw: unknown): number {
  if (raw === undefined || raw === '') return 50;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 500) {
    throw badRequest(`limit must be a whole number from 1 to 500, got ${JSON.stringify(raw)}`, [
      { message: 'invalid limit', location: 'query.limit' },
    ]);
  }
  return value;
}

/** Cursors are opaque to clients: base64url of the namespace and the last id of the previous page. */
export function encodeCursor(namespace: string, after: string): string {
  return Buffer.from(JSON.stringify([namespace, after])).toString('base64url');
}

function parseCursor(raw: unknown, namespace: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const invalid = () =>
    badRequest('Invalid cursor: pass back the next_cursor of a previous page of the same listing', [
      { message: 'invalid cursor', location: 'query.cursor' },
    ]);
  if (typeof raw !== 'string') throw invalid();
  try {
    const decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(decoded) && decoded[0] === namespace && typeof decoded[1] === 'string') return decoded[1];
  } catch {
    // fall through
  }
  throw invalid();
}

/** If-Match: `*`, or one strong ETag `"<version>"` (a list is accepted when it holds one version). */
export function parseIfMatch(raw: string | undefined): VersionCondition {
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === '*') return '*';
  const tags = value.split(',').map((t) => t.trim());
  const versions = tags.map((t) => /^"(\d{1,15})"$/.exec(t)?.[1]);
  if (versions.some((v) => v === undefined) || tags.length === 0) {
    throw badRequest(`Invalid If-Match header ${JSON.stringify(raw)}: send the ETag of a read, such as "3", or *`, [
      { message: 'invalid If-Match', location: 'header.If-Match' },
    ]);
  }
  const distinct = new Set(versions);
  if (distinct.size > 1) {
    throw badRequest('If-Match lists several versions; send the single ETag you read', [
      { message: 'ambiguous If-Match', location: 'header.If-Match' },
    ]);
  }
  return Number(versions[0]);
}

export function etagOf(context: ContextRecord): string {
  return `"${context.version}"`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function missing(id: string) {
  return notFound(`Context "${id}" not found (it may never have existed, been deleted, or expired)`);
}

function preconditionFailed(id: string, current: number | undefined) {
  return new WharfError(
    'precondition_failed',
    current === undefined
      ? `Context "${id}" changed since you read it (If-Match did not match)`
      : `Context "${id}" is at version ${current} (ETag "${current}"), not the one in If-Match; read it again and retry`,
  );
}
