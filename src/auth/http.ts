import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { unauthorized, unprocessable } from '../platform/errors.js';
import type { Authenticator, Principal } from './authenticator.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** A preHandler that requires a bearer credential and attaches the caller's Principal to the request. */
export function requireAuth(authenticator: Authenticator): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      // The official API reports a missing header as a request-shape error, not as 401.
      throw unprocessable('validation failed', [
        { message: 'required header parameter is missing', location: 'header.Authorization' },
      ]);
    }
    request.principal = await authenticator.authenticate(header);
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is missing its requireAuth preHandler');
  return request.principal;
}

/**
 * Like requireAuth, for Wharf's own API (`/api/v1`): a missing header is a plain 401 there, since no
 * official client expects the registry's 422 for it.
 */
export function requireBearer(authenticator: Authenticator): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw unauthorized(MISSING_CREDENTIALS);
    request.principal = await authenticator.authenticate(header);
  };
}

export const MISSING_CREDENTIALS =
  "Authentication required: send 'Authorization: Bearer <registry token or wharf_ API key>'";

// Matched against the route pattern, not the raw URL, so no spelling of a path can slip past.
const PRIVATE_READS = /^\/(?:v0|v0\.1)\/servers(?:\/|$)|^\/api\/v1\//;

/**
 * Private registry mode (`WHARF_REGISTRY_READ=authenticated`): every registry read, and everything under
 * `/api/v1`, needs a valid token or API key. Health, readiness, metrics, docs and the login endpoints stay open.
 */
export function installPrivateReads(app: FastifyInstance, authenticator: Authenticator): void {
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    if (!PRIVATE_READS.test(request.routeOptions.url ?? '')) return;
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw unauthorized(`This registry is private. ${MISSING_CREDENTIALS}`);
    }
    request.principal = await authenticator.authenticate(header);
  });
}
