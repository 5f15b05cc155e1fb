import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOutboundClient } from '../../../src/platform/net/index.js';
import type { Package } from '../../../src/registry/ownership/index.js';
import { SERVER_NAME as NAME, checker } from './check.js';
import { startFakeRegistries } from './fake-registries.js';
import type { FakeRegistries } from './fake-registries.js';

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

const check = (pkg: Package) => checker(fake, client)(pkg);

describe('npm', () => {
  const npm = (identifier: string, version?: string, extra: Partial<Package> = {}): Package => ({
    registryType: 'npm',
    identifier,
    ...(version ? { version } : {}),
    ...extra,
  });

  it('passes when the version document carries the server name as mcpName', async () => {
    fake.addNpm('weather', '1.2.0', { mcpName: NAME });
    expect(await check(npm('weather', '1.2.0'))).toBeNull();
    expect(fake.requests[0]?.headers['user-agent']).toBe('wharf-test');
  });

  it('escapes scoped names the way npm registries expect', async () => {
    fake.addNpm('@acme/weather', '1.0.0', { mcpName: NAME });
    expect(await check(npm('@acme/weather', '1.0.0'))).toBeNull();
    expect(fake.requests[0]?.path).toBe('/npm/@acme%2Fweather/1.0.0');
  });

  it('accepts registryBaseUrl equal to the configured registry', async () => {
    fake.addNpm('weather', '1.0.0', { mcpName: NAME });
    expect(await check(npm('weather', '1.0.0', { registryBaseUrl: fake.npmBase }))).toBeNull();
  });

  it.each([
    [npm('weather'), 'package version is required for NPM packages'],
    [npm('', '1.0.0'), 'package identifier is required for NPM packages'],
    [npm('weather', '1.0.0', { fileSha256: 'ab'.repeat(32) }), "NPM packages must not have 'fileSha256' field"],
  ])('applies the static rules (%#)', async (pkg, message) => {
    expect(await check(pkg)).toBe(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses another registry base URL, naming the expected one', async () => {
    expect(await check(npm('weather', '1.0.0', { registryBaseUrl: 'https://registry.npmjs.org' }))).toBe(
      `registry type and base URL do not match: 'https://registry.npmjs.org' is not valid for registry type 'npm'. Expected: ${fake.npmBase}`,
    );
  });

  it('names the missing mcpName and the fix', async () => {
    fake.addNpm('weather', '1.0.0', {});
    expect(await check(npm('weather', '1.0.0'))).toBe(
      `NPM package 'weather' is missing required 'mcpName' field. Add this to your package.json: "mcpName": "${NAME}"`,
    );
  });

  it('refuses a different mcpName', async () => {
    fake.addNpm('weather', '1.0.0', { mcpName: 'io.github.evil/weather' });
    expect(await check(npm('weather', '1.0.0'))).toBe(
      `NPM package ownership validation failed. Expected mcpName '${NAME}', got 'io.github.evil/weather'`,
    );
  });

  it('tells a missing package from a version that has not propagated yet', async () => {
    expect(await check(npm('ghost', '1.0.0'))).toBe("NPM package 'ghost' not found (status: 404)");
    fake.addNpm('weather', '1.0.0', { mcpName: NAME });
    expect(await check(npm('weather', '2.0.0'))).toBe(
      "NPM package 'weather' exists, but version '2.0.0' was not found (status: 404). A newly published release can take a moment to appear on the registry. Wait and retry, or publish version '2.0.0' before registering it",
    );
    fake.override('HEAD', '/npm/flaky', 503);
    expect(await check(npm('flaky', '1.0.0'))).toBe(
      "NPM could not confirm package 'flaky' version '1.0.0' (version status: 404, package check inconclusive). Likely transient, retry later",
    );
    fake.override('HEAD', '/npm/odd', 418);
    expect(await check(npm('odd', '1.0.0'))).toBe("NPM package 'odd' version '1.0.0' not found (status: 404)");
  });

  it.each([
    [429, "NPM rate-limited the metadata request for package 'weather' (status: 429). Likely transient, retry later"],
    [502, "NPM upstream error fetching metadata for package 'weather' (status: 502). Likely transient, retry later"],
    [401, "NPM package 'weather' metadata fetch failed (status: 401)"],
  ])('words status %i', async (status, message) => {
    fake.override('GET', '/npm/weather/1.0.0', status);
    expect(await check(npm('weather', '1.0.0'))).toBe(message);
  });

  it('reports unparseable metadata', async () => {
    fake.override('GET', '/npm/weather/1.0.0', 200, '{not json');
    expect(await check(npm('weather', '1.0.0'))).toMatch(/^failed to parse NPM package metadata: /);
  });
});

describe('pypi', () => {
  const pypi = (identifier: string, version?: string, extra: Partial<Package> = {}): Package => ({
    registryType: 'pypi',
    identifier,
    ...(version ? { version } : {}),
    ...extra,
  });

  it('passes when the README carries the mcp-name token, visible or in a comment', async () => {
    fake.addPypi('weather', '1.0', `# Weather\n\nmcp-name: ${NAME}\n`);
    fake.addPypi('weather', '1.1', `# Weather\n<!-- mcp-name: ${NAME} -->`);
    fake.addPypi('weather', '1.2', `# Weather\n<!-- mcp-name: ${NAME}-->`);
    for (const version of ['1.0', '1.1', '1.2']) expect(await check(pypi('weather', version))).toBeNull();
    expect(fake.requests[0]?.path).toBe('/pypi-index/pypi/weather/1.0/json');
  });

  it('does not accept a longer name that merely starts with the server name', async () => {
    fake.addPypi('weather', '1.0', `mcp-name: ${NAME}-pro\n`);
    expect(await check(pypi('weather', '1.0'))).toBe(
      `PyPI package 'weather' ownership validation failed: found 'mcp-name: ${NAME}' in the README, but it is immediately followed by "-" rather than a boundary. The token must be followed by a space, newline, an HTML tag, or a comment close ('-->') — put it on its own line and republish`,
    );
  });

  it('asks for the token when it is missing', async () => {
    fake.addPypi('weather', '1.0', '# Weather');
    expect(await check(pypi('weather', '1.0'))).toBe(
      `PyPI package 'weather' ownership validation failed. The server name '${NAME}' must appear as 'mcp-name: ${NAME}' in the package README`,
    );
  });

  it.each([
    [pypi('weather'), 'package version is required for PyPI packages'],
    [pypi('', '1.0'), 'package identifier is required for PyPI packages'],
    [
      pypi('weather', '1.0', { fileSha256: 'ab'.repeat(32) }),
      "PyPI packages must not have 'fileSha256' field - this is only for MCPB packages",
    ],
    [
      pypi('weather', '1.0', { registryBaseUrl: 'https://pypi.org' }),
      "registry type and base URL do not match: 'https://pypi.org' is not valid for registry type 'pypi'. Expected: ",
    ],
  ])('applies the static rules (%#)', async (pkg, message) => {
    expect(await check(pkg)).toContain(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('tells a missing package from a missing version', async () => {
    expect(await check(pypi('ghost', '1.0'))).toBe("PyPI package 'ghost' not found (status: 404)");
    fake.addPypi('weather', '1.0', `mcp-name: ${NAME}`);
    expect(await check(pypi('weather', '9.9'))).toBe(
      "PyPI package 'weather' exists, but version '9.9' was not found (status: 404). A newly published release can take a moment to appear on PyPI. Wait and retry, or publish version '9.9' before registering it",
    );
  });

  it('words rate limits and upstream errors as transient', async () => {
    fake.override('GET', '/pypi-index/pypi/weather/1.0/json', 429);
    expect(await check(pypi('weather', '1.0'))).toBe(
      "PyPI rate-limited the metadata request for package 'weather' (status: 429). Likely transient, retry later",
    );
    fake.override('GET', '/pypi-index/pypi/weather/1.0/json', 500);
    expect(await check(pypi('weather', '1.0'))).toBe(
      "PyPI upstream error fetching metadata for package 'weather' (status: 500). Likely transient, retry later",
    );
  });
});
