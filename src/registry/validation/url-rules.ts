import { goHostname, parseGoUrl } from './go-url.js';

/**
 * URL predicates of the semantic layer (upstream `internal/validators/utils.go` at v1.7.0). URLs may carry
 * `{variable}` templates, which are swapped for plausible placeholders before parsing.
 */

const githubRepo = /^https?:\/\/(www\.)?github\.com\/[\w.-]+\/[\w.-]+\/?$/;
const gitlabRepo = /^https?:\/\/(www\.)?gitlab\.com\/[\w.-]+\/[\w.-]+\/?$/;

export function isValidRepositoryUrl(source: string, url: string): boolean {
  if (source === 'github') return githubRepo.test(url);
  if (source === 'gitlab') return gitlabRepo.test(url);
  return false;
}

export function isValidSubfolderPath(path: string): boolean {
  if (path === '') return true;
  if (path.startsWith('/') || path.endsWith('/')) return false;
  if (!/^[a-zA-Z0-9\-_./]+$/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

export function extractTemplateVariables(url: string): string[] {
  return Array.from(url.matchAll(/\{([^}]+)\}/g), (m) => m[1] ?? '');
}

const knownPlaceholders: Record<string, string> = {
  '{host}': 'example.com',
  '{port}': '8080',
  '{path}': 'api',
  '{protocol}': 'http',
  '{scheme}': 'http',
};

export function replaceTemplateVariables(rawUrl: string): string {
  let result = rawUrl;
  for (const [placeholder, replacement] of Object.entries(knownPlaceholders)) {
    result = result.split(placeholder).join(replacement);
  }
  // A variable right after a colon and before a slash (or the end) sits where a port goes.
  result = result.replace(/:(\{[^}]+\})(\/|$)/g, ':8080$2');
  return result.replace(/\{[^}]+\}/g, 'placeholder');
}

/** http(s) with a host once templates are replaced; localhost and plain http are fine (package transports). */
export function isValidUrl(rawUrl: string): boolean {
  const parsed = parseGoUrl(replaceTemplateVariables(rawUrl));
  if (!parsed.ok) return false;
  const { scheme, host } = parsed.url;
  return (scheme === 'http' || scheme === 'https') && host !== '';
}

/**
 * Remotes must be public https endpoints. Upstream v1.7.0 rejects exactly `localhost`, `127.0.0.1` and
 * `*.localhost` (case-sensitively); later releases also reject private, link-local and CGNAT literals.
 */
export function isValidRemoteUrl(rawUrl: string): boolean {
  if (!isValidUrl(rawUrl)) return false;
  const parsed = parseGoUrl(replaceTemplateVariables(rawUrl));
  if (!parsed.ok) return false;
  const hostname = goHostname(parsed.url);
  if (hostname === 'localhost' || hostname === '127.0.0.1' || hostname.endsWith('.localhost')) return false;
  return parsed.url.scheme === 'https';
}

/** Valid URL whose every `{variable}` is one of `available`. */
export function isValidTemplatedUrl(rawUrl: string, available: readonly string[]): boolean {
  if (!isValidUrl(rawUrl)) return false;
  const known = new Set(available);
  return extractTemplateVariables(rawUrl).every((v) => known.has(v));
}
