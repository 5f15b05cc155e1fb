import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/authenticator.js';
import { hasPermission } from '../auth/permissions.js';
import type { TimeSource } from '../platform/clock.js';
import { badRequest, forbidden, notFound, unauthorized, unprocessable } from '../platform/errors.js';
import type { Logger } from '../platform/observability/logger.js';
import type {
  Instance,
  InstanceListFilter,
  InstanceState,
  InstanceTransport,
  RegisterRequest,
  Registration,
} from './model.js';
import type { LeaseRecord, RedisLeases } from './redis-leases.js';
import type { LivenessStore } from './store.js';

export interface InstanceSettings {
  ttlSeconds: number;
  deregisterAfterSeconds: number;
  massExpiryThreshold: number;
  /**
   * True when replicas share the database (PostgreSQL): heartbeats then also renew the durable lease, but only
   * when less than half a TTL of it is left, so a steady heartbeat costs one write per two beats at most.
   */
  sharedLeases: boolean;
}

/** The in-memory half of a lease: renewed by every heartbeat without touching the database. */
interface Lease {
  server: string;
  ttlMs: number;
  expiresAt: number;
  persistedExpiresAt: number;
  state: InstanceState;
  criticalSince: number | undefined;
  tokenHash: Buffer;
  statusNote: string | null;
}

export interface HeartbeatAnswer {
  id: string;
  state: InstanceState;
  ttlSeconds: number;
  expiresAt: string;
}

/** What the gateway needs to route to an instance; the directory every replica keeps in memory. */
export interface RoutableInstance {
  id: string;
  server: string;
  url: string;
  transport: InstanceTransport;
  /** `metadata.version`: the server version this instance runs, when it said so. */
  version: string | undefined;
  state: InstanceState;
}

export interface SweepReport {
  expired: string[];
  deregistered: string[];
  selfPreservation: boolean;
}

/** Instances are expected to beat three times per TTL, as etcd clients renew at TTL/3. */
const HEARTBEATS_PER_TTL = 3;
/** Fewer simultaneous expiries than this never count as "mass" (one lost instance of two is not an outage of Wharf). */
const MASS_EXPIRY_MIN_COUNT = 3;
/** Leases the Redis reaper handles per script call (one call must not block Redis for long). */
const REDIS_BATCH = 500;

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Registration, heartbeats and the lease state machine: passing → critical when the TTL lapses →
 * deregistered after `deregisterAfterSeconds`. Leases live in memory, or in Redis when one is given (then every
 * replica sees every heartbeat at once); either way only transitions are written to the database.
 */
export class InstanceService {
  private readonly leases = new Map<string, Lease>();
  private readonly recentExpiries: number[] = [];
  private preserving = false;
  private readonly listeners: (() => void)[] = [];
  private readonly directoryListeners: (() => void)[] = [];
  private directoryView: readonly RoutableInstance[] = [];
  private directoryKey = '';
  private directoryFingerprint: string | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  /** Lease counts as last seen in Redis or in the directory (Redis mode only; memory mode counts its map). */
  private redisCounts = { passing: 0, critical: 0 };

  constructor(
    private readonly store: LivenessStore,
    private readonly time: TimeSource,
    private readonly settings: InstanceSettings,
    private readonly logger: Logger,
    private readonly serverExists: (name: string) => Promise<boolean>,
    private readonly redis?: RedisLeases,
  ) {
    redis?.onChange(() => this.reloadDirectory());
  }

  /** Called after instances were added, removed or changed state (e.g. to refresh probe targets). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Called after the routable view (instances, their URLs and states) changed, on any replica: with Redis at once
   * (pub/sub), with a shared database within the poll interval, else at once.
   */
  onDirectoryChange(listener: () => void): void {
    this.directoryListeners.push(listener);
  }

  /** Every registered instance with its state, as last read (synchronous: the gateway routes from it). */
  directory(): readonly RoutableInstance[] {
    return this.directoryView;
  }

  private changed(): void {
    for (const l of this.listeners) l();
    void this.reloadDirectory();
    this.redis?.announceChange().catch((err: unknown) => {
      this.logger.warn({ err }, 'could not announce an instance change to the other replicas');
    });
  }

  /** Rereads the directory from the database (coalescing concurrent calls); tells listeners when it changed. */
  reloadDirectory(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        const view = (await this.store.allInstances())
          .map((i): RoutableInstance => ({
            id: i.id,
            server: i.server,
            url: i.url,
            transport: i.transport,
            version: typeof i.metadata.version === 'string' ? i.metadata.version : undefined,
            state: i.state,
          }))
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const key = JSON.stringify(view);
        if (key === this.directoryKey) continue;
        this.directoryKey = key;
        this.directoryView = view;
        if (this.redis) {
          const critical = view.filter((i) => i.state === 'critical').length;
          this.redisCounts = { passing: view.length - critical, critical };
        }
        for (const l of this.directoryListeners) l();
      } while (this.reloadAgain);
    })()
      .catch((err: unknown) => this.logger.error({ err }, 'could not reload the instance directory'))
      .finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** For replicas on a shared database: rereads the directory when the instances table changed. */
  async pollDirectory(): Promise<void> {
    const fingerprint = await this.store.instanceFingerprint();
    if (fingerprint === this.directoryFingerprint) return;
    this.directoryFingerprint = fingerprint;
    await this.reloadDirectory();
  }

  get selfPreservation(): boolean {
    return this.preserving;
  }

  /** Leases by state, for metrics. */
  counts(): Record<InstanceState, number> {
    if (this.redis) return { ...this.redisCounts };
    const counts = { passing: 0, critical: 0 };
    for (const lease of this.leases.values()) counts[lease.state] += 1;
    return counts;
  }

  /**
   * Loads every persisted instance. Passing leases get one full TTL of grace from now: the process was down,
   * not the instances, and heartbeats sent meanwhile were lost (etcd refreshes leases on leader change alike).
   */
  async start(): Promise<void> {
    const now = this.time.nowMs();
    if (this.redis) {
      // Redis keeps leases across Wharf restarts; it is filled from the database only when it holds none.
      if (!(await this.redis.counts()).loaded) await this.loadIntoRedis(this.redis, now);
    } else {
      for (const i of await this.store.allInstances()) this.leases.set(i.id, this.leaseOf(i, now));
    }
    await this.reloadDirectory();
  }

  /**
   * Called when this process becomes the reaper. Heartbeats sent while no process was reaping may have been lost
   * (all replicas down), so every passing lease gets one TTL from now, as etcd does on leader change. In memory
   * mode `start()` already did this.
   */
  async takeOverReaping(): Promise<void> {
    if (!this.redis) return;
    const extended = await this.redis.grace(this.time.nowMs());
    if (extended > 0) this.logger.info({ leases: extended }, 'new lease reaper: passing leases get one TTL of grace');
  }

  /** Fills Redis from the database, one TTL of grace for passing leases; leases Redis already holds are kept. */
  private async loadIntoRedis(redis: RedisLeases, now: number): Promise<void> {
    let loaded = 0;
    for (const i of await this.store.allInstances()) {
      if (await redis.put(this.recordOf(i, now), true)) loaded += 1;
    }
    await redis.markLoaded();
    if (loaded > 0) this.logger.info({ leases: loaded }, 'instance leases loaded into Redis from the database');
  }

  private recordOf(i: Instance, now: number): LeaseRecord {
    const lease = this.leaseOf(i, now);
    const changedAt = Date.parse(i.stateChangedAt);
    return {
      id: i.id,
      server: i.server,
      ttlMs: lease.ttlMs,
      expiresAt: lease.expiresAt,
      state: i.state,
      criticalSince: i.state === 'critical' ? changedAt : undefined,
      tokenHash: i.tokenHash,
      statusNote: i.statusNote,
      stateChangedAt: changedAt,
    };
  }

  private leaseOf(i: Instance, now: number): Lease {
    const ttlMs = i.ttlSeconds * 1000;
    const persisted = Date.parse(i.leaseExpiresAt);
    return {
      server: i.server,
      ttlMs,
      expiresAt: i.state === 'passing' ? Math.max(persisted, now + ttlMs) : persisted,
      persistedExpiresAt: persisted,
      state: i.state,
      criticalSince: i.state === 'critical' ? Date.parse(i.stateChangedAt) : undefined,
      tokenHash: Buffer.from(i.tokenHash, 'hex'),
      statusNote: i.statusNote,
    };
  }

  async register(principal: Principal, request: RegisterRequest): Promise<Registration> {
    if (!hasPermission(principal.permissions, 'publish', request.server)) {
      throw forbidden(
        `You do not have permission to register instances of ${request.server}: a token or API key with publish permission on that name is required`,
      );
    }
    if (!(await this.serverExists(request.server))) {
      throw notFound(`Server ${request.server} is not in the registry: publish it before registering instances`);
    }
    const now = this.time.nowMs();
    const token = `whi_${randomBytes(32).toString('base64url')}`;
    const ttlMs = this.settings.ttlSeconds * 1000;
    const instance: Instance = {
      id: randomUUID(),
      server: request.server,
      url: request.url,
      transport: request.transport ?? 'streamable-http',
      metadata: request.metadata ?? {},
      state: 'passing',
      statusNote: null,
      ttlSeconds: this.settings.ttlSeconds,
      registeredAt: iso(now),
      stateChangedAt: iso(now),
      leaseExpiresAt: iso(now + ttlMs),
      registeredBy: `${principal.authMethod}:${principal.subject}`,
      tokenHash: sha256(token).toString('hex'),
    };
    await this.store.insertInstance(instance);
    if (this.redis) await this.redis.put(this.recordOf(instance, now));
    else this.leases.set(instance.id, this.leaseOf(instance, now));
    this.changed();
    return {
      id: instance.id,
      token,
      ttlSeconds: instance.ttlSeconds,
      heartbeatIntervalSeconds: Math.max(1, Math.floor(instance.ttlSeconds / HEARTBEATS_PER_TTL)),
    };
  }

  /** The hot path: a map lookup and a hash compare; a durable write only on a state change or a stale shared lease. */
  async heartbeat(id: string, token: string, statusNote?: string): Promise<HeartbeatAnswer> {
    if (this.redis) return this.redisHeartbeat(this.redis, id, token, statusNote);
    const lease = await this.lease(id);
    if (!lease || !timingSafeEqual(sha256(token), lease.tokenHash)) {
      // One answer for "no such instance" and "wrong token", so ids cannot be probed; a client re-registers on it.
      throw notFound(`Instance ${id} is not registered (it may have been deregistered after expiring): register again`);
    }
    const now = this.time.nowMs();
    lease.expiresAt = now + lease.ttlMs;
    if (lease.state === 'critical') {
      await this.store.transition(id, 'critical', 'passing', iso(now), iso(lease.expiresAt));
      lease.persistedExpiresAt = lease.expiresAt;
      lease.state = 'passing';
      lease.criticalSince = undefined;
      this.logger.info({ instance: id, server: lease.server }, 'instance is passing again');
      this.changed();
    } else if (this.settings.sharedLeases && lease.persistedExpiresAt - now < lease.ttlMs / 2) {
      await this.store.renewLease(id, iso(lease.expiresAt));
      lease.persistedExpiresAt = lease.expiresAt;
    }
    if (statusNote !== undefined && statusNote !== lease.statusNote) {
      await this.store.setStatusNote(id, statusNote);
      lease.statusNote = statusNote;
    }
    return { id, state: lease.state, ttlSeconds: lease.ttlMs / 1000, expiresAt: iso(lease.expiresAt) };
  }

  /** One script call renews the lease; the database is written only on a state change or a new note. */
  private async redisHeartbeat(
    redis: RedisLeases,
    id: string,
    token: string,
    statusNote: string | undefined,
  ): Promise<HeartbeatAnswer> {
    const tokenHash = sha256(token).toString('hex');
    const now = this.time.nowMs();
    let beat = await redis.beat(id, tokenHash, now);
    if (beat.kind === 'missing') {
      // Not in Redis (its data was lost, or the lease was being loaded): the database is the record of instances.
      const stored = await this.store.findInstance(id);
      if (stored && timingSafeEqual(Buffer.from(tokenHash, 'hex'), Buffer.from(stored.tokenHash, 'hex'))) {
        await redis.put(this.recordOf(stored, now), true);
        beat = await redis.beat(id, tokenHash, now);
      }
    }
    if (beat.kind !== 'renewed') {
      throw notFound(`Instance ${id} is not registered (it may have been deregistered after expiring): register again`);
    }
    if (beat.previous === 'critical') {
      await this.store.recordTransition(id, 'passing', iso(beat.stateChangedAt), iso(beat.expiresAt));
      this.logger.info({ instance: id, server: beat.server }, 'instance is passing again');
      this.changed();
    }
    if (statusNote !== undefined && statusNote !== (beat.statusNote ?? '')) {
      await this.store.setStatusNote(id, statusNote);
      await redis.setNote(id, statusNote);
    }
    return { id, state: 'passing', ttlSeconds: beat.ttlMs / 1000, expiresAt: iso(beat.expiresAt) };
  }

  private async lease(id: string): Promise<Lease | undefined> {
    const known = this.leases.get(id);
    if (known || !this.settings.sharedLeases) return known;
    // Registered through another replica: learn it from the database.
    const stored = await this.store.findInstance(id);
    if (!stored) return undefined;
    const lease = this.leaseOf(stored, this.time.nowMs());
    lease.expiresAt = lease.persistedExpiresAt;
    this.leases.set(id, lease);
    return lease;
  }

  /** By the instance's own token, or by a caller with publish permission on its server. */
  async deregister(
    id: string,
    credentials: { token?: string | undefined; principal?: Principal | undefined },
  ): Promise<void> {
    const instance = await this.store.findInstance(id);
    if (!instance) throw notFound(`Instance ${id} is not registered`);
    const byToken =
      credentials.token !== undefined &&
      timingSafeEqual(sha256(credentials.token), Buffer.from(instance.tokenHash, 'hex'));
    const byPrincipal =
      credentials.principal !== undefined &&
      hasPermission(credentials.principal.permissions, 'publish', instance.server);
    if (!byToken && !byPrincipal) {
      if (credentials.token === undefined && credentials.principal === undefined) {
        throw unauthorized('Deregistering needs the instance token or a token with publish permission on the server');
      }
      throw forbidden(`Neither the instance token nor publish permission on ${instance.server} was presented`);
    }
    await this.store.deleteInstance(id);
    if (this.redis) await this.redis.remove(id);
    this.leases.delete(id);
    this.changed();
  }

  async get(id: string): Promise<Instance> {
    const instance = await this.store.findInstance(id);
    if (!instance) throw notFound(`Instance ${id} is not registered`);
    return (await this.withLeases([instance]))[0] ?? instance;
  }

  async list(filter: InstanceListFilter): Promise<{ instances: Instance[]; nextCursor?: string }> {
    if (filter.limit < 1 || filter.limit > 500) throw badRequest('limit must be between 1 and 500');
    const rows = await this.store.listInstances({ ...filter, limit: filter.limit + 1 });
    const instances = await this.withLeases(rows.slice(0, filter.limit));
    const last = instances.at(-1);
    return rows.length > filter.limit && last ? { instances, nextCursor: last.id } : { instances };
  }

  /**
   * The live lease over the stored row: with Redis its state and deadline (the same on every replica); in memory
   * the deadline this process knows, when fresher than the stored one (the state is always the stored one).
   */
  private async withLeases(instances: Instance[]): Promise<Instance[]> {
    if (this.redis) {
      const live = await this.redis.read(instances.map((i) => i.id));
      return instances.map((i) => {
        const lease = live.get(i.id);
        return lease ? { ...i, state: lease.state, leaseExpiresAt: iso(lease.expiresAt) } : i;
      });
    }
    return instances.map((i) => {
      const lease = this.leases.get(i.id);
      if (!lease || i.state !== 'passing' || lease.expiresAt <= Date.parse(i.leaseExpiresAt)) return i;
      return { ...i, leaseExpiresAt: iso(lease.expiresAt) };
    });
  }

  /** The instances to probe, as known to this process. */
  async all(): Promise<Instance[]> {
    return this.store.allInstances();
  }

  /**
   * One reaper pass: lapsed leases go critical (persisted), long-critical ones are deregistered, unless too many
   * leases lapsed at once, which is more likely Wharf's own network than a mass death: then deregistration pauses.
   */
  async sweep(): Promise<SweepReport> {
    const now = this.time.nowMs();
    const report: SweepReport = { expired: [], deregistered: [], selfPreservation: false };
    if (this.redis) return this.sweepRedis(this.redis, now, report);
    const candidates = new Set<string>();
    for (const [id, lease] of this.leases) if (lease.state === 'passing' && lease.expiresAt <= now) candidates.add(id);
    if (this.settings.sharedLeases) {
      for (const i of await this.store.lapsedInstances(iso(now))) {
        const local = this.leases.get(i.id);
        if (local && local.expiresAt > now) {
          // A heartbeat reached this process but was not yet persisted: persist it instead of expiring.
          await this.store.renewLease(i.id, iso(local.expiresAt));
          local.persistedExpiresAt = local.expiresAt;
        } else {
          if (!local) this.leases.set(i.id, { ...this.leaseOf(i, now), expiresAt: Date.parse(i.leaseExpiresAt) });
          candidates.add(i.id);
        }
      }
    }
    for (const id of candidates) {
      const lease = this.leases.get(id);
      if (!lease) continue;
      // Conditional on the durable lease having lapsed too: with shared leases another replica may hold a fresher one.
      const changed = await this.store.transition(id, 'passing', 'critical', iso(now));
      if (!changed && this.settings.sharedLeases) {
        const fresh = await this.store.findInstance(id);
        if (fresh) this.leases.set(id, this.leaseOf(fresh, now));
        else this.leases.delete(id);
        continue;
      }
      lease.state = 'critical';
      lease.criticalSince = now;
      lease.persistedExpiresAt = Math.min(lease.persistedExpiresAt, now);
      report.expired.push(id);
      this.recentExpiries.push(now);
      this.logger.warn({ instance: id, server: lease.server }, 'instance missed its heartbeat TTL: critical');
    }
    this.updatePreservation(now);
    report.selfPreservation = this.preserving;
    if (!this.preserving) {
      const deregisterMs = this.settings.deregisterAfterSeconds * 1000;
      for (const [id, lease] of this.leases) {
        if (lease.state !== 'critical' || lease.criticalSince === undefined) continue;
        if (now - lease.criticalSince < deregisterMs) continue;
        await this.store.deleteInstance(id);
        this.leases.delete(id);
        report.deregistered.push(id);
        this.logger.info({ instance: id, server: lease.server }, 'instance deregistered after staying critical');
      }
    }
    if (report.expired.length > 0 || report.deregistered.length > 0) this.changed();
    return report;
  }

  /** The Redis reaper: the scripts decide (atomically against heartbeats), the database records what they decided. */
  private async sweepRedis(redis: RedisLeases, now: number, report: SweepReport): Promise<SweepReport> {
    // Redis lost its data (restarted without persistence): the database still knows every instance.
    if (!(await redis.counts()).loaded) await this.loadIntoRedis(redis, now);
    for (;;) {
      const lapsed = await redis.expire(now, REDIS_BATCH);
      for (const lease of lapsed) {
        await this.store.recordTransition(lease.id, 'critical', iso(lease.stateChangedAt));
        report.expired.push(lease.id);
        this.recentExpiries.push(now);
        this.logger.warn({ instance: lease.id, server: lease.server }, 'instance missed its heartbeat TTL: critical');
      }
      if (lapsed.length < REDIS_BATCH) break;
    }
    const counts = await redis.counts();
    this.redisCounts = { passing: counts.passing, critical: counts.critical };
    this.updatePreservation(now);
    report.selfPreservation = this.preserving;
    if (!this.preserving) {
      const before = now - this.settings.deregisterAfterSeconds * 1000;
      for (const id of await redis.criticalBefore(before, REDIS_BATCH)) {
        if (!(await redis.dropCritical(id, before))) continue;
        await this.store.deleteInstance(id);
        report.deregistered.push(id);
        this.logger.info({ instance: id }, 'instance deregistered after staying critical');
      }
    }
    if (report.expired.length > 0 || report.deregistered.length > 0) this.changed();
    return report;
  }

  /**
   * Mass expiry: within one TTL window, more than the threshold share of the leases that were passing expired.
   * The pause lifts once the share of critical leases is back under the threshold (instances beat again, or an
   * operator deregisters them).
   */
  private updatePreservation(now: number): void {
    const window = this.settings.ttlSeconds * 1000;
    while (this.recentExpiries.length > 0 && (this.recentExpiries[0] ?? 0) < now - window) this.recentExpiries.shift();
    const { passing, critical } = this.counts();
    const recent = this.recentExpiries.length;
    const threshold = this.settings.massExpiryThreshold;
    const total = passing + critical;
    if (!this.preserving && recent >= MASS_EXPIRY_MIN_COUNT && recent > threshold * (passing + recent)) {
      this.preserving = true;
      this.logger.warn(
        { expired: recent, passing, threshold },
        'self-preservation: too many instance leases expired at once; deregistration is paused until heartbeats return',
      );
    } else if (this.preserving && (total === 0 || critical <= threshold * total)) {
      this.preserving = false;
      this.recentExpiries.length = 0;
      this.logger.warn({ passing, critical }, 'self-preservation ended: deregistration resumes');
    }
  }

  /** Validates a register body beyond its JSON shape. */
  static validate(request: RegisterRequest): void {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw unprocessable('url must be an absolute http(s) URL', [{ message: 'not a URL', location: 'body.url' }]);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw unprocessable('url must be an absolute http(s) URL', [
        { message: `scheme ${url.protocol} is not allowed`, location: 'body.url' },
      ]);
    }
  }
}
