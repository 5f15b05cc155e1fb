import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { isGlobalAdmin } from '../auth/authorize.js';
import { principalOf } from '../auth/http.js';
import { RateLimitedError } from './rate-limits.js';
import type { LimitKind, RateLimits } from './rate-limits.js';

const AUTH_ENDPOINTS = /^\/v0(?:\.1)?\/auth\//;

async function consume(
  limits: RateLimits,
  kind: LimitKind,
  key: string,
  reply: { header(n: string, v: string): unknown },
) {
  try {
    await limits.consume(kind, key);
  } catch (error) {
    // Set before the error handler writes the problem+json body, which keeps headers already set.
    if (error instanceof RateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
    throw error;
  }
}

/** Every token exchange (`/v0(.1)/auth/*`, whichever login method) counts against its source IP. */
export function installAuthRateLimit(app: FastifyInstance, limits: RateLimits): void {
  if (!limits.enabled('auth')) return;
  app.addHook('onRequest', async (request, reply) => {
    // The route pattern, not the raw URL: every spelling that reaches a login route is counted.
    if (request.method !== 'POST' || !AUTH_ENDPOINTS.test(request.routeOptions.url ?? '')) return;
    await consume(limits, 'auth', request.ip, reply);
  });
}

/**
 * A preHandler placed after authentication on publish: counts per identity (API key id, else method and
 * subject). Global administrators (the bootstrap admin token, admin keys) are trusted operators and not limited.
 */
export function publishRateLimit(limits: RateLimits): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply) => {
    if (!limits.enabled('publish')) return;
    const principal = principalOf(request);
    if (isGlobalAdmin(principal)) return;
    const identity = principal.keyId ? `key:${principal.keyId}` : `${principal.authMethod}:${principal.subject}`;
    await consume(limits, 'publish', identity, reply);
  };
}
