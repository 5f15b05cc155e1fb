import type { Instance, InstanceTransport, ProbeTarget } from '../model.js';

interface RemoteLike {
  type?: unknown;
  url?: unknown;
  variables?: Record<string, { default?: unknown } | undefined>;
}

/**
 * Makes a remote URL concrete from its variables' defaults; undefined when a `{variable}` has no default
 * (such a remote is a template for clients to fill in, and probing a guess would report false failures).
 */
export function concreteUrl(remote: RemoteLike): string | undefined {
  if (typeof remote.url !== 'string') return undefined;
  let missing = false;
  const url = remote.url.replace(/\{([^{}]+)\}/g, (_match, name: string) => {
    const value = remote.variables?.[name]?.default;
    if (typeof value !== 'string' || value === '') {
      missing = true;
      return '';
    }
    return encodeURIComponent(value);
  });
  if (missing) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** The probe targets of one server's latest version: its concrete streamable-http and sse remotes. */
export function remoteTargets(server: string, document: string): ProbeTarget[] {
  let parsed: { remotes?: unknown };
  try {
    parsed = JSON.parse(document) as { remotes?: unknown };
  } catch {
    return [];
  }
  if (!Array.isArray(parsed.remotes)) return [];
  const targets: ProbeTarget[] = [];
  for (const remote of parsed.remotes as RemoteLike[]) {
    const transport = remote.type === 'sse' ? 'sse' : remote.type === 'streamable-http' ? 'streamable-http' : undefined;
    const url = concreteUrl(remote);
    if (!transport || !url) continue;
    targets.push({ id: `remote:${server}:${url}`, kind: 'remote', server, url, transport });
  }
  return targets;
}

export function instanceTarget(instance: Instance): ProbeTarget {
  return {
    id: `instance:${instance.id}`,
    kind: 'instance',
    server: instance.server,
    url: instance.url,
    transport: instance.transport as InstanceTransport,
  };
}
