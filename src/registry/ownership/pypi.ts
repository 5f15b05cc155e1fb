import { baseUrlMismatch, parseJson, pathEscape, pick, probePackage, quote, tryFetch } from './common.js';
import { containsMcpNameToken, gluedTrailingChar } from './mcp-name.js';
import type { RegistryStrategy, StrategyDeps } from './types.js';

/** Version JSON embeds the whole README; generous, but still bounded. */
const MAX_METADATA_BYTES = 10 * 1024 * 1024;

/**
 * PyPI: the long description (the README) of that exact release must contain `mcp-name: <server name>`.
 * Any index that serves PyPI's JSON API (`/pypi/<name>/<version>/json`, e.g. devpi) can be configured as the base URL.
 */
export function createPypiStrategy(deps: StrategyDeps, baseUrl: string): RegistryStrategy {
  async function statusFailure(id: string, version: string, status: number): Promise<string> {
    if (status === 429) {
      return `PyPI rate-limited the metadata request for package '${id}' (status: 429). Likely transient, retry later`;
    }
    if (status >= 500 && status < 600) {
      return `PyPI upstream error fetching metadata for package '${id}' (status: ${status}). Likely transient, retry later`;
    }
    if (status !== 404) return `PyPI package '${id}' metadata fetch failed (status: ${status})`;
    switch (await probePackage(deps, `${baseUrl}/pypi/${pathEscape(id)}/json`)) {
      case 'exists':
        return (
          `PyPI package '${id}' exists, but version '${version}' was not found (status: 404). A newly published release ` +
          `can take a moment to appear on PyPI. Wait and retry, or publish version '${version}' before registering it`
        );
      case 'missing':
        return `PyPI package '${id}' not found (status: 404)`;
      case 'transient':
        return `PyPI could not confirm package '${id}' version '${version}' (version status: 404, package check inconclusive). Likely transient, retry later`;
      default:
        return `PyPI package '${id}' version '${version}' not found (status: 404)`;
    }
  }

  return {
    registryType: 'pypi',
    async verify(pkg, serverName) {
      const { identifier: id, version } = pkg;
      if (!id) return 'package identifier is required for PyPI packages';
      if (!version) return 'package version is required for PyPI packages';
      if (pkg.fileSha256) return "PyPI packages must not have 'fileSha256' field - this is only for MCPB packages";
      if (pkg.registryBaseUrl && pkg.registryBaseUrl !== baseUrl) {
        return baseUrlMismatch(pkg.registryBaseUrl, 'pypi', baseUrl);
      }

      const outcome = await tryFetch(deps, `${baseUrl}/pypi/${pathEscape(id)}/${pathEscape(version)}/json`, {
        headers: { accept: 'application/json' },
        maxBytes: MAX_METADATA_BYTES,
      });
      if (!outcome.ok) return `failed to fetch package metadata from PyPI: ${outcome.error}`;
      if (outcome.res.status !== 200) return statusFailure(id, version, outcome.res.status);
      const body = parseJson(outcome.res);
      if (!body.ok) return `failed to parse PyPI package metadata: ${body.error}`;
      const description = pick(body.value, 'info', 'description');
      const readme = typeof description === 'string' ? description : '';

      if (containsMcpNameToken(readme, serverName)) return null;
      const glued = gluedTrailingChar(readme, serverName);
      if (glued !== undefined) {
        return (
          `PyPI package '${id}' ownership validation failed: found 'mcp-name: ${serverName}' in the README, but it is ` +
          `immediately followed by ${quote(glued)} rather than a boundary. The token must be followed by a space, ` +
          `newline, an HTML tag, or a comment close ('-->') — put it on its own line and republish`
        );
      }
      return `PyPI package '${id}' ownership validation failed. The server name '${serverName}' must appear as 'mcp-name: ${serverName}' in the package README`;
    },
  };
}
