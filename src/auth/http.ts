import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { unprocessable } from '../platform/errors.js';
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
