/** A parsed image reference, normalized the way Docker (and go-containerregistry, used upstream) reads it. */
export interface OciReference {
  /** Registry host as written (with port, if any), or `docker.io` when the reference names none. */
  registry: string;
  /** Repository path inside the registry; Docker Hub's official images get their implicit `library/` prefix. */
  repository: string;
  /** The tag or `sha256:` digest to fetch; a digest wins over a tag when both are given. */
  reference: string;
  /** Set when `reference` is a digest, so the fetched manifest can be checked against it. */
  digest?: string;
}

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const REGISTRY =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;

export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry);
}

/**
 * Parses `[registry/]repository[:tag][@sha256:digest]`. The first path component is a registry when it contains `.` or
 * `:` or is `localhost`; otherwise the image is on Docker Hub. No tag and no digest means `latest`.
 * Returns an error message instead of throwing, since the text ends up in a publish failure.
 *
 * @example
 * parseOciReference('ghcr.io/acme/weather:1.2.0'); // { registry: 'ghcr.io', repository: 'acme/weather', reference: '1.2.0' }
 * parseOciReference('postgres'); // { registry: 'docker.io', repository: 'library/postgres', reference: 'latest' }
 */
export function parseOciReference(input: string): OciReference | { error: string } {
  const fail = (why: string) => ({ error: `could not parse reference: ${input} (${why})` });
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return fail('a digest must be sha256: followed by 64 lowercase hex characters');
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return fail(`invalid tag "${tag}"`);
  }

  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
    if (!REGISTRY.test(registry)) return fail(`invalid registry "${registry}"`);
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) {
    return fail('repository names may only contain lowercase letters, digits and separators (. _ __ -)');
  }
  if (isDockerHub(registry) && parts.length === 1) parts.unshift('library');

  const repository = parts.join('/');
  if (repository.length > 255) return fail('repository name is longer than 255 characters');
  return digest
    ? { registry, repository, reference: digest, digest }
    : { registry, repository, reference: tag ?? 'latest' };
}

/** Matches a registry host against allow-list entries; `*.example.com` matches any subdomain, not the apex. */
export function registryAllowed(registry: string, allowList: readonly string[]): boolean {
  const host = registry.toLowerCase();
  return allowList.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('*.') ? host.endsWith(e.slice(1)) && host.length > e.length - 1 : host === e;
  });
}
