import type * as RateLimiterFlexible from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClientType } from 'redis';
import { WharfError } from '../platform/errors.js';

export type LimitKind = 'auth' | 'publish';

export interface RateLimitsOptions {
  /** Requests per minute per source IP on the token exchange endpoints; 0 = off. */
  authPerMinute: number;
  /** Publishes per minute per identity; 0 = off. */
  publishPerMinute: number;
  /** When set, counters live in Redis so every replica shares them. */
  redisUrl?: string | undefined;
  onRedisError?: (error: unknown) => void;
}

/** A 429 with the seconds to wait, which the HTTP edge sends as `Retry-After`. */
export class RateLimitedError extends WharfError {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super('too_many_requests', detail);
  }
}

const MESSAGES: Record<LimitKind, (limit: number, wait: number) => string> = {
  auth: (limit, wait) =>
    `Too many authentication requests from this address (limit ${limit} per minute); retry in ${wait} s`,
  publish: (limit, wait) => `Too many publishes by this identity (limit ${limit} per minute); retry in ${wait} s`,
};

type Library = typeof RateLimiterFlexible;
type Limiters = Map<LimitKind, RateLimiterAbstract>;

/**
 * Abuse limits: fixed one-minute windows per key, in memory, or in Redis when configured (with the in-memory
 * limiter as insurance, so a Redis outage degrades to per-replica limits instead of refusing every request).
 */
export class RateLimits {
  private readonly points: Record<LimitKind, number>;
  private limiters: Promise<Limiters> | undefined;

  private constructor(
    options: RateLimitsOptions,
    private readonly redis: RedisClientType | undefined,
  ) {
    this.points = { auth: options.authPerMinute, publish: options.publishPerMinute };
  }

  static async create(options: RateLimitsOptions): Promise<RateLimits> {
    let redis: RedisClientType | undefined;
    if (options.redisUrl && (options.authPerMinute > 0 || options.publishPerMinute > 0)) {
      // Loaded only when configured: most deployments never need the client.
      const { createClient } = await import('redis');
      redis = createClient({ url: options.redisUrl, disableOfflineQueue: true });
      redis.on('error', (error: unknown) => options.onRedisError?.(error));
      await redis.connect();
    }
    const limits = new RateLimits(options, redis);
    // With Redis, fail at start rather than at the first request; in memory, build on first use so that
    // commands which never serve HTTP (import) do not load the library.
    if (redis) await limits.load();
    return limits;
  }

  enabled(kind: LimitKind): boolean {
    return this.points[kind] > 0;
  }

  /** Counts one request for `key`; throws a RateLimitedError once the window's budget is spent. */
  async consume(kind: LimitKind, key: string): Promise<void> {
    if (!this.enabled(kind)) return;
    const [library, limiters] = await this.load();
    const limiter = limiters.get(kind);
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof library.RateLimiterRes)) throw rejection;
      const wait = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new RateLimitedError(MESSAGES[kind](this.points[kind], wait), wait);
    }
  }

  async close(): Promise<void> {
    if (this.redis?.isOpen) await this.redis.quit();
  }

  private library: Promise<Library> | undefined;

  private load(): Promise<[Library, Limiters]> {
    this.library ??= import('rate-limiter-flexible');
    this.limiters ??= this.library.then((library) => this.build(library));
    return Promise.all([this.library, this.limiters]);
  }

  private build(library: Library): Limiters {
    const limiters: Limiters = new Map();
    for (const kind of ['auth', 'publish'] as const) {
      const points = this.points[kind];
      if (points <= 0) continue;
      const memory = new library.RateLimiterMemory({ points, duration: 60, keyPrefix: `wharf-${kind}` });
      limiters.set(
        kind,
        this.redis
          ? new library.RateLimiterRedis({
              storeClient: this.redis,
              useRedisPackage: true,
              points,
              duration: 60,
              keyPrefix: `wharf:rl:${kind}`,
              insuranceLimiter: memory,
            })
          : memory,
      );
    }
    return limiters;
  }
}
