/**
 * autocannon request cycle for the contexts scenario, built inside the load child: each connection creates a
 * context with a 1 KiB document, then reads it back `reads` times (so the mix is 1 create : `reads` gets).
 */
import type autocannon from 'autocannon';

export interface ContextRequestParams {
  token: string;
  reads: number;
  ttlSeconds: number;
}

export function contextRequests(params: ContextRequestParams): autocannon.Request[] {
  const headers = { authorization: `Bearer ${params.token}`, 'content-type': 'application/json' };
  // ~1 KiB of JSON: a realistic conversation-state shape rather than one long string.
  const data = {
    user: 'bench-user',
    turns: Array.from({ length: 12 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      text: `turn ${i} `.padEnd(60, 'x'),
    })),
  };
  const body = JSON.stringify({ data, metadata: { kind: 'bench' } });
  const create: autocannon.Request = {
    method: 'POST',
    path: `/api/v1/contexts?ttl_seconds=${params.ttlSeconds}`,
    headers,
    body,
    onResponse: (status, responseBody, context) => {
      if (status === 201)
        (context as { id?: string }).id = (JSON.parse(responseBody) as { context_id: string }).context_id;
    },
  };
  const read: autocannon.Request = {
    method: 'GET',
    headers: { authorization: headers.authorization },
    setupRequest: (request, context) => ({
      ...request,
      path: `/api/v1/contexts/${(context as { id?: string }).id ?? 'missing'}`,
    }),
  };
  return [create, ...Array.from({ length: params.reads }, () => read)];
}
