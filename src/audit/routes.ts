import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { ADMIN_ONLY_MESSAGE, GLOBAL, authorize } from '../auth/authorize.js';
import { principalOf, requireBearer } from '../auth/http.js';
import { badRequest } from '../platform/errors.js';
import type { AuditQuery, StoredAuditEvent } from './model.js';
import type { AuditService } from './service.js';
import type { AuditOutcome } from './trail.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const auditQuery = Type.Object({
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Subject or API key id' })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'e.g. server.publish' })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Exact target' })),
  server: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Server name, all versions' })),
  outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('denied'), Type.Literal('failure')])),
  since: Type.Optional(Type.String({ description: 'RFC 3339, inclusive' })),
  until: Type.Optional(Type.String({ description: 'RFC 3339, exclusive' })),
  cursor: Type.Optional(Type.String({ description: 'metadata.nextCursor of the previous page' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});
type Query = {
  actor?: string;
  action?: string;
  target?: string;
  server?: string;
  outcome?: AuditOutcome;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
};

export function auditEventJson(event: StoredAuditEvent) {
  return {
    id: event.id,
    occurred_at: event.occurredAt,
    action: event.action,
    outcome: event.outcome,
    actor: event.actor && { method: event.actor.method, subject: event.actor.subject, key_id: event.actor.keyId },
    target: event.target,
    source_ip: event.sourceIp,
    detail: event.detail,
  };
}

export interface AuditRoutesOptions {
  audit: AuditService;
  authenticator: Authenticator;
}

/** `GET /api/v1/audit`: the audit log, newest first, for global administrators. */
export async function auditRoutes(app: FastifyInstance, options: AuditRoutesOptions): Promise<void> {
  app.get<{ Querystring: Query }>(
    '/audit',
    {
      schema: {
        operationId: 'list-audit-events',
        tags: ['audit'],
        querystring: auditQuery,
        security: [{ bearerAuth: [] }],
      },
      preHandler: requireBearer(options.authenticator),
    },
    async (request) => {
      authorize(principalOf(request), 'admin', GLOBAL, ADMIN_ONLY_MESSAGE);
      const page = await options.audit.query(toQuery(request.query));
      return {
        events: page.events.map(auditEventJson),
        metadata: { count: page.events.length, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      };
    },
  );
}

function toQuery(q: Query): AuditQuery {
  const query: AuditQuery = { limit: q.limit };
  if (q.actor) query.actor = q.actor;
  if (q.action) query.action = q.action;
  if (q.target) query.target = q.target;
  if (q.server) query.server = q.server;
  if (q.outcome) query.outcome = q.outcome;
  if (q.since !== undefined) query.since = timestamp(q.since, 'since');
  if (q.until !== undefined) query.until = timestamp(q.until, 'until');
  if (query.since && query.until && query.since >= query.until) throw badRequest('since must be earlier than until');
  if (q.cursor !== undefined) {
    if (!/^[1-9]\d{0,17}$/.test(q.cursor)) {
      throw badRequest('Invalid cursor: pass metadata.nextCursor from the previous page');
    }
    query.before = Number(q.cursor);
  }
  return query;
}

function timestamp(value: string, name: string): string {
  const parsed = RFC3339.test(value) ? new Date(value) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime())) {
    throw badRequest(`Invalid ${name}: expected an RFC 3339 timestamp (e.g. 2026-11-21T13:00:00Z)`);
  }
  return parsed.toISOString();
}
