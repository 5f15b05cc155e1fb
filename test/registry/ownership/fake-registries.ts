import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One local HTTP server (127.0.0.1, random port) impersonating every package registry the ownership verifier talks
 * to, so no test touches the internet:
 *
 * | registry | configure the verifier with                      | served paths                                        |
 * |----------|--------------------------------------------------|-----------------------------------------------------|
 * | npm      | `baseUrls.npm = fake.npmBase`                    | `GET /npm/<name>/<version>`, `HEAD /npm/<name>`     |
 * | PyPI     | `baseUrls.pypi = fake.pypiBase`                  | `GET /pypi-index/pypi/<name>/<version>/json`, `HEAD /pypi-index/pypi/<name>/json` |
 * | NuGet    | `baseUrls.nuget = fake.nugetIndex`               | service index, `/nuget/readme/<id>/<ver>`, `/nuget/flat/<id>/index.json` |
 * | cargo    | `baseUrls.cargo = fake.cargoBase`                | `/cargo/api/v1/crates/<name>/<ver>[/readme]`, `/cargo/static/<name>-<ver>.html` |
 * | OCI      | `originOverrides[host] = fake.origin`            | `/v2/<repo>/manifests/<ref>`, `/v2/<repo>/blobs/<digest>` behind `/oci/token` |
 * | MCPB     | `originOverrides['github.com'] = fake.origin`    | `HEAD <release asset path>`                          |
 *
 * The OCI side behaves like Docker Hub: anonymous requests get `401` with a Bearer challenge, the token endpoint
 * issues per-repository tokens, and blobs redirect to a "CDN" on another origin (`localhost` instead of `127.0.0.1`)
 * that refuses requests still carrying the registry token.
 */
export interface FakeRegistries {
  readonly origin: string;
  readonly npmBase: string;
  readonly pypiBase: string;
  readonly nugetIndex: string;
  readonly cargoBase: string;
  /** Every request received, in order. */
  readonly requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  addNpm(name: string, version: string, doc: Record<string, unknown>): void;
  addPypi(name: string, version: string, description: string): void;
  /** `readme: null` publishes the version without an embedded README. */
  addNuget(id: string, version: string, readme: string | null): void;
  /** `html: null` publishes the version without a rendered README (the CDN then answers 403, like S3). */
  addCrate(name: string, version: string, html: string | null): void;
  /** Publishes an image; `platforms` makes the tag an OCI index with one child per platform. */
  addImage(repo: string, tag: string, image: OciImage): void;
  /** Makes `HEAD <path>` answer 200 (a published MCPB release asset). */
  addAsset(path: string): void;
  /**
   * Answers `status` (and optional body/headers) for one exact method + path, ahead of every other route.
   * Status 0 never answers, for timeout tests.
   */
  override(method: string, path: string, status: number, body?: string, headers?: Record<string, string>): void;
  /** How many requests hit paths starting with `prefix`. */
  hits(prefix: string): number;
  reset(): void;
  close(): Promise<void>;
}

export interface OciImage {
  labels?: Record<string, string>;
  /** Token requests for this repository are refused (a private image). */
  private?: boolean;
  /** Platforms of a multi-arch index, e.g. `['linux/arm64', 'linux/amd64']`; the labels differ per platform if given. */
  platforms?: { platform: string; labels?: Record<string, string> }[];
}

interface Canned {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const sha = (data: string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export async function startFakeRegistries(): Promise<FakeRegistries> {
  const requests: FakeRegistries['requests'] = [];
  const npm = new Map<string, Record<string, unknown>>();
  const pypi = new Map<string, string>();
  const nuget = new Map<string, string | null>();
  const crates = new Map<string, string | null>();
  const tags = new Map<string, string>(); // `${repo}:${tag}` → manifest digest
  const blobs = new Map<string, { body: string; type: string }>(); // digest → manifest or config
  const privateRepos = new Set<string>();
  const assets = new Set<string>();
  const overrides = new Map<string, Canned>();
  let origin = '';
  let cdnOrigin = '';

  const send = (res: http.ServerResponse, status: number, body = '', headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };
  const json = (res: http.ServerResponse, value: unknown, status = 200) =>
    send(res, status, JSON.stringify(value), { 'content-type': 'application/json' });

  function storeImage(config: Record<string, string> | undefined): string {
    const configBody = JSON.stringify({ architecture: 'amd64', os: 'linux', config: config ? { Labels: config } : {} });
    const configDigest = sha(configBody);
    blobs.set(configDigest, { body: configBody, type: 'application/vnd.oci.image.config.v1+json' });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: configBody.length },
      layers: [],
    });
    const digest = sha(manifest);
    blobs.set(digest, { body: manifest, type: OCI_MANIFEST });
    return digest;
  }

  function handleOci(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    if (!m) return send(res, 404);
    const [, repo = '', kind, ref = ''] = m;
    if (req.headers.authorization !== `Bearer anon-${repo}`) {
      const realm = `${origin}/oci/token`;
      return send(res, 401, '{"errors":[{"code":"UNAUTHORIZED"}]}', {
        'www-authenticate': `Bearer realm="${realm}",service="fake-registry",scope="repository:${repo}:pull"`,
      });
    }
    if (kind === 'blobs') {
      // Real registries hand blobs to a CDN on another origin with a signed URL.
      return send(res, 307, '', { location: `${cdnOrigin}/cdn/${ref}` });
    }
    const digest = ref.startsWith('sha256:') ? ref : tags.get(`${repo}:${ref}`);
    const blob = digest ? blobs.get(digest) : undefined;
    if (!blob) return send(res, 404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    return send(res, 200, blob.body, { 'content-type': blob.type, 'docker-content-digest': digest ?? '' });
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    requests.push({ method, path: `${path}${url.search}`, headers: req.headers });
    const canned = overrides.get(`${method} ${path}`);
    if (canned?.status === 0) return;
    if (canned) return send(res, canned.status, canned.body, canned.headers);
    const seg = (s: string) => decodeURIComponent(s);
    let m: RegExpExecArray | null;

    // npm: version documents and the package-level probe.
    if ((m = /^\/npm\/([^/]+)\/([^/]+)$/.exec(path))) {
      const doc = npm.get(`${seg(m[1] ?? '')}@${seg(m[2] ?? '')}`);
      return doc ? json(res, doc) : json(res, { error: 'not found' }, 404);
    }
    if ((m = /^\/npm\/([^/]+)$/.exec(path))) {
      const name = seg(m[1] ?? '');
      return send(res, [...npm.keys()].some((k) => k.startsWith(`${name}@`)) ? 200 : 404);
    }
    // PyPI JSON API.
    if ((m = /^\/pypi-index\/pypi\/([^/]+)\/([^/]+)\/json$/.exec(path))) {
      const description = pypi.get(`${seg(m[1] ?? '')}@${seg(m[2] ?? '')}`);
      return description === undefined
        ? json(res, { message: 'Not Found' }, 404)
        : json(res, { info: { description } });
    }
    if ((m = /^\/pypi-index\/pypi\/([^/]+)\/json$/.exec(path))) {
      const name = seg(m[1] ?? '');
      return send(res, [...pypi.keys()].some((k) => k.startsWith(`${name}@`)) ? 200 : 404);
    }
    // NuGet v3 feed.
    if (path === '/nuget/v3/index.json') {
      return json(res, {
        version: '3.0.0',
        resources: [
          { '@id': `${origin}/nuget/flat/`, '@type': 'PackageBaseAddress/3.0.0' },
          { '@id': `${origin}/nuget/readme/{lower_id}/{lower_version}`, '@type': 'ReadmeUriTemplate/6.13.0' },
        ],
      });
    }
    if ((m = /^\/nuget\/readme\/([^/]+)\/([^/]+)$/.exec(path))) {
      const readme = nuget.get(`${seg(m[1] ?? '')}@${seg(m[2] ?? '')}`);
      return typeof readme === 'string' ? send(res, 200, readme, { 'content-type': 'text/markdown' }) : send(res, 404);
    }
    if ((m = /^\/nuget\/flat\/([^/]+)\/index\.json$/.exec(path))) {
      const id = seg(m[1] ?? '');
      const versions = [...nuget.keys()].filter((k) => k.startsWith(`${id}@`)).map((k) => k.slice(id.length + 1));
      return versions.length ? json(res, { versions }) : send(res, 404);
    }
    // crates.io API and its README CDN.
    if ((m = /^\/cargo\/api\/v1\/crates\/([^/]+)\/([^/]+)\/readme$/.exec(path))) {
      const [name, version] = [seg(m[1] ?? ''), seg(m[2] ?? '')];
      return json(res, { url: `${origin}/cargo/static/${name}-${version}.html` });
    }
    if ((m = /^\/cargo\/api\/v1\/crates\/([^/]+)\/([^/]+)$/.exec(path))) {
      const known = crates.has(`${seg(m[1] ?? '')}@${seg(m[2] ?? '')}`);
      return known ? json(res, { version: {} }) : json(res, { errors: [{ detail: 'Not Found' }] }, 404);
    }
    if ((m = /^\/cargo\/static\/(.+)-([^-]+)\.html$/.exec(path))) {
      const html = crates.get(`${m[1] ?? ''}@${m[2] ?? ''}`);
      return typeof html === 'string' ? send(res, 200, html, { 'content-type': 'text/html' }) : send(res, 403);
    }
    // OCI distribution API with anonymous token auth.
    if (path === '/oci/token') {
      const repo = /^repository:(.+):pull$/.exec(url.searchParams.get('scope') ?? '')?.[1] ?? '';
      return privateRepos.has(repo) ? send(res, 401) : json(res, { token: `anon-${repo}` });
    }
    if (path.startsWith('/v2/')) return handleOci(req, res, path);
    if (path.startsWith('/cdn/')) {
      if (req.headers.authorization) return send(res, 400, 'signed URL must not carry Authorization');
      const blob = blobs.get(path.slice('/cdn/'.length));
      return blob ? send(res, 200, blob.body, { 'content-type': 'application/octet-stream' }) : send(res, 404);
    }
    // MCPB release assets.
    if (assets.has(path)) return send(res, 200, '', { 'content-type': 'application/octet-stream' });
    return send(res, 404);
  }

  const server = http.createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  cdnOrigin = `http://localhost:${port}`;

  return {
    origin,
    npmBase: `${origin}/npm`,
    pypiBase: `${origin}/pypi-index`,
    nugetIndex: `${origin}/nuget/v3/index.json`,
    cargoBase: `${origin}/cargo`,
    requests,
    addNpm: (name, version, doc) => void npm.set(`${name}@${version}`, { name, version, ...doc }),
    addPypi: (name, version, description) => void pypi.set(`${name}@${version}`, description),
    addNuget: (id, version, readme) => void nuget.set(`${id.toLowerCase()}@${version.toLowerCase()}`, readme),
    addCrate: (name, version, html) => void crates.set(`${name}@${version}`, html),
    addImage(repo, tag, image) {
      if (image.private) privateRepos.add(repo);
      if (!image.platforms) {
        tags.set(`${repo}:${tag}`, storeImage(image.labels));
        return;
      }
      const manifests = [
        // buildx adds attestation manifests with an unknown platform; a verifier must not pick them.
        {
          mediaType: OCI_MANIFEST,
          digest: storeImage(undefined),
          platform: { os: 'unknown', architecture: 'unknown' },
        },
        ...image.platforms.map(({ platform, labels }) => {
          const [os, architecture] = platform.split('/');
          return {
            mediaType: OCI_MANIFEST,
            digest: storeImage(labels ?? image.labels),
            platform: { os, architecture },
          };
        }),
      ];
      const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
      const digest = sha(index);
      blobs.set(digest, { body: index, type: OCI_INDEX });
      tags.set(`${repo}:${tag}`, digest);
    },
    addAsset: (path) => void assets.add(path),
    override: (method, path, status, body = '', headers = {}) =>
      void overrides.set(`${method} ${path}`, { status, body, headers }),
    hits: (prefix) => requests.filter((r) => r.path.startsWith(prefix)).length,
    reset() {
      for (const m of [npm, pypi, nuget, crates, tags, blobs]) m.clear();
      for (const s of [privateRepos, assets]) s.clear();
      overrides.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The digest the fake stores for a tag, for tests that reference images by digest. */
export function digestOf(fake: FakeRegistries, repo: string, tag: string): Promise<string> {
  return fetch(`${fake.origin}/oci/token?scope=repository:${repo}:pull`)
    .then((r) => r.json() as Promise<{ token: string }>)
    .then(({ token }) =>
      fetch(`${fake.origin}/v2/${repo}/manifests/${tag}`, { headers: { authorization: `Bearer ${token}` } }),
    )
    .then((r) => r.headers.get('docker-content-digest') ?? '');
}

/** Verifier options wired to the fake: every base URL and identifier host points at it. */
export function fakeVerifierOptions(fake: FakeRegistries): {
  baseUrls: { npm: string; pypi: string; nuget: string; cargo: string };
  originOverrides: Record<string, string>;
} {
  return {
    baseUrls: { npm: fake.npmBase, pypi: fake.pypiBase, nuget: fake.nugetIndex, cargo: fake.cargoBase },
    originOverrides: {
      'ghcr.io': fake.origin,
      'registry-1.docker.io': fake.origin,
      'quay.io': fake.origin,
      'github.com': fake.origin,
      'gitlab.com': fake.origin,
    },
  };
}
