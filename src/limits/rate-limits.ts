import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
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

/**
 * Abuse limits: fixed one-minute windows per key, in memory, or in Redis when configured (with the in-memory
 * limiter as insurance, so a Redis outage degrades to per-replica limits instead of refusing every request).
 */
export class RateLimits {
  private readonly limiters = new Map<LimitKind, { limiter: RateLimiterAbstract; points: number }>();
  private readonly redis: RedisClientType | undefined;

  private constructor(options: RateLimitsOptions, redis: RedisClientType | undefined) {
    this.redis = redis;
    const make = (kind: LimitKind, points: number) => {
      if (points <= 0) return;
      const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix: `wharf-${kind}` });
      const limiter = redis
        ? new RateLimiterRedis({
            storeClient: redis,
            useRedisPackage: true,
            points,
            duration: 60,
            keyPrefix: `wharf:rl:${kind}`,
            insuranceLimiter: memory,
          })
        : memory;
      this.limiters.set(kind, { limiter, points });
    };
    make('auth', options.authPerMinute);
    make('publish', options.publishPerMinute);
  }

  static async create(options: RateLimitsOptions): Promise<RateLimits> {
    let redis: RedisClientType | undefined;
    const needsStore = options.authPerMinute > 0 || options.publishPerMinute > 0;
    if (options.redisUrl && needsStore) {
      // Loaded only when configured: most deployments never need the client.
      const { createClient } = await import('redis');
      redis = createClient({ url: options.redisUrl, disableOfflineQueue: true });
      redis.on('error', (error: unknown) => options.onRedisError?.(error));
      await redis.connect();
    }
    return new RateLimits(options, redis);
  }

  enabled(kind: LimitKind): boolean {
    return this.limiters.has(kind);
  }

  /** Counts one request for `key`; throws a RateLimitedError once the window's budget is spent. */
  async consume(kind: LimitKind, key: string): Promise<void> {
    const entry = this.limiters.get(kind);
    if (!entry) return;
    try {
      await entry.limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const wait = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new RateLimitedError(MESSAGES[kind](entry.points, wait), wait);
    }
  }

  async close(): Promise<void> {
    if (this.redis?.isOpen) await this.redis.quit();
  }
}
