import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import { WharfError } from '../../platform/errors.js';

export interface RateLimitSettings {
  /** Whole MCP HTTP requests per caller per window; 0 disables. */
  requestsPerKey: number;
  /** Tool calls per caller per window, all tools together; 0 disables. */
  callsPerKey: number;
  /** Tool calls per caller per tool per window; 0 disables. */
  callsPerTool: number;
  windowSeconds: number;
}

/** A refusal that says when to come back; becomes HTTP 429 + Retry-After, or an `isError` tool result. */
export class RateLimited extends WharfError {
  constructor(
    readonly scope: 'requests' | 'calls' | 'tool',
    readonly retryAfterSeconds: number,
    detail: string,
  ) {
    super('too_many_requests', detail);
  }
}

/**
 * Fixed-window counters from rate-limiter-flexible (a well-kept library with both stores and atomic Redis
 * scripts): in memory per process, or in Redis so every replica shares one budget. A Redis outage fails open
 * for calls (an in-memory insurance limiter takes over) rather than refusing every call.
 */
export class GatewayRateLimits {
  private readonly requests: RateLimiterAbstract | undefined;
  private readonly calls: RateLimiterAbstract | undefined;
  private readonly tools: RateLimiterAbstract | undefined;

  private constructor(
    settings: RateLimitSettings,
    make: (points: number, prefix: string) => RateLimiterAbstract,
    private readonly onClose: () => Promise<void>,
  ) {
    const limiter = (points: number, prefix: string) => (points > 0 ? make(points, prefix) : undefined);
    this.requests = limiter(settings.requestsPerKey, 'wharf:gw:req');
    this.calls = limiter(settings.callsPerKey, 'wharf:gw:call');
    this.tools = limiter(settings.callsPerTool, 'wharf:gw:tool');
  }

  static async create(settings: RateLimitSettings, redisUrl: string | undefined): Promise<GatewayRateLimits> {
    const memory = (points: number, keyPrefix: string) =>
      new RateLimiterMemory({ points, duration: settings.windowSeconds, keyPrefix });
    const anyLimit = settings.requestsPerKey + settings.callsPerKey + settings.callsPerTool > 0;
    if (redisUrl === undefined || !anyLimit) return new GatewayRateLimits(settings, memory, async () => {});
    const client = createClient({ url: redisUrl, disableOfflineQueue: true });
    // Errors surface on each command (and the insurance limiter answers); the client reconnects by itself.
    client.on('error', () => {});
    await client.connect();
    return new GatewayRateLimits(
      settings,
      (points, keyPrefix) =>
        new RateLimiterRedis({
          storeClient: client,
          useRedisPackage: true,
          points,
          duration: settings.windowSeconds,
          keyPrefix,
          insuranceLimiter: memory(points, keyPrefix),
        }),
      async () => {
        await client.close();
      },
    );
  }

  /** Counts one HTTP request of this caller. */
  async request(key: string): Promise<void> {
    await consume(this.requests, key, 'requests', (s) => `Too many requests to the MCP endpoint: retry after ${s} s`);
  }

  /** Counts one tool call of this caller, against the per-caller and the per-tool budget. */
  async call(key: string, tool: string): Promise<void> {
    await consume(this.calls, key, 'calls', (s) => `Too many tool calls: retry after ${s} s`);
    await consume(this.tools, `${key}|${tool}`, 'tool', (s) => `Too many calls of ${tool}: retry after ${s} s`);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

async function consume(
  limiter: RateLimiterAbstract | undefined,
  key: string,
  scope: RateLimited['scope'],
  message: (seconds: number) => string,
): Promise<void> {
  if (!limiter) return;
  try {
    await limiter.consume(key);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    throw new RateLimited(scope, seconds, message(seconds));
  }
}
