import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Authenticator, Principal } from '../../auth/authenticator.js';
import { WharfError } from '../../platform/errors.js';
import type { GatewayAccessConfig } from './config.js';
import { RateLimited } from './rate-limits.js';
import type { Registry } from 'prom-client';
import type { AuditTrail } from '../../audit/trail.js';
import { createOutboundClient } from '../../platform/net/index.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { GatewayAccess } from '../access.js';
import { OAuthBearer } from './bearer.js';
import { GatewayAccessMetrics } from './metrics.js';
import type { GatewayPolicyService } from './policy.js';
import { GatewayRateLimits } from './rate-limits.js';
import { GatewayAccessService, limitKey } from './service.js';

export interface McpGuardOptions {
  config: GatewayAccessConfig;
  authenticator: Authenticator;
  oauth: OAuthBearer | undefined;
  limits: GatewayRateLimits;
  metrics: GatewayAccessMetrics;
  /** The address Wharf listens on; on a loopback address only loopback Host names are served (DNS rebinding). */
  bindHost: string;
}

/** The well-known path of the Protected Resource Metadata (RFC 9728 §3). */
export const PRM_PATH = '/.well-known/oauth-protected-resource';

/** The request's own origin (`https://host:port`), as a browser would send it. */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`.toLowerCase();
}

/** The MCP endpoint path a request addresses (`/mcp`, `/mcp/sales`, `/sse`…), without the query. */
function endpointPath(request: FastifyRequest): string {
  const path = (request.url.split('?')[0] ?? '/mcp').replace(/\/+$/, '') || '/mcp';
  // The deprecated HTTP+SSE pair is one endpoint: messages are posted under the `/sse` resource.
  return path === '/messages' ? '/sse' : path;
}

/** The canonical resource URL (RFC 8707) of the main endpoint, or of the endpoint at `path`. */
export function resourceUrl(config: GatewayAccessConfig, request: FastifyRequest, path = '/mcp'): string {
  if (config.resourceUrl !== undefined) {
    return path === '/mcp' ? config.resourceUrl : config.resourceUrl.replace(/\/mcp$/, '') + path;
  }
  return `${requestOrigin(request)}${path}`;
}

/** Where a client finds the PRM for this endpoint: the path-inserted form (`…/oauth-protected-resource/mcp`). */
export function resourceMetadataUrl(config: GatewayAccessConfig, request: FastifyRequest, path: string): string {
  const resource = new URL(resourceUrl(config, request, path));
  return `${resource.origin}${PRM_PATH}${resource.pathname === '/' ? '' : resource.pathname}`;
}

/**
 * The guard of every MCP endpoint (`/mcp`, `/mcp/{virtualServer}`, `/sse`, `/messages`), as a Fastify preHandler:
 * Origin validation against DNS rebinding (403), authentication — Wharf credentials through the Authenticator,
 * OAuth 2.1 access tokens of the configured issuer with an audience check (401 + `WWW-Authenticate` naming the PRM)
 * — then the per-caller request limit (429 + Retry-After). Sets `request.principal` (null: anonymous).
 */
export function mcpAccessGuard(options: McpGuardOptions): preHandlerAsyncHookHandler {
  const { config } = options;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = endpointPath(request);
    if (!hostAllowed(options, request.hostname)) {
      return refuse(
        reply,
        403,
        `Invalid Host: ${request.hostname} may not reach this MCP endpoint (Wharf listens on ${options.bindHost}; ` +
          'add the name to WHARF_GATEWAY_ALLOWED_ORIGINS or set WHARF_GATEWAY_RESOURCE_URL to serve it)',
      );
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(config, request, origin)) {
      return refuse(reply, 403, `Invalid Origin: ${origin} may not call this MCP endpoint`);
    }
    const challenge = (error?: string, description?: string) => {
      const parts = [`resource_metadata="${resourceMetadataUrl(config, request, path)}"`];
      if (config.oauth && config.oauth.scopes.length > 0) parts.push(`scope="${config.oauth.scopes.join(' ')}"`);
      if (error) parts.push(`error="${error}"`);
      if (description) parts.push(`error_description="${description.replaceAll('"', "'")}"`);
      reply.header('www-authenticate', `Bearer ${parts.join(', ')}`);
    };
    const header = request.headers.authorization;
    let principal: Principal | null = null;
    if (header !== undefined && header !== '') {
      try {
        principal = await authenticate(options, request, header, path);
      } catch (error) {
        if (!(error instanceof WharfError) && !(error instanceof Error)) throw error;
        const message = error instanceof WharfError ? error.detail : error.message;
        challenge('invalid_token', message);
        return refuse(reply, 401, `Invalid bearer token: ${message}`);
      }
    } else if (config.auth === 'required') {
      challenge();
      return refuse(
        reply,
        401,
        'This MCP endpoint needs a bearer token (an OAuth access token, API key or registry token)',
      );
    }
    request.principal = principal;
    try {
      await options.limits.request(limitKey(principal, request.ip));
    } catch (error) {
      if (!(error instanceof RateLimited)) throw error;
      options.metrics.rateLimited.inc({ scope: error.scope });
      reply.header('retry-after', String(error.retryAfterSeconds));
      return refuse(reply, 429, error.detail);
    }
  };
}

async function authenticate(
  options: McpGuardOptions,
  request: FastifyRequest,
  header: string,
  path: string,
): Promise<Principal> {
  const token = /^bearer\s+(.+)$/i.exec(header.trim())?.[1]?.trim();
  const oauth = options.oauth;
  if (token !== undefined && oauth?.claims(token)) {
    const configured = options.config.oauth?.audience;
    // Without a configured audience, a token must be issued for this gateway: its main endpoint or this one.
    const audiences =
      configured !== undefined
        ? [configured]
        : [...new Set([resourceUrl(options.config, request), resourceUrl(options.config, request, path)])];
    let failure: unknown;
    for (const audience of audiences) {
      try {
        return await oauth.verify(token, audience);
      } catch (error) {
        failure = error;
        if (!(error instanceof Error) || !error.message.startsWith('invalid audience')) break;
      }
    }
    throw failure instanceof Error ? failure : new Error('token is invalid');
  }
  return options.authenticator.authenticate(header);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends `Host: evil.example` with a
 * matching Origin, so the Origin check alone passes it. A Wharf listening on loopback serves only loopback names and
 * the hosts an operator named (allowed origins, resource URL); one listening on other addresses sits behind names of
 * its own and checks Origin only.
 */
function hostAllowed(options: McpGuardOptions, hostname: string): boolean {
  if (!LOOPBACK_NAMES.has(options.bindHost.toLowerCase()) && !options.bindHost.startsWith('127.')) return true;
  const name = hostname.toLowerCase();
  if (LOOPBACK_NAMES.has(name) || name.startsWith('127.') || name.endsWith('.localhost')) return true;
  const { config } = options;
  if (config.resourceUrl !== undefined && new URL(config.resourceUrl).hostname.toLowerCase() === name) return true;
  return config.allowedOrigins.some((allowed) => allowed === '*' || hostOf(allowed) === name);
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function originAllowed(config: GatewayAccessConfig, request: FastifyRequest, origin: string): boolean {
  const normalized = origin.toLowerCase().replace(/\/+$/, '');
  if (normalized === requestOrigin(request)) return true;
  if (config.resourceUrl !== undefined && normalized === new URL(config.resourceUrl).origin.toLowerCase()) return true;
  return config.allowedOrigins.some((allowed) => allowed === '*' || allowed.toLowerCase() === normalized);
}

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .header('access-control-expose-headers', 'WWW-Authenticate, Retry-After, X-Request-Id')
    .send(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }));
}

export interface GatewayAccessLayer {
  access: GatewayAccess;
  /** The preHandler of every MCP endpoint. */
  guard: preHandlerAsyncHookHandler;
  close(): Promise<void>;
}

export interface GatewayAccessLayerOptions {
  config: GatewayAccessConfig;
  redisUrl: string | undefined;
  allowPrivateNetworks: boolean;
  authenticator: Authenticator;
  policies: GatewayPolicyService;
  audit: AuditTrail;
  logger: Logger;
  /** The app's Prometheus registry (`/metrics`). */
  registry: Registry;
  /** `WHARF_HOST`: where Wharf listens. */
  bindHost: string;
}

/** Assembles the access layer the MCP endpoints and federation use. */
export async function createGatewayAccessLayer(options: GatewayAccessLayerOptions): Promise<GatewayAccessLayer> {
  const { config } = options;
  const metrics = new GatewayAccessMetrics(options.registry);
  const limits = await GatewayRateLimits.create(config.rateLimits, options.redisUrl);
  const client = createOutboundClient({
    allowPrivateNetworks: options.allowPrivateNetworks,
    userAgent: 'Wharf-Gateway/1.0',
    timeoutMs: 10_000,
  });
  const oauth = config.oauth
    ? new OAuthBearer({ issuer: config.oauth.issuer, rules: config.oauth.rules, client })
    : undefined;
  const access = new GatewayAccessService({
    policies: options.policies,
    limits,
    audit: options.audit,
    metrics,
    logger: options.logger,
    auditArguments: config.auditArguments,
  });
  const guard = mcpAccessGuard({
    config,
    authenticator: options.authenticator,
    oauth,
    limits,
    metrics,
    bindHost: options.bindHost,
  });
  return {
    access,
    guard,
    async close() {
      await limits.close();
      await client.close();
    },
  };
}
