import { goQuote, goStringSlice, goTrimSpace, isGoSpace } from './go-text.js';
import { parseGoUrl } from './go-url.js';
import { Path, semanticError } from './issues.js';
import type { ValidationIssue } from './issues.js';
import type { Argument, Icon, Package, Repository, ServerJSON, Transport } from './server-json.js';
import {
  extractTemplateVariables,
  isValidRemoteUrl,
  isValidRepositoryUrl,
  isValidSubfolderPath,
  isValidTemplatedUrl,
} from './url-rules.js';

/**
 * Layer C, the semantic rules (upstream `internal/validators/validators.go` at v1.7.0), with upstream's rule codes,
 * messages (Go formatting included) and paths. Absent optional fields are treated as Go's zero values.
 */

const namespacePattern = '[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]';
const namePartPattern = '[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]';
const namespaceRe = new RegExp(`^${namespacePattern}$`);
const namePartRe = new RegExp(`^${namePartPattern}$`);
const serverNameRe = new RegExp(`^${namespacePattern}/${namePartPattern}$`);

/** Why a server name is invalid, in upstream's words, or undefined when it is valid. */
export function serverNameError(name: string): string | undefined {
  if (name === '') return 'server name is required and must be a string';
  if (!name.includes('/')) {
    return "server name must be in format 'dns-namespace/name' (e.g., 'com.example.api/server')";
  }
  if (name.split('/').length > 2) return 'server name cannot contain multiple slashes';
  const [namespace = '', serverName = ''] = name.split('/');
  if (namespace === '' || serverName === '') {
    return "server name must be in format 'dns-namespace/name' with non-empty namespace and name parts";
  }
  if (serverNameRe.test(name)) return undefined;
  const prefix = 'server name format is invalid';
  if (!namespaceRe.test(namespace)) {
    return `${prefix}: namespace '${namespace}' is invalid. Namespace must start and end with alphanumeric characters, and may contain dots and hyphens in the middle`;
  }
  if (!namePartRe.test(serverName)) {
    return `${prefix}: name '${serverName}' is invalid. Name must start and end with alphanumeric characters, and may contain dots, underscores, and hyphens in the middle`;
  }
  return `${prefix}: invalid format for '${name}'`;
}

// Upstream's regexes use RE2, where \s is ASCII-only; [\t\n\f\r ] keeps that meaning in JS.
const ws = '[\\t\\n\\f\\r ]';
const ver = 'v?\\d+(?:\\.\\d+){0,3}(?:-[0-9A-Za-z.-]+)?';
const comparatorRange = new RegExp(`^${ws}*(?:\\^|~|>=|<=|>|<|=)${ws}*${ver}${ws}*$`);
const hyphenRange = new RegExp(`^${ws}*${ver}${ws}-${ws}*${ver}${ws}*$`);
const orRange = new RegExp(`^${ws}*(?:${ver}${ws}*)(?:\\|\\|${ws}*${ver}${ws}*)+$`);
const dottedWildcard = new RegExp(`^${ws}*(?:v?\\d+|x|X|\\*)(?:\\.(?:\\d+|x|X|\\*)){1,2}(?:-[0-9A-Za-z.-]+)?${ws}*$`);

/** True for `^1.2.3`, `>=1.0`, `1.x`, `1.2.*`, `1 - 2`, `1.2 || 1.3` and the like. */
export function looksLikeVersionRange(version: string): boolean {
  const trimmed = goTrimSpace(version);
  if (trimmed === '') return false;
  if (comparatorRange.test(trimmed) || hyphenRange.test(trimmed) || orRange.test(trimmed)) return true;
  return dottedWildcard.test(trimmed) && /[xX*]/.test(trimmed);
}

/**
 * The official registry leaves a blank or over-long top-level version to its database constraints, which fail
 * later with an opaque error; Wharf says so up front.
 */
function validateServerVersion(version: string, out: ValidationIssue[]): void {
  if (goTrimSpace(version) === '') {
    out.push(semanticError('version', 'version is required and must not be blank', 'version-required'));
  } else if (version.length > 255) {
    out.push(
      semanticError('version', `version must be at most 255 characters (got ${version.length})`, 'version-too-long'),
    );
  }
}

function validateVersion(path: Path, version: string, out: ValidationIssue[]): void {
  if (version === 'latest') {
    out.push(
      semanticError(`${path}`, "version string 'latest' is reserved and cannot be used", 'reserved-version-string'),
    );
    return;
  }
  if (looksLikeVersionRange(version)) {
    const message = `version must be a specific version, not a range: ${goQuote(version)}`;
    out.push(semanticError(`${path}`, message, 'version-looks-like-range'));
  }
}

function validateRepository(path: Path, repo: Repository | undefined, out: ValidationIssue[]): void {
  const url = repo?.url ?? '';
  const source = repo?.source ?? '';
  if (!repo || (url === '' && source === '')) return;
  if (!isValidRepositoryUrl(source, url)) {
    out.push(semanticError(`${path.field('url')}`, `invalid repository URL: ${url}`, 'invalid-repository-url'));
  }
  const subfolder = repo.subfolder ?? '';
  if (subfolder !== '' && !isValidSubfolderPath(subfolder)) {
    out.push(
      semanticError(`${path.field('subfolder')}`, `invalid subfolder path: ${subfolder}`, 'invalid-subfolder-path'),
    );
  }
}

/**
 * Characters that could break out of an HTML attribute or smuggle markup. Upstream added a
 * `website-url-invalid-characters` rule in v1.7.7 without publishing its exact character set or message; this is
 * our reading of it (URL-breaking quotes, angle brackets, backtick, backslash, whitespace).
 */
function hasInvalidWebsiteCharacters(url: string): boolean {
  return Array.from(url).some((ch) => `"'<>\`\\`.includes(ch) || isGoSpace(ch));
}

function validateWebsiteUrl(path: Path, websiteUrl: string, out: ValidationIssue[]): void {
  if (websiteUrl === '') return;
  const parsed = parseGoUrl(websiteUrl);
  if (!parsed.ok) {
    out.push(semanticError(`${path}`, `invalid websiteUrl: ${parsed.error}`, 'invalid-website-url'));
    return;
  }
  if (hasInvalidWebsiteCharacters(websiteUrl)) {
    const message = `websiteUrl contains invalid characters: ${websiteUrl}`;
    out.push(semanticError(`${path}`, message, 'website-url-invalid-characters'));
  }
  if (parsed.url.scheme === '') {
    const message = `websiteUrl must be absolute (include scheme): ${websiteUrl}`;
    out.push(semanticError(`${path}`, message, 'website-url-must-be-absolute'));
  }
  if (parsed.url.scheme !== 'https') {
    out.push(semanticError(`${path}`, `websiteUrl must use https scheme: ${websiteUrl}`, 'website-url-invalid-scheme'));
  }
}

function validateTitle(path: Path, title: string, out: ValidationIssue[]): void {
  if (title !== '' && goTrimSpace(title) === '') {
    out.push(semanticError(`${path}`, 'title cannot be only whitespace', 'title-whitespace-only'));
  }
}

function validateIcon(path: Path, icon: Icon, out: ValidationIssue[]): void {
  const src = icon.src;
  const at = `${path.field('src')}`;
  const parsed = parseGoUrl(src);
  if (!parsed.ok) {
    out.push(semanticError(at, `invalid icon src URL: ${parsed.error}`, 'icon-src-invalid-url'));
    return;
  }
  if (parsed.url.scheme === '') {
    out.push(semanticError(at, `icon src must be an absolute URL (include scheme): ${src}`, 'icon-src-not-absolute'));
  }
  if (parsed.url.scheme !== 'https') {
    const message = `icon src must use https scheme (got ${parsed.url.scheme}): ${src}`;
    out.push(semanticError(at, message, 'icon-src-invalid-scheme'));
  }
}

function validateArgument(path: Path, arg: Argument, out: ValidationIssue[]): void {
  if (arg.type !== 'named') return;
  const name = arg.name ?? '';
  if (name === '') {
    out.push(semanticError(`${path.field('name')}`, 'named argument name is required', 'named-argument-name-required'));
  } else if (/[<> $]/.test(name)) {
    const message = `invalid named argument name format: ${name}`;
    out.push(semanticError(`${path.field('name')}`, message, 'invalid-named-argument-name'));
  }
  // Upstream checks value/default even when the name is empty, so any non-empty value "starts with" it.
  const value = arg.value ?? '';
  if (value !== '' && value.startsWith(name)) {
    const message = `argument value cannot start with the argument name: value starts with argument name '${name}': ${value}`;
    out.push(semanticError(`${path.field('value')}`, message, 'argument-value-starts-with-name'));
  }
  const defaultValue = arg.default ?? '';
  if (defaultValue !== '' && defaultValue.startsWith(name)) {
    const message = `argument default cannot start with the argument name: default starts with argument name '${name}': ${defaultValue}`;
    out.push(semanticError(`${path.field('default')}`, message, 'argument-default-starts-with-name'));
  }
}

/** Names a package transport URL may reference: env var names, then argument names and value hints. */
function packageVariables(pkg: Package): string[] {
  const names = (pkg.environmentVariables ?? []).map((e) => e.name);
  for (const arg of [...(pkg.runtimeArguments ?? []), ...(pkg.packageArguments ?? [])]) {
    if (arg.name) names.push(arg.name);
    if (arg.valueHint) names.push(arg.valueHint);
  }
  return names;
}

function templatedUrlMessage(prefix: string, url: string, available: string[]): string {
  if (extractTemplateVariables(url).length === 0) return `${prefix}: ${url}`;
  const listed = goStringSlice(available);
  return `${prefix}: template variables in URL ${url} reference undefined variables. Available variables: ${listed}`;
}

function validatePackageTransport(path: Path, transport: Transport, available: string[], out: ValidationIssue[]) {
  const url = transport.url ?? '';
  const at = `${path.field('url')}`;
  switch (transport.type) {
    case 'stdio':
      if (url !== '') {
        const message = `url must be empty for ${transport.type} transport type, got: ${url}`;
        out.push(semanticError(at, message, 'stdio-transport-url-not-empty'));
      }
      return;
    case 'streamable-http':
    case 'sse':
      if (url === '') {
        const message = `url is required for ${transport.type} transport type`;
        out.push(semanticError(at, message, 'streamable-transport-url-required'));
      } else if (!isValidTemplatedUrl(url, available)) {
        const message = templatedUrlMessage('invalid package transport URL', url, available);
        out.push(semanticError(at, message, 'invalid-templated-url'));
      }
      return;
    default:
      out.push(
        semanticError(
          `${path.field('type')}`,
          `unsupported transport type: ${transport.type}`,
          'unsupported-transport-type',
        ),
      );
  }
}

function validatePackage(path: Path, pkg: Package, out: ValidationIssue[]): void {
  if (pkg.identifier.includes(' ')) {
    out.push(
      semanticError(`${path.field('identifier')}`, 'package name cannot contain spaces', 'package-name-has-spaces'),
    );
  }
  validateVersion(path.field('version'), pkg.version ?? '', out);
  (pkg.runtimeArguments ?? []).forEach((arg, i) => validateArgument(path.field('runtimeArguments').index(i), arg, out));
  (pkg.packageArguments ?? []).forEach((arg, i) => validateArgument(path.field('packageArguments').index(i), arg, out));
  validatePackageTransport(path.field('transport'), pkg.transport, packageVariables(pkg), out);
}

function validateRemote(path: Path, remote: Transport, out: ValidationIssue[]): void {
  const url = remote.url ?? '';
  const at = `${path.field('url')}`;
  if (remote.type !== 'streamable-http' && remote.type !== 'sse') {
    const message = `unsupported transport type for remotes: ${remote.type} (only streamable-http and sse are supported)`;
    out.push(semanticError(`${path.field('type')}`, message, 'unsupported-remote-transport-type'));
    return;
  }
  if (url === '') {
    out.push(semanticError(at, `url is required for ${remote.type} transport type`, 'remote-transport-url-required'));
  } else if (!isValidRemoteUrl(url)) {
    out.push(semanticError(at, `invalid remote URL: ${url}`, 'invalid-remote-url'));
  }
  // Upstream runs this check even after the two above, so an empty URL reports twice. It lists the variables
  // in Go map order (random); we sort them to keep the message stable.
  const available = Object.keys(remote.variables ?? {})
    .filter((k) => k !== '')
    .sort();
  if (!isValidTemplatedUrl(url, available)) {
    out.push(semanticError(at, templatedUrlMessage('invalid remote URL', url, available), 'invalid-templated-url'));
  }
}

/** All semantic issues of a server.json, in upstream's order. */
export function validateSemantics(server: ServerJSON): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const root = Path.root();
  const nameError = serverNameError(server.name);
  if (nameError) out.push(semanticError('name', nameError, 'invalid-server-name'));
  validateServerVersion(server.version, out);
  validateVersion(root.field('version'), server.version, out);
  validateRepository(root.field('repository'), server.repository, out);
  validateWebsiteUrl(root.field('websiteUrl'), server.websiteUrl ?? '', out);
  validateTitle(root.field('title'), server.title ?? '', out);
  (server.icons ?? []).forEach((icon, i) => validateIcon(root.field('icons').index(i), icon, out));
  (server.packages ?? []).forEach((pkg, i) => validatePackage(root.field('packages').index(i), pkg, out));
  (server.remotes ?? []).forEach((remote, i) => validateRemote(root.field('remotes').index(i), remote, out));
  validateMetaKeys(server._meta, out);
  return out;
}

/** Keys under which registries publish their own metadata; a publisher must not be able to forge them. */
export function isReservedMetaKey(key: string): boolean {
  return key === 'io.modelcontextprotocol.registry/official' || key.startsWith('dev.wharf/');
}

function validateMetaKeys(meta: ServerJSON['_meta'], out: ValidationIssue[]): void {
  for (const key of Object.keys(meta ?? {})) {
    if (isReservedMetaKey(key)) {
      out.push(
        semanticError(
          `_meta.${key}`,
          `_meta key ${key} is reserved for registry metadata and cannot be published`,
          'reserved-meta-key',
        ),
      );
    }
  }
}
