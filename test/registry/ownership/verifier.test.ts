import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOutboundClient } from '../../../src/platform/net/index.js';
import { createPackageVerifier } from '../../../src/registry/ownership/index.js';
import type { PackageVerifierOptions } from '../../../src/registry/ownership/index.js';
import { fakeVerifierOptions, startFakeRegistries } from './fake-registries.js';
import type { FakeRegistries } from './fake-registries.js';

const NAME = 'io.github.acme/weather';
let fake: FakeRegistries;
const client = createOutboundClient({ allowPrivateNetworks: true, userAgent: 'wharf-test', timeoutMs: 5_000 });

beforeAll(async () => {
  fake = await startFakeRegistries();
});
afterAll(async () => {
  await fake.close();
  await client.close();
});
beforeEach(() => fake.reset());

function verifier(overrides: Partial<PackageVerifierOptions> = {}) {
  return createPackageVerifier({ enabled: true, client, ...fakeVerifierOptions(fake), ...overrides });
}

describe('createPackageVerifier', () => {
  it('passes everything without a request when disabled', async () => {
    const v = verifier({ enabled: false });
    const packages = [
      { registryType: 'go', identifier: 'example.com/x' },
      { registryType: 'npm', identifier: 'nope' },
    ];
    expect(await v.verify({ name: NAME, packages })).toBeNull();
    expect(fake.requests).toHaveLength(0);
  });

  it('passes a server without packages', async () => {
    expect(await verifier().verify({ name: NAME })).toBeNull();
    expect(await verifier().verify({ name: NAME, packages: [] })).toBeNull();
  });

  it('refuses unknown registry types in the official wording', async () => {
    const problem = await verifier().verify({
      name: NAME,
      packages: [{ registryType: 'go', identifier: 'example.com/acme/weather', version: 'v1.0.0' }],
    });
    expect(problem).toBe(
      'registry validation failed for package 0 (example.com/acme/weather): unsupported registry type: go',
    );
  });

  it('reports the first failing package with its index and stops there', async () => {
    fake.addNpm('weather', '1.0.0', { mcpName: NAME });
    const problem = await verifier().verify({
      name: NAME,
      packages: [
        { registryType: 'npm', identifier: 'weather', version: '1.0.0' },
        { registryType: 'npm', identifier: 'ghost', version: '1.0.0' },
        { registryType: 'go', identifier: 'never-checked' },
      ],
    });
    expect(problem).toBe(
      "registry validation failed for package 1 (ghost): NPM package 'ghost' not found (status: 404)",
    );
  });

  it('keeps user-supplied registries off private networks unless allowed', async () => {
    const guarded = createOutboundClient({ allowPrivateNetworks: false, userAgent: 'wharf-test', timeoutMs: 5_000 });
    try {
      const problem = await verifier({ client: guarded }).verify({
        name: NAME,
        packages: [{ registryType: 'npm', identifier: 'weather', version: '1.0.0' }],
      });
      expect(problem).toMatch(
        /^registry validation failed for package 0 \(weather\): failed to fetch package metadata from NPM: refusing to connect to 127\.0\.0\.1: it is a loopback address\. .*WHARF_ALLOW_PRIVATE_NETWORKS=true/,
      );
      expect(fake.requests).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });

  it('defaults to the official public registries', async () => {
    const v = createPackageVerifier({ enabled: true, client });
    const problem = await v.verify({
      name: NAME,
      packages: [{ registryType: 'pypi', identifier: 'weather', version: '1.0', registryBaseUrl: fake.pypiBase }],
    });
    expect(problem).toBe(
      `registry validation failed for package 0 (weather): registry type and base URL do not match: '${fake.pypiBase}' is not valid for registry type 'pypi'. Expected: https://pypi.org`,
    );
    expect(v.registryTypes).toEqual(['npm', 'pypi', 'nuget', 'oci', 'mcpb', 'cargo']);
  });

  it('refuses an invalid configured base URL at construction', () => {
    expect(() => verifier({ baseUrls: { npm: 'verdaccio:4873' } })).toThrow(
      'invalid npm registry base URL: "verdaccio:4873" (expected an http or https URL)',
    );
  });

  it('treats a configured base with a trailing slash as the same registry', async () => {
    fake.addNpm('weather', '1.0.0', { mcpName: NAME });
    const problem = await verifier({ baseUrls: { npm: `${fake.npmBase}/` } }).verify({
      name: NAME,
      packages: [{ registryType: 'npm', identifier: 'weather', version: '1.0.0', registryBaseUrl: fake.npmBase }],
    });
    expect(problem).toBeNull();
  });

  it('accepts extra strategies and lets them replace built-ins', async () => {
    const v = verifier({
      strategies: [
        () => ({ registryType: 'go', verify: async (pkg) => (pkg.version ? null : 'version required for Go modules') }),
        () => ({ registryType: 'npm', verify: async () => null }),
      ],
    });
    expect(v.registryTypes).toContain('go');
    expect(
      await v.verify({
        name: NAME,
        packages: [
          { registryType: 'npm', identifier: 'anything' },
          { registryType: 'go', identifier: 'example.com/m', version: 'v1.0.0' },
        ],
      }),
    ).toBeNull();
    expect(await v.verify({ name: NAME, packages: [{ registryType: 'go', identifier: 'example.com/m' }] })).toBe(
      'registry validation failed for package 0 (example.com/m): version required for Go modules',
    );
  });
});
