import { contextMcpProvider } from '../contexts/mcp.js';
import type { GatewayAccess } from '../gateway/access.js';
import { registryMcpProvider } from '../registry/mcp.js';
import { buildInfo } from '../version.js';
import type { Wharf } from '../wharf.js';
import { McpHost } from './host.js';
import { LegacySessions, deriveSessionKey } from './sessions.js';

const INSTRUCTIONS =
  'Wharf: a registry of MCP servers. search_servers finds servers, get_server returns one server.json ' +
  '(how to run or connect to it), list_versions shows its history; registry://servers/{name} reads server.json. ' +
  'context_create, context_get, context_update, context_delete and context_list keep shared JSON contexts with a ' +
  'time-to-live (context://{id} reads one); they need a bearer token with context permissions.';

/** The `/mcp` host with every capability's provider registered (the registry and the context store). */
export function createMcpHost(wharf: Wharf, options: { access?: GatewayAccess } = {}): McpHost {
  const host = new McpHost({
    serverInfo: { name: 'wharf', title: 'Wharf', version: buildInfo.version.replace(/^v/, '') },
    instructions: INSTRUCTIONS,
    sessions: new LegacySessions({ key: deriveSessionKey(wharf.config) }),
    logger: wharf.logger,
    ...(options.access && { access: options.access }),
  });
  host.register(registryMcpProvider(wharf.registry));
  host.register(contextMcpProvider(wharf.contexts, { audit: wharf.auditTrail }));
  return host;
}
