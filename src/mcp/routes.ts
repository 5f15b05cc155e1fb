import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import { WharfError } from '../platform/errors.js';
import type { McpHost } from './host.js';
import { SERVER_ERROR, jsonRpcError } from './jsonrpc.js';

export interface McpRoutesOptions {
  host: McpHost;
  authenticator: Authenticator;
  /** When false, requests without credentials are refused with 401 (private deployments). Default true. */
  allowAnonymous?: boolean;
  /** Endpoint path, `/mcp` by default. */
  path?: string;
  /**
   * The gateway's access guard (origin, authentication, request limits); when given it replaces the bearer check
   * below and leaves the caller in `request.principal`.
   */
  guard?: preHandlerAsyncHookHandler;
  /** When set, `{path}/{name}` serves the virtual server `name` if this answers true for it (else 404). */
  hasVirtualServer?: (name: string) => boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The `/mcp` host (decorated by buildApp), for notifications such as `notifyToolsChanged`. */
    mcp: McpHost;
  }
}

/** Headers a browser client must be able to read (the Inspector's web UI, for one). */
const EXPOSED = 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, X-Request-Id';
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * The MCP endpoint's HTTP edge: authenticates the optional bearer, hands the exchange to the host as a
 * web-standard Request and writes its Response back. Register it in its own scope: it replaces the JSON body
 * parser with a byte reader, because JSON-RPC reports malformed bodies itself (-32700), not as problem+json.
 */
export async function mcpRoutes(app: FastifyInstance, options: McpRoutesOptions): Promise<void> {
  const { host, authenticator } = options;
  app.addHook('onClose', async () => host.close());
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'MCP request failed');
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `Request body is larger than the ${BODY_LIMIT_BYTES / 1024 / 1024} MiB limit`
        : status >= 500
          ? 'Internal error'
          : error.message;
    return send(reply, jsonRpcError(status, status >= 500 ? -32603 : SERVER_ERROR, message));
  });

  const hasVirtualServer = options.hasVirtualServer;
  app.route({
    // Every method reaches the host, so that the unsupported ones get a JSON-RPC 405 naming the allowed ones.
    method: ['GET', 'POST', 'DELETE', 'PUT', 'PATCH'],
    url: hasVirtualServer ? `${options.path ?? '/mcp'}/:virtualServer` : (options.path ?? '/mcp'),
    schema: { hide: true },
    ...(options.guard && { preHandler: options.guard }),
    handler: async (request, reply) => {
      reply.header('access-control-expose-headers', EXPOSED);
      const virtualServer = (request.params as { virtualServer?: string }).virtualServer;
      if (hasVirtualServer && (virtualServer === undefined || !hasVirtualServer(virtualServer))) {
        return send(reply, jsonRpcError(404, SERVER_ERROR, `No virtual server named "${virtualServer ?? ''}"`));
      }
      const header = request.headers.authorization;
      let principal: Principal | null = null;
      if (options.guard) {
        principal = request.principal;
      } else if (header !== undefined && header !== '') {
        try {
          principal = await authenticator.authenticate(header);
        } catch (error) {
          if (!(error instanceof WharfError)) throw error;
          return send(reply, unauthorized(error.detail, 'invalid_token'));
        }
      } else if (options.allowAnonymous === false) {
        return send(
          reply,
          unauthorized('This MCP endpoint needs a bearer token (a registry token or the admin token)'),
        );
      }
      const response = await host.handle(
        { request: toWebRequest(request, reply), body: request.body as Buffer | undefined },
        { principal, token: bearerToken(header), address: request.ip },
      );
      return send(reply, response);
    },
  });
}

function unauthorized(message: string, error?: string): Response {
  const challenge = error ? `Bearer realm="wharf", error="${error}"` : 'Bearer realm="wharf"';
  return jsonRpcError(401, SERVER_ERROR, message, { headers: { 'www-authenticate': challenge } });
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}

function toWebRequest(request: FastifyRequest, reply: FastifyReply): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(key, item);
    else headers.set(key, value);
  }
  // A client that goes away cancels its request (the 2026-07-28 rule) and closes any stream it held.
  const controller = new AbortController();
  // 'close' also follows every completed response: only an unfinished one is a cancellation (and aborting costs).
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return new Request(endpointUrl(request), {
    method: request.method,
    headers,
    signal: controller.signal,
  });
}

function endpointUrl(request: FastifyRequest): URL {
  try {
    return new URL(request.url, `${request.protocol}://${request.host}`);
  } catch {
    // A Host header that is not a valid authority: the URL only informs handlers, so any base will do.
    return new URL(request.url, 'http://localhost');
  }
}

async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, key) => {
    reply.header(key, value);
  });
  if (response.body === null) return reply.send();
  // Streams (SSE) are passed through as they are written; anything else is sent whole, with a length.
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) return reply.send(response.body);
  return reply.send(Buffer.from(await response.arrayBuffer()));
}
