import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { humaErrorsFromAjv } from '../../registry/validation/index.js';
import { WharfError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { problem, sendProblem } from './problem.js';
import { ShapeError, validatorCompiler } from './validation.js';
import type { ErrorObject } from './validation.js';

/** Request bodies above this are refused with 413 (the official registry's limit). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const locationPrefix: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/**
 * The HTTP platform every capability mounts its routes on: request ids, access logs, metrics,
 * problem+json errors, the official registry's URL hygiene (NUL bytes, trailing slashes) and 404s.
 */
export async function createHttpServer(logger: Logger, metrics: Metrics): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Our own onResponse hook writes one access line per request, with the route and timing.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 1000 },
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);

  // Parse any declared content type as JSON: clients such as curl -d send form or text types.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });

  await app.register(cors, {
    origin: '*',
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: '*',
    exposedHeaders: ['Content-Type', 'Content-Length', 'X-Request-Id', 'ETag'],
    maxAge: 86_400,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const url = request.raw.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathPart = queryAt === -1 ? url : url.slice(0, queryAt);
    const queryPart = queryAt === -1 ? '' : url.slice(queryAt + 1);
    if (hasNul(pathPart)) return sendProblem(reply, problem(400, 'Invalid request: URL path contains null bytes'));
    if (hasNul(queryPart)) {
      return sendProblem(reply, problem(400, 'Invalid request: query parameters contain null bytes'));
    }
    if (pathPart.length > 1 && pathPart.endsWith('/')) {
      const target = pathPart.replace(/\/+$/, '') || '/';
      return reply.redirect(queryAt === -1 ? target : `${target}?${queryPart}`, 308);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });

  app.setErrorHandler((error: FastifyError | WharfError | ShapeError, request, reply) => {
    if (error instanceof WharfError) return sendProblem(reply, problem(error.status, error.detail, error.errors));
    if (error instanceof ShapeError) return sendProblem(reply, problem(422, 'validation failed', error.details));
    if (error.validation) {
      return sendProblem(reply, problem(422, 'validation failed', validationDetails(error)));
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, problem(500, 'Internal server error; the request id in X-Request-Id helps find it'));
    }
    return sendProblem(reply, problem(status, clientErrorDetail(error, request)));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const versioned = /^\/(v0|v0\.1|api)(\/|$)/.test(path);
    const detail = versioned
      ? 'Endpoint not found. See /docs for the API documentation.'
      : `Endpoint not found. Did you mean '/v0.1${path}' or '/v0${path}'? See /docs for the API documentation.`;
    return sendProblem(reply, problem(404, detail));
  });

  return app;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Deeper documents are refused: nothing legitimate nests this far, and recursion over them is a risk. */
export const MAX_JSON_DEPTH = 64;

function parseJsonBody(raw: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new Error('Request body is not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`Malformed JSON body: ${(error as Error).message}`, { cause: error });
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    throw new Error(`JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return value;
}

function depthExceeds(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}

function hasNul(part: string): boolean {
  return part.includes('\0') || /%00/i.test(part);
}

function validationDetails(error: FastifyError) {
  const context = (error as { validationContext?: string }).validationContext ?? 'body';
  return humaErrorsFromAjv(error.validation as ErrorObject[], locationPrefix[context] ?? context);
}

function clientErrorDetail(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `Request body is larger than the ${BODY_LIMIT_BYTES / 1024} KiB limit`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `Unsupported Content-Type '${request.headers['content-type'] ?? ''}': send application/json`;
    default:
      return error.message;
  }
}
