/** Request generator (loaded in the load-generator child): 2026-07-28 stateless `tools/call` of one echo tool. */
import type autocannon from 'autocannon';
import { MODERN_VERSION } from './mcp-requests.js';

export interface ToolCallParams {
  path: string;
  tool: string;
}

export function toolCallBody(tool: string, id = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: tool,
      arguments: { text: 'ping' },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'wharf-bench', version: '1.0.0' },
      },
    },
  });
}

export function toolCallHeaders(tool: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN_VERSION,
    'mcp-method': 'tools/call',
    'mcp-name': tool,
  };
}

export function toolCallRequests(params: ToolCallParams): autocannon.Request[] {
  return [
    { method: 'POST', path: params.path, headers: toolCallHeaders(params.tool), body: toolCallBody(params.tool) },
  ];
}
