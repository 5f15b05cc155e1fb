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

describe('nuget', () => {
  const nuget = (identifier: string, version?: string, extra: Partial<Package> = {}): Package => ({
    registryType: 'nuget',
    identifier,
    ...(version ? { version } : {}),
    ...extra,
  });
  const check = (pkg: Package) => checker(fake, client)(pkg);

  it('passes when the embedded README carries the token, matching id case-insensitively', async () => {
    fake.addNuget('Acme.Weather', '1.0.0', `# Acme.Weather\n\n<!-- mcp-name: ${NAME} -->\n`);
    expect(await check(nuget('Acme.Weather', '1.0.0'))).toBeNull();
    expect(fake.requests.map((r) => r.path)).toEqual(['/nuget/v3/index.json', '/nuget/readme/acme.weather/1.0.0']);
  });

  it('strips SemVer build metadata before building the README URL', async () => {
    fake.addNuget('Acme.Weather', '1.0.0', `mcp-name: ${NAME}`);
    expect(await check(nuget('Acme.Weather', '1.0.0+sha.abc'))).toBeNull();
  });

  it('caches the service index for an hour', async () => {
    let now = 1_000_000;
    const verify = checker(fake, client, { now: () => now });
    fake.addNuget('Acme.Weather', '1.0.0', `mcp-name: ${NAME}`);
    await verify(nuget('Acme.Weather', '1.0.0'));
    await verify(nuget('Acme.Weather', '1.0.0'));
    expect(fake.hits('/nuget/v3/index.json')).toBe(1);
    now += 60 * 60 * 1000;
    await verify(nuget('Acme.Weather', '1.0.0'));
    expect(fake.hits('/nuget/v3/index.json')).toBe(2);
  });

  it('does not cache a failed service index', async () => {
    const verify = checker(fake, client);
    fake.override('GET', '/nuget/v3/index.json', 503);
    expect(await verify(nuget('Acme.Weather', '1.0.0'))).toBe('NuGet service index returned status 503');
    fake.reset();
    fake.addNuget('Acme.Weather', '1.0.0', `mcp-name: ${NAME}`);
    expect(await verify(nuget('Acme.Weather', '1.0.0'))).toBeNull();
  });

  it('asks for the token in the README', async () => {
    fake.addNuget('Acme.Weather', '1.0.0', '# no token');
    expect(await check(nuget('Acme.Weather', '1.0.0'))).toBe(
      `NuGet package 'Acme.Weather' ownership validation for version 1.0.0 failed. The server name '${NAME}' must appear as 'mcp-name: ${NAME}' in the package README. Add it to your README and publish a new package version`,
    );
    fake.addNuget('Acme.Weather', '1.0.1', `mcp-name: ${NAME}2`);
    expect(await check(nuget('Acme.Weather', '1.0.1'))).toMatch(
      /^NuGet package 'Acme.Weather' ownership validation for version 1.0.1 failed: found 'mcp-name: io.github.acme\/weather' in the README, but it is immediately followed by another character/,
    );
  });

  it('explains a missing README: no package, no version, or no README', async () => {
    expect(await check(nuget('Ghost', '1.0.0'))).toBe(
      "NuGet package 'Ghost' does not exist in the registry. If you recently published the package for the first time, wait for validation to complete",
    );
    fake.addNuget('Acme.Weather', '1.0.0', null);
    expect(await check(nuget('Acme.Weather', '2.0.0'))).toBe(
      "NuGet package 'Acme.Weather' exists but version 2.0.0 does not exist in the registry. If you recently published the version, wait for validation to complete",
    );
    expect(await check(nuget('Acme.Weather', '1.0.0'))).toBe(
      "NuGet package 'Acme.Weather' ownership validation for version 1.0.0 failed because it does not have an embedded README. Add one to your package and publish a new version",
    );
  });

  it('refuses a README redirect to another host', async () => {
    fake.override('GET', '/nuget/readme/acme.weather/1.0.0', 302, '', {
      location: `${fake.origin.replace('127.0.0.1', 'localhost')}/elsewhere`,
    });
    expect(await check(nuget('Acme.Weather', '1.0.0'))).toMatch(
      /^failed to fetch NuGet README: refusing redirect to unexpected URL "http:\/\/localhost:\d+\/elsewhere"$/,
    );
  });

  it.each([
    [nuget('', '1.0.0'), 'package identifier is required for NuGet packages'],
    [
      nuget('Acme.Weather', '1.0.0', { fileSha256: 'ab'.repeat(32) }),
      "NuGet packages must not have 'fileSha256' field - this is only for MCPB packages",
    ],
    [
      nuget('Acme.Weather', '1.0.0', { registryBaseUrl: 'https://api.nuget.org/v3/index.json' }),
      "registry type and base URL do not match: 'https://api.nuget.org/v3/index.json' is not valid for registry type 'nuget'. Expected: ",
    ],
    [nuget('Acme.Weather'), 'package version is required for NuGet packages'],
  ])('applies the static rules (%#)', async (pkg, message) => {
    expect(await check(pkg)).toContain(message);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('cargo', () => {
  const crate = (identifier: string, version?: string, extra: Partial<Package> = {}): Package => ({
    registryType: 'cargo',
    identifier,
    ...(version ? { version } : {}),
    ...extra,
  });
  const check = (pkg: Package) => checker(fake, client)(pkg);

  it('follows the readme pointer and finds the visible token', async () => {
    fake.addCrate('weather', '0.3.1', `<h1>weather</h1>\n<p>mcp-name: ${NAME}</p>`);
    expect(await check(crate('weather', '0.3.1'))).toBeNull();
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/cargo/api/v1/crates/weather/0.3.1/readme',
      '/cargo/static/weather-0.3.1.html',
    ]);
  });

  it('asks for the token, or explains why a visible one did not count', async () => {
    fake.addCrate('weather', '0.3.1', '<p>nothing here</p>');
    expect(await check(crate('weather', '0.3.1'))).toBe(
      `cargo package 'weather' version '0.3.1' ownership validation failed. The server name '${NAME}' must appear as 'mcp-name: ${NAME}' in the package README`,
    );
    fake.addCrate('weather', '0.3.2', `<p>mcp-name: ${NAME}.rs</p>`);
    expect(await check(crate('weather', '0.3.2'))).toMatch(/is immediately followed by "\." rather than a boundary/);
  });

  it('tells a missing version from a crate without README when the CDN answers 403', async () => {
    expect(await check(crate('ghost', '1.0.0'))).toBe("cargo package 'ghost' version '1.0.0' not found on crates.io");
    fake.addCrate('weather', '0.3.1', null);
    expect(await check(crate('weather', '0.3.1'))).toBe(
      `cargo package 'weather' version '0.3.1' exists on crates.io, but its rendered README could not be retrieved (status: 403). If it has no README, add one containing 'mcp-name: ${NAME}' and publish a new version`,
    );
  });

  it('refuses a README pointer to another host', async () => {
    const elsewhere = `${fake.origin.replace('127.0.0.1', 'localhost')}/steal`;
    fake.override('GET', '/cargo/api/v1/crates/weather/0.3.1/readme', 200, JSON.stringify({ url: elsewhere }));
    expect(await check(crate('weather', '0.3.1'))).toBe(
      `cargo package 'weather': crates.io returned a README URL on an unexpected host/scheme "${elsewhere}" — refusing to fetch`,
    );
  });

  it.each([
    [200, '{}', "cargo package 'weather' metadata response missing 'url' field"],
    [
      429,
      '',
      "crates.io rate-limited the metadata request for cargo package 'weather' (status: 429) — likely transient, retry later",
    ],
    [
      503,
      '',
      "crates.io upstream error fetching metadata for cargo package 'weather' (status: 503) — likely transient, retry later",
    ],
    [404, '', "cargo package 'weather' metadata fetch failed (status: 404)"],
  ])('words metadata answer %i', async (status, body, message) => {
    fake.override('GET', '/cargo/api/v1/crates/weather/0.3.1/readme', status, body);
    expect(await check(crate('weather', '0.3.1'))).toBe(message);
  });

  it.each([
    [crate('weather'), 'package version is required for Cargo packages'],
    [
      crate('weather', '1.0.0', { fileSha256: 'ab'.repeat(32) }),
      "cargo packages must not have 'fileSha256' field - this is only for MCPB packages",
    ],
    [
      crate('weather', '1.0.0', { registryBaseUrl: 'https://crates.io' }),
      "registry type and base URL do not match: 'https://crates.io' is not valid for registry type 'cargo'. Expected: ",
    ],
  ])('applies the static rules (%#)', async (pkg, message) => {
    expect(await check(pkg)).toContain(message);
    expect(fake.requests).toHaveLength(0);
  });
});
