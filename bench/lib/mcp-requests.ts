/**
 * Request generator for the MCP load (loaded inside the load-generator child by module path): `tools/call
 * search_servers` as 2026-07-28 stateless requests, one per search term, with the headers the spec requires.
 */
import type autocannon from 'autocannon';

export interface McpSearchParams {
  path: string;
  terms: string[];
  limit: number;
}

export const MODERN_VERSION = '2026-07-28';

export function mcpSearchBody(term: string, limit: number, id = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'search_servers',
      arguments: { query: term, limit },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'wharf-bench', version: '1.0.0' },
      },
    },
  });
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': MODERN_VERSION,
  'mcp-method': 'tools/call',
  'mcp-name': 'search_servers',
};

export function mcpSearchRequests(params: McpSearchParams): autocannon.Request[] {
  return params.terms.map((term, index) => ({
    method: 'POST',
    path: params.path,
    headers: MCP_HEADERS,
    body: mcpSearchBody(term, params.limit, index + 1),
  }));
}
