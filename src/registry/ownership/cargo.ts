import { OFFICIAL_BASE_URLS, baseUrlMismatch, parseJson, pathEscape, pick, quote, tryFetch } from './common.js';
import type { FetchOutcome } from './common.js';
import { containsMcpNameToken, gluedTrailingChar } from './mcp-name.js';
import type { Package, RegistryStrategy, StrategyDeps } from './types.js';

/** crates.io serves rendered READMEs from this CDN host. */
const CRATES_STATIC_HOST = 'static.crates.io';
const MAX_README_BYTES = 5 * 1024 * 1024;

/**
 * Cargo: the rendered README of that exact crate version must show `mcp-name: <server name>` as visible text (the
 * renderer strips HTML comments). Two documented calls: `/api/v1/crates/<name>/<version>/readme` returns `{url}`, and
 * that URL returns the HTML. The pointer and every redirect are pinned to the registry's hosts, so a metadata answer
 * cannot steer the fetch elsewhere.
 */
export function createCargoStrategy(deps: StrategyDeps, baseUrl: string): RegistryStrategy {
  const official = baseUrl === OFFICIAL_BASE_URLS.cargo;
  const allowedHosts = new Set([new URL(baseUrl).hostname]);
  if (official) allowedHosts.add(CRATES_STATIC_HOST);

  function allowed(url: URL): boolean {
    if (!allowedHosts.has(url.hostname)) return false;
    return !official || (url.protocol === 'https:' && url.port === '');
  }

  function get(url: string, accept: string, maxBytes?: number): Promise<FetchOutcome> {
    return tryFetch(deps, url, {
      headers: { accept },
      ...(maxBytes ? { maxBytes } : {}),
      checkRedirect: (next) => (allowed(next) ? undefined : `refusing redirect to unexpected URL "${next.href}"`),
    });
  }

  /** crates.io's CDN answers 403 both for a missing version and for a crate without README; ask the API which. */
  async function readme403(pkg: Package, version: string, serverName: string): Promise<string> {
    const id = pkg.identifier;
    const probe = await get(`${baseUrl}/api/v1/crates/${pathEscape(id)}/${pathEscape(version)}`, 'application/json');
    const status = probe.ok ? probe.res.status : 0;
    if (status === 200) {
      return `cargo package '${id}' version '${version}' exists on crates.io, but its rendered README could not be retrieved (status: 403). If it has no README, add one containing 'mcp-name: ${serverName}' and publish a new version`;
    }
    if (status === 404) return `cargo package '${id}' version '${version}' not found on crates.io`;
    if (status === 0 || status === 429 || (status >= 500 && status < 600)) {
      return `crates.io could not confirm cargo package '${id}' version '${version}' (README status: 403, version check inconclusive) — likely transient, retry later`;
    }
    return `cargo package '${id}' version '${version}' not found on crates.io (status: 403)`;
  }

  return {
    registryType: 'cargo',
    async verify(pkg, serverName) {
      const { identifier: id, version } = pkg;
      if (!id) return 'package identifier is required for Cargo packages';
      if (!version) return 'package version is required for Cargo packages';
      if (pkg.fileSha256) return "cargo packages must not have 'fileSha256' field - this is only for MCPB packages";
      if (pkg.registryBaseUrl && pkg.registryBaseUrl !== baseUrl) {
        return baseUrlMismatch(pkg.registryBaseUrl, 'cargo', baseUrl);
      }

      const meta = await get(
        `${baseUrl}/api/v1/crates/${pathEscape(id)}/${pathEscape(version)}/readme`,
        'application/json',
      );
      if (!meta.ok) return `failed to fetch package metadata from crates.io: ${meta.error}`;
      const metaStatus = meta.res.status;
      if (metaStatus === 429) {
        return `crates.io rate-limited the metadata request for cargo package '${id}' (status: 429) — likely transient, retry later`;
      }
      if (metaStatus >= 500 && metaStatus < 600) {
        return `crates.io upstream error fetching metadata for cargo package '${id}' (status: ${metaStatus}) — likely transient, retry later`;
      }
      if (metaStatus !== 200) return `cargo package '${id}' metadata fetch failed (status: ${metaStatus})`;
      const body = parseJson(meta.res);
      if (!body.ok) return `failed to parse crates.io readme metadata: ${body.error}`;
      const pointer = pick(body.value, 'url');
      if (typeof pointer !== 'string' || pointer === '') {
        return `cargo package '${id}' metadata response missing 'url' field`;
      }
      let readmeUrl: URL;
      try {
        readmeUrl = new URL(pointer, baseUrl);
      } catch {
        return `cargo package '${id}': crates.io returned an unparseable README URL`;
      }
      if (!allowed(readmeUrl)) {
        return `cargo package '${id}': crates.io returned a README URL on an unexpected host/scheme ${quote(readmeUrl.href)} — refusing to fetch`;
      }

      const page = await get(readmeUrl.href, 'text/html', MAX_README_BYTES);
      if (!page.ok) return `failed to fetch rendered README from crates.io: ${page.error}`;
      const status = page.res.status;
      if (status === 429) {
        return `crates.io rate-limited the README fetch for cargo package '${id}' version '${version}' (status: 429) — likely transient, retry later`;
      }
      if (status >= 500 && status < 600) {
        return `crates.io upstream error fetching README for cargo package '${id}' version '${version}' (status: ${status}) — likely transient, retry later`;
      }
      if (status === 403) return readme403(pkg, version, serverName);
      if (status !== 200) return `cargo package '${id}' version '${version}' README fetch failed (status: ${status})`;

      const html = page.res.text();
      if (containsMcpNameToken(html, serverName)) return null;
      const glued = gluedTrailingChar(html, serverName);
      if (glued !== undefined) {
        return (
          `cargo package '${id}' version '${version}' ownership validation failed: found 'mcp-name: ${serverName}' in the ` +
          `README, but it is immediately followed by ${quote(glued)} rather than a boundary. The token must be followed ` +
          'by a space, newline, or an HTML tag — put it on its own line and publish a new version'
        );
      }
      return `cargo package '${id}' version '${version}' ownership validation failed. The server name '${serverName}' must appear as 'mcp-name: ${serverName}' in the package README`;
    },
  };
}
