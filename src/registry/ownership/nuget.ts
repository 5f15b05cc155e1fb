import { OFFICIAL_BASE_URLS, baseUrlMismatch, parseJson, pathEscape, pick, tryFetch } from './common.js';
import type { FetchOutcome } from './common.js';
import { containsMcpNameToken, gluedTrailingChar } from './mcp-name.js';
import type { Package, RegistryStrategy, StrategyDeps } from './types.js';

/** NuGet's service index changes rarely; the official validator caches it for an hour too. */
const SERVICE_INDEX_TTL_MS = 60 * 60 * 1000;
const README_TEMPLATE = 'ReadmeUriTemplate/6.13.0';
const PACKAGE_BASE_ADDRESS = 'PackageBaseAddress/3.0.0';

type Resources = Map<string, string>;
type Step<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * NuGet: the README embedded in that exact package version must contain `mcp-name: <server name>`. URLs come from
 * the feed's service index (the base URL), so any NuGet v3 feed works, not only nuget.org.
 */
export function createNugetStrategy(deps: StrategyDeps, baseUrl: string): RegistryStrategy {
  let cached: { resources: Promise<Step<Resources>>; expiresAt: number } | undefined;

  /** Redirects must stay on the requested host; on nuget.org itself also on https and the default port. */
  function get(url: string): Promise<FetchOutcome> {
    const origin = new URL(url);
    return tryFetch(deps, url, {
      checkRedirect: (next) => {
        const strict = baseUrl === OFFICIAL_BASE_URLS.nuget;
        const sameHost = next.hostname === origin.hostname;
        const ok = sameHost && (!strict || (next.protocol === origin.protocol && next.port === ''));
        return ok ? undefined : `refusing redirect to unexpected URL "${next.href}"`;
      },
    });
  }

  async function fetchServiceIndex(): Promise<Step<Resources>> {
    const outcome = await get(baseUrl);
    if (!outcome.ok) return { ok: false, error: `failed to fetch NuGet service index: ${outcome.error}` };
    if (outcome.res.status !== 200)
      return { ok: false, error: `NuGet service index returned status ${outcome.res.status}` };
    const body = parseJson(outcome.res);
    if (!body.ok) return { ok: false, error: `failed to parse NuGet service index: ${body.error}` };
    const resources: Resources = new Map();
    const list = pick(body.value, 'resources');
    for (const r of Array.isArray(list) ? list : []) {
      const type = pick(r, '@type');
      const id = pick(r, '@id');
      if (typeof type === 'string' && typeof id === 'string' && !resources.has(type)) resources.set(type, id);
    }
    return { ok: true, value: resources };
  }

  function serviceIndex(): Promise<Step<Resources>> {
    const now = deps.now();
    if (!cached || cached.expiresAt <= now) {
      const resources = fetchServiceIndex();
      cached = { resources, expiresAt: now + SERVICE_INDEX_TTL_MS };
      // Only successes are worth keeping; a failed fetch is retried by the next verification.
      void resources.then((step) => {
        if (!step.ok && cached?.resources === resources) cached = undefined;
      });
    }
    return cached.resources;
  }

  async function readme(resources: Resources, lowerId: string, lowerVersion: string, serverName: string) {
    const template = resources.get(README_TEMPLATE);
    if (!template) return { error: `failed to get README URL template: ${README_TEMPLATE} not found in service index` };
    // Escaping keeps "/" and ".." in an identifier from steering the fetch to another package's README.
    const url = template
      .replaceAll('{lower_id}', pathEscape(lowerId))
      .replaceAll('{lower_version}', pathEscape(lowerVersion));
    const outcome = await get(url);
    if (!outcome.ok) return { error: `failed to fetch NuGet README: ${outcome.error}` };
    if (outcome.res.status === 404) return { state: 'none' as const };
    if (outcome.res.status !== 200) return { error: `NuGet README request returned status ${outcome.res.status}` };
    const text = outcome.res.text();
    if (containsMcpNameToken(text, serverName)) return { state: 'valid' as const };
    if (gluedTrailingChar(text, serverName) !== undefined) return { state: 'glued' as const };
    return { state: 'invalid' as const };
  }

  async function existence(resources: Resources, lowerId: string, lowerVersion: string) {
    const base = resources.get(PACKAGE_BASE_ADDRESS);
    if (!base) return { error: `failed to get Package Base URL: ${PACKAGE_BASE_ADDRESS} not found in service index` };
    const outcome = await get(`${base.replace(/\/+$/, '')}/${pathEscape(lowerId)}/index.json`);
    if (!outcome.ok) return { error: `failed to fetch NuGet package index: ${outcome.error}` };
    if (outcome.res.status === 404) return { state: 'no-package' as const };
    if (outcome.res.status !== 200) return { error: `NuGet package index returned status ${outcome.res.status}` };
    const body = parseJson(outcome.res);
    if (!body.ok) return { error: `failed to parse NuGet package index: ${body.error}` };
    const versions = pick(body.value, 'versions');
    const listed =
      Array.isArray(versions) && versions.some((v) => typeof v === 'string' && v.toLowerCase() === lowerVersion);
    return { state: listed ? ('exists' as const) : ('no-version' as const) };
  }

  async function verify(pkg: Package, serverName: string): Promise<string | null> {
    const { identifier: id, version } = pkg;
    if (!id) return 'package identifier is required for NuGet packages';
    if (pkg.fileSha256) return "NuGet packages must not have 'fileSha256' field - this is only for MCPB packages";
    if (pkg.registryBaseUrl && pkg.registryBaseUrl !== baseUrl) {
      return baseUrlMismatch(pkg.registryBaseUrl, 'nuget', baseUrl);
    }
    if (!version) return 'package version is required for NuGet packages';

    const index = await serviceIndex();
    if (!index.ok) return index.error;
    const lowerId = id.toLowerCase();
    // Flat-container URLs use the normalized version, which never carries SemVer 2 build metadata.
    const lowerVersion = version.toLowerCase().split('+')[0] ?? '';

    const found = await readme(index.value, lowerId, lowerVersion, serverName);
    if ('error' in found) return found.error ?? null;
    switch (found.state) {
      case 'valid':
        return null;
      case 'invalid':
        return `NuGet package '${id}' ownership validation for version ${version} failed. The server name '${serverName}' must appear as 'mcp-name: ${serverName}' in the package README. Add it to your README and publish a new package version`;
      case 'glued':
        return (
          `NuGet package '${id}' ownership validation for version ${version} failed: found 'mcp-name: ${serverName}' ` +
          'in the README, but it is immediately followed by another character rather than a boundary. The token must be ' +
          "followed by a space, newline, an HTML tag, or a comment close ('-->') — put it on its own line and publish a new package version"
        );
      case 'none':
        break;
    }

    // No README at that address: say whether the package, the version or only the README is missing.
    const exists = await existence(index.value, lowerId, lowerVersion);
    if ('error' in exists) return exists.error ?? null;
    switch (exists.state) {
      case 'no-package':
        return `NuGet package '${id}' does not exist in the registry. If you recently published the package for the first time, wait for validation to complete`;
      case 'no-version':
        return `NuGet package '${id}' exists but version ${version} does not exist in the registry. If you recently published the version, wait for validation to complete`;
      case 'exists':
        return `NuGet package '${id}' ownership validation for version ${version} failed because it does not have an embedded README. Add one to your package and publish a new version`;
    }
  }

  return { registryType: 'nuget', verify };
}
