import { createHmac, randomBytes } from 'node:crypto';
import type { Principal } from '../auth/authenticator.js';
import { ADMIN_ONLY_MESSAGE, GLOBAL, authorize } from '../auth/authorize.js';
import type { Action, Permission } from '../auth/permissions.js';
import type { IssuedToken, RegistryTokens } from '../auth/tokens.js';
import type { Clock } from '../platform/clock.js';
import { WharfError, badRequest, causes, notFound, unauthorized } from '../platform/errors.js';
import type { ApiKey, NewApiKey } from './model.js';
import { KEY_PATTERN, KEY_PREFIX } from './model.js';
import type { ApiKeyStore } from './store.js';

export const API_KEY_AUTH_METHOD = 'api-key';
export const INVALID_KEY_DETAIL = 'Invalid, expired or revoked API key';
const ACTIONS: readonly Action[] = ['publish', 'edit', 'admin', 'context_reader', 'context_writer'];
const MAX_PERMISSIONS = 32;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface ApiKeyServiceOptions {
  /**
   * How long a looked-up key is trusted without asking the database again. Revocation in this process is
   * immediate; other replicas sharing the database see it within this window.
   */
  cacheTtlMs?: number;
  /** How often `last_used_at` is written (batched), instead of once per request. */
  flushIntervalMs?: number;
  onFlushError?: (error: unknown) => void;
}

interface Cached {
  key: ApiKey;
  fetchedAt: number;
}

/** Long-lived, scoped API keys: creation (shown once), listing, revocation, and authentication. */
export class ApiKeyService {
  private readonly byDigest = new Map<string, Cached>();
  private readonly byId = new Map<string, Cached>();
  private readonly pendingUse = new Map<string, string>();
  private readonly cacheTtlMs: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly secret: Buffer,
    private readonly tokens: RegistryTokens,
    private readonly clock: Clock,
    private readonly options: ApiKeyServiceOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 5_000;
    const interval = options.flushIntervalMs ?? 30_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.flush(), interval);
      this.timer.unref();
    }
  }

  async create(input: NewApiKey, creator: Principal): Promise<{ key: ApiKey; secret: string }> {
    authorize(creator, 'admin', GLOBAL, ADMIN_ONLY_MESSAGE);
    const now = this.clock.now();
    const permissions = validatePermissions(input.permissions);
    const name = input.name.trim();
    if (name === '' || name.length > 100) throw badRequest('Key name must be 1 to 100 characters');
    if (input.description !== undefined && input.description.length > 500) {
      throw badRequest('Key description must be at most 500 characters');
    }
    let expiresAt: string | null = null;
    if (input.expiresAt !== undefined) {
      const parsed = Date.parse(input.expiresAt);
      if (!/^\d{4}-\d{2}-\d{2}T/i.test(input.expiresAt) || Number.isNaN(parsed)) {
        throw badRequest('expires_at must be an RFC 3339 timestamp, e.g. 2027-01-31T00:00:00Z');
      }
      if (parsed <= Date.parse(now)) throw badRequest('expires_at must be in the future');
      expiresAt = new Date(parsed).toISOString();
    }
    const id = randomId();
    const secret = `${KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
    const key: ApiKey = {
      id,
      name,
      description: input.description ?? null,
      permissions,
      createdAt: now,
      createdBy: actorName(creator),
      expiresAt,
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
    };
    await this.store.insert(key, this.digest(secret));
    return { key, secret };
  }

  async list(principal: Principal, includeRevoked: boolean): Promise<ApiKey[]> {
    authorize(principal, 'admin', GLOBAL, ADMIN_ONLY_MESSAGE);
    return (await this.store.list(includeRevoked)).map((key) => this.withPendingUse(key));
  }

  /** Administrators see every key; a key may see itself (CI can check what it holds). */
  async get(id: string, principal: Principal): Promise<ApiKey> {
    if (principal.keyId !== id) authorize(principal, 'admin', GLOBAL, ADMIN_ONLY_MESSAGE);
    const key = await this.store.findById(id);
    if (!key) throw notFound('API key not found');
    return this.withPendingUse(key);
  }

  async revoke(id: string, principal: Principal): Promise<ApiKey> {
    authorize(principal, 'admin', GLOBAL, ADMIN_ONLY_MESSAGE);
    const revoked = await this.store.revoke(id, this.clock.now(), actorName(principal));
    const key = await this.store.findById(id);
    if (!key) throw notFound('API key not found');
    this.forget(key);
    if (!revoked) throw new WharfError('conflict', `API key ${id} was already revoked at ${key.revokedAt}`);
    return this.withPendingUse(key);
  }

  /** Turns a `wharf_…` bearer into the key's Principal, or throws a 401 saying why. */
  async authenticate(bearer: string): Promise<Principal> {
    const key = await this.lookup(bearer);
    this.assertUsable(key);
    this.pendingUse.set(key.id, this.clock.now());
    return { authMethod: API_KEY_AUTH_METHOD, subject: key.name, permissions: key.permissions, keyId: key.id };
  }

  /** For registry JWTs exchanged for a key: refused as soon as the key is revoked or expires. */
  async assertActive(keyId: string): Promise<void> {
    const now = Date.now();
    let cached = this.byId.get(keyId);
    if (!cached || now - cached.fetchedAt > this.cacheTtlMs) {
      const key = await this.store.findById(keyId);
      if (!key)
        throw unauthorized(INVALID_KEY_DETAIL, causes('the API key this token was issued for no longer exists'));
      cached = { key, fetchedAt: now };
      this.byId.set(keyId, cached);
    }
    this.assertUsable(cached.key);
  }

  /** `POST /v0(.1)/auth/key`: a key for a short-lived registry JWT carrying the same permissions. */
  async exchange(bearer: string): Promise<{ token: IssuedToken; principal: Principal }> {
    const principal = await this.authenticate(bearer);
    const token = await this.tokens.issue({
      authMethod: API_KEY_AUTH_METHOD,
      authMethodSub: principal.subject,
      permissions: principal.permissions,
      keyId: principal.keyId,
    });
    return { token, principal };
  }

  /** Writes the batched `last_used_at` values. */
  async flush(): Promise<void> {
    // Chained so a timer flush and close() never write concurrently.
    this.flushing = this.flushing.then(async () => {
      if (this.pendingUse.size === 0) return;
      const batch = new Map(this.pendingUse);
      this.pendingUse.clear();
      try {
        await this.store.recordUse(batch);
      } catch (error) {
        // Put them back unless newer uses arrived meanwhile; the next flush retries.
        for (const [id, at] of batch) if (!this.pendingUse.has(id)) this.pendingUse.set(id, at);
        this.options.onFlushError?.(error);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private digest(secret: string): string {
    return createHmac('sha256', this.secret).update(secret).digest('hex');
  }

  private async lookup(bearer: string): Promise<ApiKey> {
    if (!KEY_PATTERN.test(bearer)) {
      throw unauthorized(INVALID_KEY_DETAIL, causes('API key is malformed: expected wharf_<id>_<secret>'));
    }
    const digest = this.digest(bearer);
    const now = Date.now();
    const cached = this.byDigest.get(digest);
    if (cached && now - cached.fetchedAt <= this.cacheTtlMs) return cached.key;
    const key = await this.store.findByDigest(digest);
    if (!key) throw unauthorized(INVALID_KEY_DETAIL, causes('API key is not recognised'));
    if (this.byDigest.size >= 10_000) this.byDigest.clear();
    this.byDigest.set(digest, { key, fetchedAt: now });
    this.byId.set(key.id, { key, fetchedAt: now });
    return key;
  }

  private assertUsable(key: ApiKey): void {
    if (key.revokedAt)
      throw unauthorized(INVALID_KEY_DETAIL, causes(`API key ${key.id} was revoked at ${key.revokedAt}`));
    if (key.expiresAt && Date.parse(key.expiresAt) <= Date.parse(this.clock.now())) {
      throw unauthorized(INVALID_KEY_DETAIL, causes(`API key ${key.id} expired at ${key.expiresAt}`));
    }
  }

  private forget(key: ApiKey): void {
    this.byId.delete(key.id);
    for (const [digest, cached] of this.byDigest) if (cached.key.id === key.id) this.byDigest.delete(digest);
  }

  private withPendingUse(key: ApiKey): ApiKey {
    const pending = this.pendingUse.get(key.id);
    return pending && (!key.lastUsedAt || pending > key.lastUsedAt) ? { ...key, lastUsedAt: pending } : key;
  }
}

export function actorName(principal: Principal): string {
  return principal.keyId
    ? `${principal.authMethod}:${principal.subject} (key ${principal.keyId})`
    : `${principal.authMethod}:${principal.subject}`;
}

function validatePermissions(permissions: readonly Permission[]): Permission[] {
  if (permissions.length > MAX_PERMISSIONS) throw badRequest(`A key may hold at most ${MAX_PERMISSIONS} permissions`);
  const problems: string[] = [];
  permissions.forEach((p, i) => {
    if (!ACTIONS.includes(p.action)) problems.push(`permissions[${i}].action must be one of ${ACTIONS.join(', ')}`);
    const star = p.resource.indexOf('*');
    if (p.resource === '' || p.resource.length > 200) {
      problems.push(`permissions[${i}].resource must be 1 to 200 characters`);
    } else if (star !== -1 && star !== p.resource.length - 1) {
      problems.push(`permissions[${i}].resource may hold '*' only at its end (e.g. com.acme/*)`);
    }
  });
  if (problems.length > 0) throw badRequest('Invalid key permissions', causes(...problems));
  return permissions.map((p) => ({ action: p.action, resource: p.resource }));
}

function randomId(): string {
  const bytes = randomBytes(12);
  let id = '';
  // 36 does not divide 256, so the tiny bias is irrelevant for an identifier that is not a secret.
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}
