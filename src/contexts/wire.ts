import type { ContextEvent, ContextRecord } from './model.js';

/** The context resource as clients see it (REST bodies, SSE data, MCP structured content). */
export interface ContextJson {
  context_id: string;
  namespace: string;
  version: number;
  created_at: string;
  last_updated: string;
  expires_at: string | null;
  payload: { data: Record<string, unknown>; metadata: Record<string, unknown> };
}

export interface ContextEventJson {
  event_id: string;
  type: ContextEvent['type'];
  context_id: string;
  namespace: string;
  version: number;
  at: string;
  context?: ContextJson;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function contextJson(context: ContextRecord): ContextJson {
  return {
    context_id: context.id,
    namespace: context.namespace,
    version: context.version,
    created_at: iso(context.createdAt),
    last_updated: iso(context.updatedAt),
    expires_at: context.expiresAt === null ? null : iso(context.expiresAt),
    payload: { data: context.data, metadata: context.metadata },
  };
}

export function eventJson(event: ContextEvent): ContextEventJson {
  const body: ContextEventJson = {
    event_id: event.id,
    type: event.type,
    context_id: event.contextId,
    namespace: event.namespace,
    version: event.version,
    at: iso(event.at),
  };
  if (event.context) body.context = contextJson(event.context);
  return body;
}
