import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AuditRoute } from '../audit/http.js';
import type { Authenticator } from '../auth/authenticator.js';
import { principalOf } from '../auth/http.js';
import { WharfError, badRequest, unauthorized } from '../platform/errors.js';
import { contextTarget, writtenDetail } from './audit.js';
import type { ContextWriteAction } from './audit.js';
import { isPlainObject } from './model-json.js';
import type { ContextRecord } from './model.js';
import { encodeCursor, etagOf } from './service.js';
import type { ContextService } from './service.js';
import { contextJson, eventJson } from './wire.js';

export interface ContextRoutesOptions {
  service: ContextService;
  authenticator: Authenticator;
}

type IdParams = { id: string };
type Query = Record<string, string | undefined>;

const idParams = Type.Object({ id: Type.String({ description: 'Context id' }) });
// Query values stay text here; the service parses them so every mistake gets one clear 400.
const writeQuery = Type.Object(
  {
    ttl_seconds: Type.Optional(Type.String({ description: 'Seconds to live; 0 = never expires; default 3600' })),
    namespace: Type.Optional(Type.String({ description: 'Namespace (default "default")' })),
  },
  { additionalProperties: true },
);
const listQuery = Type.Object(
  {
    namespace: Type.Optional(Type.String({ description: 'Namespace to list (default "default")' })),
    cursor: Type.Optional(Type.String({ description: 'metadata.next_cursor of the previous page' })),
    limit: Type.Optional(Type.String({ description: 'Items per page, 1-500 (default 50)' })),
  },
  { additionalProperties: true, description: 'metadata.<key>=<value> filters on string metadata values' },
);
const bearer = [{ bearerAuth: [] }];
const tags = ['contexts'];
const MERGE_PATCH = /^application\/(merge-patch\+)?json\s*(;.*)?$/i;
const HEARTBEAT_MS = 15_000;

/**
 * Context writes in the audit trail. The target is known from the path (or a chosen id) even when the write is
 * refused; the handler adds where the context stands after a successful write. The document is never recorded.
 */
const writeAudit = (action: ContextWriteAction): AuditRoute => ({
  action,
  describe: (request) => {
    const id = (request.params as { id?: unknown } | undefined)?.id;
    const chosen = (request.body as { context_id?: unknown } | undefined)?.context_id;
    const named = typeof id === 'string' ? id : typeof chosen === 'string' ? chosen.slice(0, 128) : undefined;
    return { target: named === undefined ? undefined : contextTarget(named) };
  },
});
const noteWrite = (request: FastifyRequest, context: ContextRecord, deleted = false) => {
  request.auditNote = { target: contextTarget(context.id), detail: writtenDetail(context, deleted) };
};

/** `/api/v1/contexts`: thin HTTP over the ContextService. */
export async function contextRoutes(app: FastifyInstance, options: ContextRoutesOptions): Promise<void> {
  const { service } = options;
  const auth = requireBearer(options.authenticator);
  // Open event streams end when the server closes, or close() would wait for them forever.
  const streams = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.abort();
  });
  const send = (reply: FastifyReply, context: ContextRecord, status = 200) =>
    reply
      .code(status)
      .header('etag', etagOf(context))
      .type('application/json; charset=utf-8')
      .send(contextJson(context));

  app.post<{ Querystring: Query; Body: unknown }>(
    '/contexts',
    {
      schema: { operationId: 'create-context', tags, querystring: writeQuery, security: bearer },
      preHandler: auth,
      config: { audit: writeAudit('context.create') },
    },
    async (request, reply) => {
      const body = bodyObject(request.body, ['context_id', 'namespace', 'data', 'metadata']);
      const namespace = pick(body.namespace, request.query.namespace, 'namespace');
      const context = await service.create(principalOf(request), {
        id: body.context_id,
        namespace,
        data: body.data,
        metadata: body.metadata,
        ttlSeconds: request.query.ttl_seconds,
      });
      noteWrite(request, context);
      reply.header('location', `${request.url.split('?')[0]}/${encodeURIComponent(context.id)}`);
      return send(reply, context, 201);
    },
  );

  app.get<{ Querystring: Query }>(
    '/contexts',
    { schema: { operationId: 'list-contexts', tags, querystring: listQuery, security: bearer }, preHandler: auth },
    async (request, reply) => {
      const metadata: Record<string, string> = {};
      for (const [key, value] of Object.entries(request.query)) {
        if (!key.startsWith('metadata.')) continue;
        if (typeof value !== 'string') throw badRequest(`Give ${key} once`);
        metadata[key.slice('metadata.'.length)] = value;
      }
      const { namespace, cursor, limit } = request.query;
      const page = await service.list(principalOf(request), { namespace, cursor, limit, metadata });
      const ns = page.contexts[0]?.namespace ?? namespace ?? 'default';
      return reply.type('application/json; charset=utf-8').send({
        contexts: page.contexts.map(contextJson),
        metadata: {
          count: page.contexts.length,
          ...(page.nextAfter !== undefined ? { next_cursor: encodeCursor(ns, page.nextAfter) } : {}),
        },
      });
    },
  );

  app.get<{ Querystring: Query }>(
    '/contexts/events',
    { schema: { operationId: 'watch-namespace', tags, security: bearer }, preHandler: auth },
    async (request, reply) => {
      const principal = principalOf(request);
      const namespace = await service.watchTarget(principal, { namespace: request.query.namespace });
      return stream(request, reply, service, streams, { namespace });
    },
  );

  app.get<{ Params: IdParams }>(
    '/contexts/:id',
    { schema: { operationId: 'get-context', tags, params: idParams, security: bearer }, preHandler: auth },
    async (request, reply) => {
      const context = await service.get(principalOf(request), request.params.id);
      if (request.headers['if-none-match'] === etagOf(context)) {
        return reply.code(304).header('etag', etagOf(context)).send();
      }
      return send(reply, context);
    },
  );

  app.put<{ Params: IdParams; Querystring: Query; Body: unknown }>(
    '/contexts/:id',
    {
      schema: { operationId: 'replace-context', tags, params: idParams, querystring: writeQuery, security: bearer },
      preHandler: auth,
      config: { audit: writeAudit('context.replace') },
    },
    async (request, reply) => {
      const body = bodyObject(request.body, ['data', 'metadata']);
      const context = await service.replace(principalOf(request), request.params.id, {
        data: body.data,
        metadata: body.metadata,
        ttlSeconds: request.query.ttl_seconds,
        ifMatch: header(request, 'if-match'),
      });
      noteWrite(request, context);
      return send(reply, context);
    },
  );

  app.patch<{ Params: IdParams; Querystring: Query; Body: unknown }>(
    '/contexts/:id',
    {
      schema: { operationId: 'patch-context', tags, params: idParams, querystring: writeQuery, security: bearer },
      preHandler: auth,
      config: { audit: writeAudit('context.patch') },
    },
    async (request, reply) => {
      const type = request.headers['content-type'];
      if (type !== undefined && !MERGE_PATCH.test(type)) {
        throw new WharfError(
          'unsupported_media_type',
          `PATCH takes a JSON Merge Patch: send Content-Type application/merge-patch+json (or application/json), not '${type}'`,
        );
      }
      const context = await service.patch(principalOf(request), request.params.id, {
        patch: request.body,
        ttlSeconds: request.query.ttl_seconds,
        ifMatch: header(request, 'if-match'),
      });
      noteWrite(request, context);
      return send(reply, context);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/contexts/:id',
    {
      schema: { operationId: 'delete-context', tags, params: idParams, security: bearer },
      preHandler: auth,
      config: { audit: writeAudit('context.delete') },
    },
    async (request, reply) => {
      const deleted = await service.delete(principalOf(request), request.params.id, {
        ifMatch: header(request, 'if-match'),
      });
      noteWrite(request, deleted, true);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: IdParams; Querystring: Query }>(
    '/contexts/:id/events',
    { schema: { operationId: 'watch-context', tags, params: idParams, security: bearer }, preHandler: auth },
    async (request, reply) => {
      const principal = principalOf(request);
      const namespace = await service.watchTarget(principal, {
        contextId: request.params.id,
        namespace: request.query.namespace,
      });
      return stream(request, reply, service, streams, { namespace, contextId: request.params.id });
    },
  );
}

/** Server-sent events: `id` is the event id (send it back as Last-Event-ID to resume), `event` its type. */
async function stream(
  request: FastifyRequest,
  reply: FastifyReply,
  service: ContextService,
  streams: Set<AbortController>,
  target: { namespace: string; contextId?: string },
): Promise<void> {
  const principal = principalOf(request);
  const lastEventId = header(request, 'last-event-id') ?? (request.query as Query).last_event_id;
  const abort = new AbortController();
  streams.add(abort);
  abort.signal.addEventListener('abort', () => streams.delete(abort));
  const events = service.watch(principal, { ...target, lastEventId }, abort.signal);
  // Validate Last-Event-ID (and permissions) before committing to a 200 stream.
  const first = events.next();
  const firstOrError = await Promise.race([
    first.then(
      () => null,
      (error: unknown) => error,
    ),
    new Promise((resolve) => setTimeout(resolve, 0, null)),
  ]);
  if (firstOrError) {
    abort.abort();
    throw firstOrError;
  }

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': wharf context events\nretry: 2000\n\n');
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  request.raw.on('close', () => abort.abort());
  raw.on('close', () => abort.abort());
  try {
    let next = await first;
    while (!next.done) {
      const event = next.value;
      raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(eventJson(event))}\n\n`);
      next = await events.next();
    }
  } catch (error) {
    request.log.warn({ err: error }, 'context event stream failed');
  } finally {
    clearInterval(heartbeat);
    abort.abort();
    raw.end();
  }
}

function requireBearer(authenticator: Authenticator): preHandlerAsyncHookHandler {
  return async (request) => {
    const value = request.headers.authorization;
    if (value === undefined || value.trim() === '') {
      throw unauthorized(
        'Authentication required: send Authorization: Bearer <token> (a Wharf JWT, an API key or the admin token)',
      );
    }
    request.principal = await authenticator.authenticate(value);
  };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function bodyObject(body: unknown, allowed: string[]): Record<string, unknown> {
  if (!isPlainObject(body)) {
    throw badRequest(`The request body must be a JSON object with ${allowed.map((k) => `"${k}"`).join(', ')}`, [
      { message: 'expected a JSON object', location: 'body' },
    ]);
  }
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw badRequest(`Unknown member(s) ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${allowed.join(', ')}`, [
      ...unknown.map((k) => ({ message: 'unknown member', location: `body.${k}` })),
    ]);
  }
  return body;
}

function pick(fromBody: unknown, fromQuery: string | undefined, name: string): unknown {
  if (fromBody !== undefined && fromQuery !== undefined && fromBody !== fromQuery) {
    throw badRequest(`${name} is given in both the body and the query string, with different values`);
  }
  return fromBody ?? fromQuery;
}
