import { decodeJwt } from 'jose';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditActor, AuditEvent, AuditOutcome, AuditTrail } from './trail.js';

export interface AuditRoute {
  /** `<capability>.<verb>`, e.g. `server.publish`. */
  action: string;
  /** What the request is about, from its params or body (which may be malformed on a refused request). */
  describe?: (request: FastifyRequest) => {
    target?: string | undefined;
    detail?: Record<string, unknown> | undefined;
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes carrying this are recorded in the audit trail, whatever their outcome. */
    audit?: AuditRoute;
  }
  interface FastifyRequest {
    /** Set by a handler when the target is only known after the write (e.g. a new key's id). */
    auditNote?: { target?: string; detail?: Record<string, unknown> };
  }
}

const AUTH_EXCHANGE = /^\/v0(?:\.1)?\/auth\/([A-Za-z0-9-]+)$/;

/**
 * Records every audited request (routes with `config.audit`, and every token exchange under `/v0(.1)/auth/*`)
 * once its outcome is known and before the response leaves, so a client never sees a success the log lacks
 * (unless the process dies between the commit and this write, or the audit write itself fails and is logged).
 */
export function installAuditTrail(app: FastifyInstance, trail: AuditTrail): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const event = auditEventFor(request, reply, payload);
    if (event) await trail.record(event);
    return payload;
  });
}

function auditEventFor(request: FastifyRequest, reply: FastifyReply, payload: unknown): AuditEvent | undefined {
  if (request.routeOptions.url === undefined) return undefined;
  const status = reply.statusCode;
  const outcome: AuditOutcome =
    status < 400 ? 'success' : status === 401 || status === 403 || status === 429 ? 'denied' : 'failure';
  const route = request.routeOptions.config.audit;
  let action: string;
  let target: string | undefined;
  let detail: Record<string, unknown> = {};
  let actor: AuditActor | undefined = actorOf(request);
  if (route) {
    action = route.action;
    const described = safely(() => route.describe?.(request));
    target = described?.target;
    detail = { ...described?.detail };
  } else {
    const login = request.method === 'POST' ? AUTH_EXCHANGE.exec(request.routeOptions.url ?? '') : null;
    if (!login) return undefined;
    action = 'auth.login';
    target = login[1];
    if (outcome === 'success') actor = actor ?? loginActor(payload);
  }
  if (request.auditNote?.target !== undefined) target = request.auditNote.target;
  Object.assign(detail, request.auditNote?.detail);
  detail.status = status;
  if (outcome !== 'success') {
    const reason = problemDetail(payload);
    if (reason) detail.reason = reason;
  }
  return { action, actor, target, outcome, sourceIp: request.ip, detail };
}

function actorOf(request: FastifyRequest): AuditActor | undefined {
  const p = request.principal;
  return p ? { method: p.authMethod, subject: p.subject, keyId: p.keyId } : undefined;
}

/** Who just logged in, read from the token we are about to hand out (no need to verify our own signature). */
function loginActor(payload: unknown): AuditActor | undefined {
  const body = parseJson(payload) as { registry_token?: unknown } | undefined;
  if (typeof body?.registry_token !== 'string') return undefined;
  const claims = safely(() => decodeJwt(body.registry_token as string));
  if (!claims) return undefined;
  return {
    method: String(claims.auth_method ?? ''),
    subject: String(claims.auth_method_sub ?? ''),
    keyId: typeof claims.wharf_key_id === 'string' ? claims.wharf_key_id : undefined,
  };
}

function problemDetail(payload: unknown): string | undefined {
  const body = parseJson(payload) as { detail?: unknown; errors?: { message?: unknown }[] } | undefined;
  if (typeof body?.detail !== 'string') return undefined;
  const cause = body.errors?.[0]?.message;
  return typeof cause === 'string' ? `${body.detail}: ${cause}` : body.detail;
}

function parseJson(payload: unknown): unknown {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  if (text === undefined || text.length > 65_536) return undefined;
  return safely(() => JSON.parse(text) as unknown);
}

function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
