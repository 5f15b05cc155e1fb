import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ErrorDetail } from '../errors.js';

/** The problem+json body in the official registry's shape: {title, status, detail, errors?}. */
export interface Problem {
  title: string;
  status: number;
  detail: string;
  errors?: ErrorDetail[];
}

export function problem(status: number, detail: string, errors?: ErrorDetail[]): Problem {
  const body: Problem = { title: STATUS_CODES[status] ?? 'Error', status, detail };
  if (errors && errors.length > 0) body.errors = errors;
  return body;
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(JSON.stringify(body));
}
