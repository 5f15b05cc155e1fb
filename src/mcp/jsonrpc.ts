/** JSON-RPC framing the host checks before the SDK sees a message, and the error responses it writes itself. */

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
/** Implementation-defined (legacy range): transport-level refusals such as a missing session header. */
export const SERVER_ERROR = -32000;
/** The SDKs' conventional code for an unknown or expired session. */
export const SESSION_NOT_FOUND = -32001;

export type JsonRpcId = string | number | null;

export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  options: { id?: JsonRpcId; data?: unknown; headers?: Record<string, string> } = {},
): Response {
  const error: Record<string, unknown> = { code, message };
  if (options.data !== undefined) error.data = options.data;
  return Response.json(
    { jsonrpc: '2.0', id: options.id ?? null, error },
    { status, headers: { 'content-type': 'application/json', ...options.headers } },
  );
}

/** The id to echo on an error about this body, when one can be read. */
export function echoableId(body: unknown): JsonRpcId {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** Batches were removed in 2025-06-18; 2025-03-26 clients may still send them, bounded like the SDK does. */
const MAX_BATCH = 100;

/**
 * Why this parsed body is not a JSON-RPC 2.0 message (or batch of them), or undefined when it is one. The SDK
 * would report such bodies as parse errors (-32700); JSON-RPC says they are invalid requests (-32600).
 */
export function envelopeProblem(body: unknown): string | undefined {
  if (Array.isArray(body)) {
    if (body.length === 0) return 'an empty batch is not a JSON-RPC request';
    if (body.length > MAX_BATCH) return `a batch may hold at most ${MAX_BATCH} messages`;
    for (const [index, item] of body.entries()) {
      const problem = messageProblem(item);
      if (problem) return `batch item ${index}: ${problem}`;
    }
    return undefined;
  }
  return messageProblem(body);
}

function messageProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'the body must be a JSON-RPC 2.0 object';
  }
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return 'the "jsonrpc" member must be exactly "2.0"';
  const hasId = 'id' in message;
  if (hasId && typeof message.id !== 'string' && !(typeof message.id === 'number' && Number.isFinite(message.id))) {
    return 'the "id" member must be a string or a number (MCP forbids null ids)';
  }
  if ('method' in message) {
    if (typeof message.method !== 'string' || message.method === '') return 'the "method" member must be a string';
    const params = message.params;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      return 'the "params" member must be an object';
    }
    return undefined;
  }
  // A response posted by a 2025-era client (to a server-to-client request).
  if (!hasId) return 'a message needs a "method" (request or notification) or an "id" (response)';
  if ('result' in message === 'error' in message) return 'a response carries exactly one of "result" and "error"';
  return undefined;
}
