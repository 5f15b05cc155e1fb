import { OutboundError } from '../../platform/net/errors.js';
import type { OutboundRequestInit, OutboundResponse } from '../../platform/net/outbound.js';
import type { StrategyDeps } from './types.js';

/** The official public registries, used when no base URL is configured for a registry type. */
export const OFFICIAL_BASE_URLS = {
  npm: 'https://registry.npmjs.org',
  pypi: 'https://pypi.org',
  nuget: 'https://api.nuget.org/v3/index.json',
  cargo: 'https://crates.io',
} as const;

/** Removes trailing slashes from a configured base so `https://host/` and `https://host` configure the same thing. */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The official wording for a `registryBaseUrl` that is neither empty nor the configured registry. */
export function baseUrlMismatch(given: string, registryType: string, expected: string): string {
  return `registry type and base URL do not match: '${given}' is not valid for registry type '${registryType}'. Expected: ${expected}`;
}

/**
 * Escapes one URL path segment the way Go's `url.PathEscape` does, so Wharf requests the same URLs as the official
 * registry (`@scope/name` becomes `@scope%2Fname`, which npm-compatible registries expect).
 */
export function pathEscape(segment: string): string {
  return encodeURIComponent(segment)
    .replace(/%(24|26|2B|3A|3D|40)/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The outcome of one request: a response, or the message of the outbound error that prevented one. */
export type FetchOutcome = { ok: true; res: OutboundResponse } | { ok: false; error: string };

/** Fetches with the strategy's default timeout; outbound failures become messages because they are user-facing. */
export async function tryFetch(deps: StrategyDeps, url: string, init: OutboundRequestInit = {}): Promise<FetchOutcome> {
  try {
    return { ok: true, res: await deps.client.fetch(url, { timeoutMs: deps.timeoutMs, ...init }) };
  } catch (err) {
    if (err instanceof OutboundError) return { ok: false, error: err.message };
    throw err;
  }
}

/** Parses a JSON body; the error text is what the official validators print after "failed to parse …: ". */
export function parseJson(res: OutboundResponse): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: res.json() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Reads `obj.a.b…` from untyped JSON, or `undefined` when any step is missing or not an object. */
export function pick(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Like Go's `%q` for the short strings these messages quote. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** What a package-level probe says about a version-level 404 (see `probePackage`). */
export type ProbeState = 'exists' | 'missing' | 'transient' | 'unknown';

/** Probes only refine a 404 message, so they get a short budget of their own instead of a full request timeout. */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * HEADs a package-level URL to tell "the package does not exist" from "this version has not propagated yet", which
 * publishers hit right after `npm publish`/`twine upload` and which the upstream registry words differently.
 */
export async function probePackage(deps: StrategyDeps, url: string): Promise<ProbeState> {
  const outcome = await tryFetch(deps, url, { method: 'HEAD', timeoutMs: Math.min(PROBE_TIMEOUT_MS, deps.timeoutMs) });
  if (!outcome.ok) return 'transient';
  const { status } = outcome.res;
  if (status === 200) return 'exists';
  if (status === 404) return 'missing';
  if (status === 429 || (status >= 500 && status < 600)) return 'transient';
  return 'unknown';
}
