import { createHash } from 'node:crypto';
import { OutboundError } from '../../platform/net/errors.js';
import type { OutboundClient, OutboundResponse } from '../../platform/net/outbound.js';
import { parseJson, pick } from './common.js';
import type { OciReference } from './oci-reference.js';

/** What reading an image's labels came to. `status` carries the registry's HTTP status for the caller to word. */
export type LabelsOutcome =
  | { kind: 'labels'; labels: Record<string, unknown> }
  | { kind: 'status'; status: number }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

class Stop extends Error {
  constructor(readonly outcome: LabelsOutcome) {
    super('stop');
  }
}

/**
 * Reads the config labels of a public image over the OCI distribution API, the way `docker pull` does anonymously:
 * manifest (401 → `WWW-Authenticate: Bearer realm=…` → anonymous token → retry), then for an index the linux/amd64
 * child (or the first real one), then the config blob. Fetched content is checked against its digest.
 */
export async function readImageLabels(
  client: OutboundClient,
  apiBase: string,
  ref: OciReference,
  deadline: number,
): Promise<LabelsOutcome> {
  let token: string | undefined;

  async function send(url: string, accept: string | undefined, maxBytes: number): Promise<OutboundResponse> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Stop({ kind: 'timeout' });
    const headers: Record<string, string> = {};
    if (accept) headers.accept = accept;
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await client.fetch(url, { headers, maxBytes, timeoutMs: remaining });
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      throw new Stop(err.code === 'timeout' ? { kind: 'timeout' } : { kind: 'error', message: err.message });
    }
  }

  async function authenticate(challenge: string | null): Promise<boolean> {
    const params = parseBearerChallenge(challenge);
    if (!params?.realm) return false;
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(params.realm);
    } catch {
      throw new Stop({ kind: 'error', message: `the registry named an invalid token realm: ${params.realm}` });
    }
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    tokenUrl.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
    const res = await send(tokenUrl.href, 'application/json', 1024 * 1024);
    if (res.status !== 200) throw new Stop({ kind: 'status', status: res.status });
    const body = parseJson(res);
    const value = body.ok ? (pick(body.value, 'token') ?? pick(body.value, 'access_token')) : undefined;
    if (typeof value !== 'string' || value === '') {
      throw new Stop({ kind: 'error', message: 'the registry token endpoint returned no token' });
    }
    token = value;
    return true;
  }

  async function get(path: string, accept: string | undefined, maxBytes: number, digest?: string): Promise<unknown> {
    const url = `${apiBase}/v2/${ref.repository}/${path}`;
    let res = await send(url, accept, maxBytes);
    if (res.status === 401 && token === undefined && (await authenticate(res.headers.get('www-authenticate')))) {
      res = await send(url, accept, maxBytes);
    }
    if (res.status !== 200) throw new Stop({ kind: 'status', status: res.status });
    if (digest && `sha256:${createHash('sha256').update(res.body).digest('hex')}` !== digest) {
      throw new Stop({ kind: 'error', message: `content of ${path} does not match its digest ${digest}` });
    }
    const body = parseJson(res);
    if (!body.ok) throw new Stop({ kind: 'error', message: `failed to parse ${path}: ${body.error}` });
    return body.value;
  }

  try {
    let manifest = await get(`manifests/${ref.reference}`, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, ref.digest);
    const children = pick(manifest, 'manifests');
    if (Array.isArray(children)) {
      const child = pickPlatform(children);
      const childDigest = pick(child, 'digest');
      if (typeof childDigest !== 'string') {
        return { kind: 'error', message: 'the image index lists no usable manifest' };
      }
      manifest = await get(`manifests/${childDigest}`, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, childDigest);
    }
    const configDigest = pick(manifest, 'config', 'digest');
    if (typeof configDigest !== 'string') {
      return { kind: 'error', message: 'failed to get image config: the manifest names no config blob' };
    }
    const config = await get(`blobs/${configDigest}`, undefined, MAX_CONFIG_BYTES, configDigest);
    const labels = pick(config, 'config', 'Labels');
    return { kind: 'labels', labels: labels && typeof labels === 'object' ? (labels as Record<string, unknown>) : {} };
  } catch (err) {
    if (err instanceof Stop) return err.outcome;
    throw err;
  }
}

/** Multi-arch images: prefer linux/amd64 (what the official validator resolves), else the first non-attestation child. */
function pickPlatform(children: unknown[]): unknown {
  const platform = (c: unknown) =>
    `${String(pick(c, 'platform', 'os'))}/${String(pick(c, 'platform', 'architecture'))}`;
  return (
    children.find((c) => platform(c) === 'linux/amd64') ??
    children.find((c) => platform(c) !== 'unknown/unknown') ??
    children[0]
  );
}

/** Parses `Bearer realm="…",service="…",scope="…"`; anything but a Bearer challenge means no anonymous access. */
export function parseBearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) {
    const key = m[1];
    if (key) params[key.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return params;
}
