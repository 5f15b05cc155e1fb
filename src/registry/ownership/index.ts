import type { OutboundClient } from '../../platform/net/outbound.js';
import { OFFICIAL_BASE_URLS, normalizeBaseUrl } from './common.js';
import { createCargoStrategy } from './cargo.js';
import { createMcpbStrategy } from './mcpb.js';
import { createNpmStrategy } from './npm.js';
import { createNugetStrategy } from './nuget.js';
import { DEFAULT_OCI_REGISTRIES, createOciStrategy } from './oci.js';
import { createPypiStrategy } from './pypi.js';
import type { RegistryStrategy, ServerToVerify, StrategyDeps } from './types.js';

export type { Package, RegistryStrategy, ServerToVerify, StrategyDeps } from './types.js';
export { OFFICIAL_BASE_URLS } from './common.js';
export { DEFAULT_OCI_REGISTRIES, OCI_LABEL } from './oci.js';
export { containsMcpNameToken } from './mcp-name.js';

export interface PackageVerifierOptions {
  /**
   * Off by default in Wharf (a private deployment often has no internet); the official registry runs with it on.
   * When false, `verify` accepts every package without looking at it.
   */
  enabled: boolean;
  /** The SSRF-guarded outbound client; its `allowPrivateNetworks` decides whether internal registries are reachable. */
  client: OutboundClient;
  /**
   * Registry base URLs (default: the official public ones). A package's `registryBaseUrl` must be empty or exactly
   * this value, so pointing `npm` at a local Verdaccio makes Wharf accept and verify packages published there.
   */
  baseUrls?: Partial<Record<keyof typeof OFFICIAL_BASE_URLS, string>>;
  /** Registry hosts accepted in OCI identifiers (default `DEFAULT_OCI_REGISTRIES`); `*.host` entries match subdomains. */
  ociRegistries?: readonly string[];
  /**
   * Host → origin to contact instead, for hosts named inside identifiers rather than configured: OCI registry API hosts
   * (`ghcr.io`, `registry-1.docker.io` for Docker Hub, …) and MCPB download hosts (`github.com`, `gitlab.com`). The
   * identifier is still judged as written; only where the request goes changes. Tests point these at a local fake;
   * deployments can point them at a pull-through mirror.
   *
   * @example { 'ghcr.io': 'http://127.0.0.1:5000', 'github.com': 'http://127.0.0.1:5000' }
   */
  originOverrides?: Readonly<Record<string, string>>;
  /** Per-request budget for npm, PyPI, NuGet, cargo and MCPB (default 10 s, as upstream). */
  timeoutMs?: number;
  /** Budget for one whole OCI verification (default 30 s, as upstream). */
  ociTimeoutMs?: number;
  /** Clock for the NuGet service-index cache (default `Date.now`). */
  now?: () => number;
  /** Extra strategies; one whose `registryType` is already handled replaces the built-in. */
  strategies?: readonly ((deps: StrategyDeps) => RegistryStrategy)[];
}

export interface PackageVerifier {
  /**
   * Checks every package of a server in order and resolves to the first failure, worded as the official registry
   * words it (`registry validation failed for package <i> (<identifier>): …`), or `null` when all pass.
   */
  verify(server: ServerToVerify): Promise<string | null>;
  /** The registry types this verifier knows, built-ins and extras. */
  readonly registryTypes: readonly string[];
}

/**
 * Builds the package ownership verifier used on publish and edit. Throws when a configured base URL is not an
 * http(s) URL.
 *
 * @example
 * const verifier = createPackageVerifier({ enabled: true, client, baseUrls: { npm: 'http://verdaccio:4873' } });
 * const problem = await verifier.verify({ name: 'io.github.acme/weather', packages: [{ registryType: 'npm', identifier: '@acme/weather', version: '1.0.0' }] });
 * // null, or "registry validation failed for package 0 (@acme/weather): NPM package '@acme/weather' is missing …"
 */
export function createPackageVerifier(options: PackageVerifierOptions): PackageVerifier {
  const base = (type: keyof typeof OFFICIAL_BASE_URLS): string => {
    const url = normalizeBaseUrl(options.baseUrls?.[type] ?? OFFICIAL_BASE_URLS[type]);
    // A typo in configuration should stop startup, not surface later as every publisher's problem.
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new Error(`invalid ${type} registry base URL: ${JSON.stringify(url)} (expected an http or https URL)`);
    }
    return url;
  };
  const overrides = new Map(Object.entries(options.originOverrides ?? {}).map(([h, o]) => [h.toLowerCase(), o]));
  const deps: StrategyDeps = {
    client: options.client,
    timeoutMs: options.timeoutMs ?? 10_000,
    originFor: (host) => overrides.get(host.toLowerCase()),
    now: options.now ?? Date.now,
  };

  const strategies = new Map<string, RegistryStrategy>();
  for (const strategy of [
    createNpmStrategy(deps, base('npm')),
    createPypiStrategy(deps, base('pypi')),
    createNugetStrategy(deps, base('nuget')),
    createOciStrategy(deps, {
      registries: options.ociRegistries ?? DEFAULT_OCI_REGISTRIES,
      timeoutMs: options.ociTimeoutMs ?? 30_000,
    }),
    createMcpbStrategy(deps),
    createCargoStrategy(deps, base('cargo')),
    ...(options.strategies ?? []).map((make) => make(deps)),
  ]) {
    strategies.set(strategy.registryType, strategy);
  }

  return {
    registryTypes: [...strategies.keys()],
    async verify(server) {
      if (!options.enabled) return null;
      for (const [i, pkg] of (server.packages ?? []).entries()) {
        const strategy = strategies.get(pkg.registryType);
        const failure = strategy
          ? await strategy.verify(pkg, server.name)
          : `unsupported registry type: ${pkg.registryType}`;
        if (failure !== null) return `registry validation failed for package ${i} (${pkg.identifier}): ${failure}`;
      }
      return null;
    },
  };
}
