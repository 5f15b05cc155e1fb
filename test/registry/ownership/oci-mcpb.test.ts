import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOutboundClient } from '../../../src/platform/net/index.js';
import type { Package } from '../../../src/registry/ownership/index.js';
import { parseOciReference } from '../../../src/registry/ownership/oci-reference.js';
import { SERVER_NAME as NAME, checker } from './check.js';
import { digestOf, startFakeRegistries } from './fake-registries.js';
import type { FakeRegistries } from './fake-registries.js';

let fake: FakeRegistries;
const client = createOutboundClient({ allowPrivateNetworks: true, userAgent: 'wharf-test', timeoutMs: 5_000 });
const LABEL = { 'io.modelcontextprotocol.server.name': NAME };
const SHA = 'ab'.repeat(32);

beforeAll(async () => {
  fake = await startFakeRegistries();
});
afterAll(async () => {
  await fake.close();
  await client.close();
});
beforeEach(() => fake.reset());

describe('parseOciReference', () => {
  it.each([
    ['ghcr.io/acme/weather:1.2.0', { registry: 'ghcr.io', repository: 'acme/weather', reference: '1.2.0' }],
    ['acme/weather:1.0', { registry: 'docker.io', repository: 'acme/weather', reference: '1.0' }],
    ['postgres', { registry: 'docker.io', repository: 'library/postgres', reference: 'latest' }],
    ['localhost:5000/team/img', { registry: 'localhost:5000', repository: 'team/img', reference: 'latest' }],
    ['quay.io/a/b/c:v1', { registry: 'quay.io', repository: 'a/b/c', reference: 'v1' }],
  ])('parses %s', (input, expected) => {
    expect(parseOciReference(input)).toEqual(expected);
  });

  it('prefers the digest when both a tag and a digest are given', () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    expect(parseOciReference(`ghcr.io/acme/weather:1.0@${digest}`)).toEqual({
      registry: 'ghcr.io',
      repository: 'acme/weather',
      reference: digest,
      digest,
    });
  });

  it.each(['ghcr.io/Acme/Weather:1', 'ghcr.io/acme/weather:bad tag', 'ghcr.io/acme/weather@sha256:xyz', ''])(
    'refuses %j',
    (input) => {
      expect(parseOciReference(input)).toHaveProperty('error');
    },
  );
});

describe('oci', () => {
  const oci = (identifier: string, extra: Partial<Package> = {}): Package => ({
    registryType: 'oci',
    identifier,
    ...extra,
  });
  const check = (pkg: Package, ociTimeoutMs?: number) =>
    checker(fake, client, ociTimeoutMs ? { ociTimeoutMs } : {})(pkg);

  it('reads the label through the anonymous token flow, blob via a CDN that must not see the token', async () => {
    fake.addImage('acme/weather', '1.0.0', { labels: LABEL });
    expect(await check(oci('ghcr.io/acme/weather:1.0.0'))).toBeNull();
    const paths = fake.requests.map((r) => r.path.replace(/sha256:\w+/, 'sha256:…'));
    expect(paths).toEqual([
      '/v2/acme/weather/manifests/1.0.0',
      '/oci/token?service=fake-registry&scope=repository%3Aacme%2Fweather%3Apull',
      '/v2/acme/weather/manifests/1.0.0',
      '/v2/acme/weather/blobs/sha256:…',
      '/cdn/sha256:…',
    ]);
  });

  it('resolves Docker Hub short names to the library/ or user repository on the Hub API host', async () => {
    fake.addImage('acme/weather', '2.0', { labels: LABEL });
    expect(await check(oci('acme/weather:2.0'))).toBeNull();
    expect(await check(oci('docker.io/acme/weather:2.0'))).toBeNull();
  });

  it('fetches by digest and checks the content against it', async () => {
    fake.addImage('acme/weather', '1.0.0', { labels: LABEL });
    const digest = await digestOf(fake, 'acme/weather', '1.0.0');
    expect(await check(oci(`ghcr.io/acme/weather@${digest}`))).toBeNull();
  });

  it('picks linux/amd64 from a multi-arch index, skipping attestations', async () => {
    fake.addImage('acme/weather', 'multi', {
      platforms: [
        { platform: 'linux/arm64', labels: { 'io.modelcontextprotocol.server.name': 'io.github.other/x' } },
        { platform: 'linux/amd64', labels: LABEL },
      ],
    });
    expect(await check(oci('ghcr.io/acme/weather:multi'))).toBeNull();
    fake.addImage('acme/weather', 'arm-only', { platforms: [{ platform: 'linux/arm64', labels: LABEL }] });
    expect(await check(oci('ghcr.io/acme/weather:arm-only'))).toBeNull();
  });

  it('asks for the label, or names the wrong one', async () => {
    fake.addImage('acme/weather', 'plain', {});
    expect(await check(oci('ghcr.io/acme/weather:plain'))).toBe(
      `OCI image 'ghcr.io/acme/weather:plain' is missing required annotation. Add this to your Dockerfile: LABEL io.modelcontextprotocol.server.name="${NAME}"`,
    );
    fake.addImage('acme/weather', 'other', { labels: { 'io.modelcontextprotocol.server.name': 'io.github.evil/x' } });
    expect(await check(oci('ghcr.io/acme/weather:other'))).toBe(
      `OCI image ownership validation failed. Expected annotation 'io.modelcontextprotocol.server.name' = '${NAME}', got 'io.github.evil/x'`,
    );
  });

  it('words missing, private and rate-limited images; 429 fails closed', async () => {
    expect(await check(oci('ghcr.io/acme/ghost:1'))).toBe(
      "OCI image 'ghcr.io/acme/ghost:1' does not exist in the registry",
    );
    fake.addImage('acme/secret', '1', { labels: LABEL, private: true });
    expect(await check(oci('ghcr.io/acme/secret:1'))).toBe(
      "OCI image 'ghcr.io/acme/secret:1' is private or requires authentication. Only public images are supported",
    );
    fake.override('GET', '/v2/acme/busy/manifests/1', 429);
    expect(await check(oci('ghcr.io/acme/busy:1'))).toBe(
      "OCI image 'ghcr.io/acme/busy:1' could not be verified because the registry is rate limiting requests (status: 429). Retry later",
    );
    fake.override('GET', '/v2/acme/broken/manifests/1', 500);
    expect(await check(oci('ghcr.io/acme/broken:1'))).toBe(
      'failed to fetch OCI image: unexpected status 500 from ghcr.io',
    );
  });

  it('gives up after the OCI time budget', async () => {
    fake.override('GET', '/v2/acme/slow/manifests/1', 0);
    expect(await check(oci('ghcr.io/acme/slow:1'), 300)).toBe(
      "OCI image validation timed out after 0.3 seconds for 'ghcr.io/acme/slow:1'. The registry may be slow or unreachable",
    );
  });

  it.each([
    [
      oci('ghcr.io/acme/weather:1', { registryBaseUrl: 'https://ghcr.io' }),
      "OCI packages must not have 'registryBaseUrl' field - use canonical reference in 'identifier' instead (e.g., 'docker.io/owner/image:1.0.0')",
    ],
    [
      oci('ghcr.io/acme/weather', { version: '1.0.0' }),
      "OCI packages must not have 'version' field - include version in 'identifier' instead (e.g., 'docker.io/owner/image:1.0.0')",
    ],
    [oci('ghcr.io/acme/weather:1', { fileSha256: SHA }), "OCI packages must not have 'fileSha256' field"],
    [oci(''), 'package identifier is required for OCI packages'],
    [oci('registry.example.com/acme/weather:1'), 'unsupported OCI registry: registry.example.com'],
    [oci('ghcr.io/Acme/Weather:1'), 'invalid OCI reference: could not parse reference: ghcr.io/Acme/Weather:1'],
  ])('applies the static rules (%#)', async (pkg, message) => {
    expect(await check(pkg)).toContain(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('accepts wildcard registries and an overridden allow-list', async () => {
    fake.addImage('proj/repo/weather', '1', { labels: LABEL });
    const custom = checker(fake, client, {
      ociRegistries: ['registry.internal:5000', '*.pkg.dev'],
      originOverrides: { 'registry.internal:5000': fake.origin, 'us-docker.pkg.dev': fake.origin },
    });
    expect(await custom(oci('registry.internal:5000/proj/repo/weather:1'))).toBeNull();
    expect(await custom(oci('us-docker.pkg.dev/proj/repo/weather:1'))).toBeNull();
    expect(await custom(oci('ghcr.io/proj/repo/weather:1'))).toBe('unsupported OCI registry: ghcr.io');
  });
});

describe('mcpb', () => {
  const mcpb = (identifier: string, extra: Partial<Package> = {}): Package => ({
    registryType: 'mcpb',
    identifier,
    fileSha256: SHA,
    ...extra,
  });
  const check = (pkg: Package) => checker(fake, client)(pkg);
  const GITHUB_ASSET = '/acme/weather-mcp/releases/download/v1.0.0/weather.mcpb';

  it('passes a reachable GitHub or GitLab release asset (HEAD 200)', async () => {
    fake.addAsset(GITHUB_ASSET);
    fake.addAsset('/group/sub/mcp-tools/-/releases/v2/downloads/tool.mcpb');
    fake.addAsset('/group/mcp-tools/-/package_files/123/download');
    expect(await check(mcpb(`https://github.com${GITHUB_ASSET}`))).toBeNull();
    expect(await check(mcpb('https://gitlab.com/group/sub/mcp-tools/-/releases/v2/downloads/tool.mcpb'))).toBeNull();
    expect(await check(mcpb('https://gitlab.com/group/mcp-tools/-/package_files/123/download'))).toBeNull();
    expect(fake.requests.every((r) => r.method === 'HEAD')).toBe(true);
  });

  it('follows the download redirect GitHub answers with', async () => {
    fake.addAsset('/objects/weather.mcpb');
    fake.override('HEAD', GITHUB_ASSET, 302, '', { location: '/objects/weather.mcpb' });
    expect(await check(mcpb(`https://github.com${GITHUB_ASSET}`))).toBeNull();
  });

  it('reports an unreachable asset', async () => {
    expect(await check(mcpb(`https://github.com${GITHUB_ASSET}`))).toBe(
      `MCPB package 'https://github.com${GITHUB_ASSET}' is not publicly accessible (status: 404)`,
    );
  });

  it.each([
    [
      mcpb(`https://github.com${GITHUB_ASSET}`, { fileSha256: undefined }),
      'must include a fileSha256 hash for integrity verification',
    ],
    [
      mcpb(`https://github.com${GITHUB_ASSET}`, { registryBaseUrl: 'https://github.com' }),
      "MCPB packages must not have 'registryBaseUrl' field - use the full download URL in 'identifier' instead",
    ],
    [
      mcpb('https://example.com/mcp/weather.mcpb'),
      "MCPB packages must be hosted on allowlisted providers (GitHub or GitLab). Host 'example.com' is not allowed",
    ],
    [
      mcpb('https://github.com/acme/weather-mcp/archive/main.zip'),
      "GitHub MCPB packages must be release assets following the pattern '/owner/repo/releases/download/tag/filename'",
    ],
    [
      mcpb('https://gitlab.com/acme/weather-mcp/-/raw/main/x.mcpb'),
      "GitLab MCPB packages must be release assets following patterns '/owner/repo/-/releases/tag/downloads/filename' or '/owner/repo/-/package_files/id/download'",
    ],
    [
      mcpb(`http://github.com${GITHUB_ASSET}`),
      `invalid MCPB package URL, must use HTTPS: http://github.com${GITHUB_ASSET}`,
    ],
    [
      mcpb('https://github.com/acme/weather/releases/download/v1/weather.zip'),
      "MCPB package URL must contain 'mcp': https://github.com/acme/weather/releases/download/v1/weather.zip",
    ],
    [mcpb('not a url'), 'invalid MCPB package URL: '],
  ])('applies the URL rules (%#)', async (pkg, message) => {
    expect(await check(pkg)).toContain(message);
    expect(fake.requests).toHaveLength(0);
  });
});
