/**
 * The seam for forwarding a modern `tools/call` as it is, without building an SDK server for it (the gateway's
 * call forwarding to 2026-07-28 upstreams). The host offers a call to the forwarder only when the SDK would accept the
 * request unchanged, so that every refusal (bad envelope, header mismatch, unknown version) keeps the SDK's own answer.
 */
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/authenticator.js';

/** The only modern revision today; a request naming another one takes the SDK path (which refuses it properly). */
export const MODERN_REVISION = '2026-07-28';

export interface ToolCallMessage {
  jsonrpc: '2.0';
  id: string | number;
  method: 'tools/call';
  params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
}

export interface ForwardableToolCall {
  /** Headers (Accept) and the abort signal of the downstream exchange. */
  request: Request;
  message: ToolCallMessage;
  principal: Principal | null;
  virtualServer: string | undefined;
  address: string | undefined;
}

/** Answers the call, or undefined to let the host serve it through the SDK (a built-in tool, a legacy upstream…). */
export type ToolCallForwarder = (call: ForwardableToolCall) => Promise<Response | undefined>;

/**
 * The message of a modern `tools/call` that needs no SDK check beyond what is done here: the envelope is valid (the
 * SDK's own classifier says so), the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers are present and equal to
 * the body's, and the arguments are an object. Anything else answers undefined (the SDK path decides).
 */
export function forwardableToolCall(request: Request, body: unknown): ToolCallMessage | undefined {
  if (typeof body !== 'object' || body === null || (body as { method?: unknown }).method !== 'tools/call') {
    return undefined;
  }
  const headers = request.headers;
  const version = headers.get('mcp-protocol-version');
  if (version !== MODERN_REVISION || headers.get('mcp-method') !== 'tools/call') return undefined;
  const params = (body as { params?: unknown }).params as Record<string, unknown> | undefined;
  const name = params?.name;
  if (typeof name !== 'string' || headers.get('mcp-name') !== name) return undefined;
  const args = params?.arguments;
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) return undefined;
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    protocolVersionHeader: version,
    mcpMethodHeader: 'tools/call',
    mcpNameHeader: name,
  });
  if (outcome.kind !== 'modern' || outcome.messageKind !== 'request') return undefined;
  if (outcome.classification.revision !== MODERN_REVISION) return undefined;
  return body as ToolCallMessage;
}
