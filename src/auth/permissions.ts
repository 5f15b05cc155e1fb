/**
 * Permissions: an action on a name pattern, exactly as carried in the registry JWT. The registry
 * actions match the official registry; the context roles apply to context namespace patterns.
 * `admin` on a pattern implies every other action on it. `gateway_call` applies to gateway tool names
 * (`tool` on `/mcp`, `virtualServer/tool` on `/mcp/{virtualServer}`).
 */
export type Action = 'publish' | 'edit' | 'admin' | 'context_reader' | 'context_writer' | 'gateway_call';

export interface Permission {
  action: Action;
  resource: string;
}

/**
 * Official pattern semantics: `*` matches everything, a trailing `*` is a prefix match, anything else
 * is an exact, case-sensitive match.
 */
export function matchesPattern(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return resource.startsWith(pattern.slice(0, -1));
  return pattern === resource;
}

export function hasPermission(permissions: readonly Permission[], action: Action, resource: string): boolean {
  return permissions.some((p) => (p.action === action || p.action === 'admin') && matchesPattern(p.resource, resource));
}

/** The official 403 wording for a publish without a matching pattern, which lists what the caller may do. */
export function publishPermissionMessage(permissions: readonly Permission[], serverName: string): string {
  const allowed = permissions.filter((p) => p.action === 'publish').map((p) => p.resource);
  const held =
    allowed.length > 0
      ? `You have permission to publish: ${allowed.join(', ')}.`
      : 'You do not have any publish permissions.';
  return `You do not have permission to publish this server. ${held} Attempting to publish: ${serverName}`;
}
