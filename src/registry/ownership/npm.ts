import { baseUrlMismatch, parseJson, pathEscape, pick, probePackage, tryFetch } from './common.js';
import type { Package, RegistryStrategy, StrategyDeps } from './types.js';

/**
 * npm: the `package.json` published for that exact version must carry `"mcpName": "<server name>"`.
 * Works against any npm-compatible registry (Verdaccio, Artifactory, GitHub Packages) configured as the base URL.
 */
export function createNpmStrategy(deps: StrategyDeps, baseUrl: string): RegistryStrategy {
  async function statusFailure(pkg: Package, version: string, status: number): Promise<string> {
    const id = pkg.identifier;
    if (status === 429) {
      return `NPM rate-limited the metadata request for package '${id}' (status: 429). Likely transient, retry later`;
    }
    if (status >= 500 && status < 600) {
      return `NPM upstream error fetching metadata for package '${id}' (status: ${status}). Likely transient, retry later`;
    }
    if (status !== 404) return `NPM package '${id}' metadata fetch failed (status: ${status})`;
    switch (await probePackage(deps, `${baseUrl}/${pathEscape(id)}`)) {
      case 'exists':
        return (
          `NPM package '${id}' exists, but version '${version}' was not found (status: 404). A newly published release ` +
          `can take a moment to appear on the registry. Wait and retry, or publish version '${version}' before registering it`
        );
      case 'missing':
        return `NPM package '${id}' not found (status: 404)`;
      case 'transient':
        return `NPM could not confirm package '${id}' version '${version}' (version status: 404, package check inconclusive). Likely transient, retry later`;
      default:
        return `NPM package '${id}' version '${version}' not found (status: 404)`;
    }
  }

  return {
    registryType: 'npm',
    async verify(pkg, serverName) {
      const { identifier: id, version } = pkg;
      if (!id) return 'package identifier is required for NPM packages';
      // Without a version the registry returns the whole packument, whose top-level mcpName may belong to another release.
      if (!version) return 'package version is required for NPM packages';
      if (pkg.fileSha256) return "NPM packages must not have 'fileSha256' field";
      if (pkg.registryBaseUrl && pkg.registryBaseUrl !== baseUrl) {
        return baseUrlMismatch(pkg.registryBaseUrl, 'npm', baseUrl);
      }

      const outcome = await tryFetch(deps, `${baseUrl}/${pathEscape(id)}/${pathEscape(version)}`, {
        headers: { accept: 'application/json' },
      });
      if (!outcome.ok) return `failed to fetch package metadata from NPM: ${outcome.error}`;
      if (outcome.res.status !== 200) return statusFailure(pkg, version, outcome.res.status);
      const body = parseJson(outcome.res);
      if (!body.ok) return `failed to parse NPM package metadata: ${body.error}`;
      const mcpName = pick(body.value, 'mcpName') ?? '';
      if (typeof mcpName !== 'string') return 'failed to parse NPM package metadata: mcpName is not a string';

      if (mcpName === '') {
        return `NPM package '${id}' is missing required 'mcpName' field. Add this to your package.json: "mcpName": "${serverName}"`;
      }
      if (mcpName !== serverName) {
        return `NPM package ownership validation failed. Expected mcpName '${serverName}', got '${mcpName}'`;
      }
      return null;
    },
  };
}
