import { tryFetch } from './common.js';
import type { RegistryStrategy, StrategyDeps } from './types.js';

const GITHUB_HOSTS = new Set(['github.com', 'www.github.com']);
const GITLAB_HOSTS = new Set(['gitlab.com', 'www.gitlab.com']);
const GITHUB_RELEASE_ASSET =
  /^\/([a-zA-Z0-9]([a-zA-Z0-9-]{0,37}[a-zA-Z0-9])?)\/([a-zA-Z0-9._-]+)\/releases\/download\/([^/]+)\/([^/]+)$/;
const GITLAB_RELEASE_ASSET = /^\/([a-zA-Z0-9._-]+(?:\/[a-zA-Z0-9._-]+)*)\/-\/releases\/([^/]+)\/downloads\/([^/]+)$/;
const GITLAB_PACKAGE_FILE = /^\/([a-zA-Z0-9._-]+(?:\/[a-zA-Z0-9._-]+)*)\/-\/package_files\/([0-9]+)\/download$/;

/**
 * MCPB bundles: the identifier is the download URL of a release asset on GitHub or GitLab, so publishing it is the
 * ownership proof. The file must be publicly reachable (`HEAD` → 200); its `fileSha256` is required but checked by
 * clients at install time, not here.
 */
export function createMcpbStrategy(deps: StrategyDeps): RegistryStrategy {
  return {
    registryType: 'mcpb',
    async verify(pkg) {
      const id = pkg.identifier;
      if (!pkg.fileSha256) return 'must include a fileSha256 hash for integrity verification';
      if (!id) return 'package identifier is required for MCPB packages';
      if (pkg.registryBaseUrl) {
        return "MCPB packages must not have 'registryBaseUrl' field - use the full download URL in 'identifier' instead";
      }

      let url: URL;
      try {
        url = new URL(id);
      } catch (err) {
        return `invalid MCPB package URL: ${err instanceof Error ? err.message : String(err)}`;
      }
      const host = url.host.toLowerCase();
      if (GITHUB_HOSTS.has(host)) {
        if (!GITHUB_RELEASE_ASSET.test(url.pathname)) {
          return "GitHub MCPB packages must be release assets following the pattern '/owner/repo/releases/download/tag/filename'";
        }
      } else if (GITLAB_HOSTS.has(host)) {
        if (!GITLAB_RELEASE_ASSET.test(url.pathname) && !GITLAB_PACKAGE_FILE.test(url.pathname)) {
          return "GitLab MCPB packages must be release assets following patterns '/owner/repo/-/releases/tag/downloads/filename' or '/owner/repo/-/package_files/id/download'";
        }
      } else {
        return `MCPB packages must be hosted on allowlisted providers (GitHub or GitLab). Host '${host}' is not allowed`;
      }
      if (url.protocol !== 'https:') return `invalid MCPB package URL, must use HTTPS: ${id}`;
      if (!id.toLowerCase().includes('mcp')) return `MCPB package URL must contain 'mcp': ${id}`;

      const origin = deps.originFor(host);
      const target = origin ? `${origin.replace(/\/+$/, '')}${url.pathname}${url.search}` : url.href;
      const outcome = await tryFetch(deps, target, { method: 'HEAD' });
      if (!outcome.ok) return `failed to verify MCPB package accessibility: ${outcome.error}`;
      if (outcome.res.status !== 200) {
        return `MCPB package '${id}' is not publicly accessible (status: ${outcome.res.status})`;
      }
      return null;
    },
  };
}
