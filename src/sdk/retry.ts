/**
 * The retry policy: which failures are worth another attempt and how long to wait. Pure functions, so the policy
 * is tested without a network and the client stays a thin loop around it.
 */

export interface RetryOptions {
  /** Further attempts after the first one (default 3; 0 disables retries). */
  retries?: number;
  /** First backoff ceiling in ms (default 250); doubles per attempt. */
  baseDelayMs?: number;
  /** Backoff ceiling in ms (default 10 000). */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this (ms, default 60 000) is not waited for: the 429/503 is returned instead. */
  maxRetryAfterMs?: number;
}

export interface ResolvedRetry {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

export function resolveRetry(options: RetryOptions | false | undefined): ResolvedRetry {
  if (options === false) return { retries: 0, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 };
  return {
    retries: Math.max(0, Math.floor(options?.retries ?? 3)),
    baseDelayMs: Math.max(0, options?.baseDelayMs ?? 250),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 10_000),
    maxRetryAfterMs: Math.max(0, options?.maxRetryAfterMs ?? 60_000),
  };
}

/** Statuses an idempotent call may repeat: rate limited, or a server-side failure that may be transient. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/**
 * "Full jitter" exponential backoff (AWS architecture blog): a uniform draw below `base * 2^attempt`, capped, so
 * clients that failed together do not retry together.
 */
export function backoffDelay(attempt: number, policy: ResolvedRetry, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as seconds, from either form the header allows (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
