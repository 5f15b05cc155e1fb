import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { parseOidcRules } from '../auth/login/oidc-rules.js';
import type { OidcRule } from '../auth/login/oidc-rules.js';
import { parsePatterns } from '../sync/patterns.js';
import { gatewayAccessConfig } from '../gateway/access/config.js';
import type { GatewayAccessConfig } from '../gateway/access/config.js';

/**
 * One typed, validated configuration object, loaded once at start and passed explicitly.
 * Every setting comes from a flag, else a WHARF_* environment variable, else the documented default.
 */
export interface WharfConfig {
  host: string;
  port: number;
  dataDir: string;
  /** `postgres://…` selects PostgreSQL; otherwise the embedded SQLite file path. */
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  redisUrl: string | undefined;
  adminToken: string | undefined;
  anonymousAuth: boolean;
  allowPrivateNetworks: boolean;
  /** Hex-encoded 32-byte Ed25519 seed; generated into the data dir when absent. */
  jwtPrivateKey: string | undefined;
  jwtTtlSeconds: number;
  packageValidation: boolean;
  /** Package registry base URLs for ownership checks; unset ones default to the official public registries. */
  packageRegistries: { npm?: string; pypi?: string; nuget?: string; cargo?: string };
  /** Keep serialised registry reads until the registry changes (off only to measure or debug the query path). */
  registryCache: boolean;
  /** Answer ranked searches of latest versions from an in-memory index (SQL answers while it is not current). */
  searchMemory: boolean;
  logLevel: string;
  githubClientId: string | undefined;
  /** Continuous mirroring of another registry (`wharf sync`, and a background job in `serve` when `upstream` is set). */
  sync: {
    upstream: string | undefined;
    intervalSeconds: number;
    allow: string[];
    deny: string[];
    conflict: 'skip' | 'local-wins' | 'upstream-wins';
    overlapSeconds: number;
    reconcileHours: number;
  };
  /** HMAC secret for API key digests; generated into the data dir when absent. */
  keySecret: string | undefined;
  /** `authenticated`: every registry read needs a valid token or API key (a private registry). */
  registryRead: 'public' | 'authenticated';
  /** Requests per minute per source IP on `/v0(.1)/auth/*`; 0 turns the limit off. */
  rateLimitAuth: number;
  /** Publishes per minute per identity; 0 turns the limit off. Global administrators are not limited. */
  rateLimitPublish: number;
  /** The context store (docs/contexts.md). */
  contexts: ContextConfig;
  /** Instance registration, heartbeats and active MCP probes (see docs/liveness.md). */
  liveness: LivenessSettings;
  /** External identity sources for the token-exchange endpoints (`/v0(.1)/auth/*`). */
  login: LoginConfig;
  /** Who may use the gateway's MCP endpoints and how often (`WHARF_GATEWAY_*`, see docs/gateway-access.md). */
  gatewayAccess: GatewayAccessConfig;
  /** Key material for secrets at rest (upstream credentials); a random key in the data dir when absent. */
  secretKey: string | undefined;
  /** Gateway: budget to connect to an upstream and list its tools. */
  gatewayConnectTimeoutMs: number;
  /** Gateway: budget for one call routed to an upstream. */
  gatewayCallTimeoutMs: number;
  /** Gateway: upstream aliases whose tools, prompts and resource URIs are served unprefixed. */
  gatewayPassthroughAliases: string[];
  /** Gateway: upstream aliases the gateway speaks 2025-11-25 to, even when they offer 2026-07-28. */
  gatewayLegacyAliases: string[];
  /** Gateway: forward modern calls to modern upstreams as they are (false: every call through the SDK path). */
  gatewayForwardCalls: boolean;
}

export interface LoginConfig {
  githubApiUrl: string;
  githubOidcIssuer: string;
  /** Undefined disables `auth/github-oidc` (as the official registry does without an audience). */
  githubOidcAudience: string | undefined;
  /** `host:port` of the DNS server for TXT proofs and auth host names; undefined uses the system resolver. */
  dnsResolver: string | undefined;
  /** Where `auth/http` reads the proof; `{domain}` is replaced by the claimed domain. */
  httpAuthUrlTemplate: string;
  /** Generic OIDC (`auth/oidc`); undefined when `WHARF_OIDC_ISSUER` is not set. */
  oidc: { issuer: string; audience: string; rules: OidcRule[] } | undefined;
}

export interface ContextConfig {
  /** `auto` = Redis when a Redis URL is set, else the main database. */
  store: 'auto' | 'database' | 'redis';
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  maxDocumentBytes: number;
  /** Namespace patterns where non-admin callers only see contexts whose metadata.owner is their subject. */
  ownerRuleNamespaces: string[];
  reapIntervalMs: number;
  eventRetentionSeconds: number;
}

export interface LivenessSettings {
  instanceTtlSeconds: number;
  deregisterAfterSeconds: number;
  /** Share of passing instances (0..1) that may expire in one sweep before deregistration pauses. */
  massExpiryThreshold: number;
  probes: boolean;
  probeIntervalSeconds: number;
  probeConcurrency: number;
  probePerHost: number;
  probeTimeoutMs: number;
  /** A passing probe slower than this is reported as `warning`; 0 means half the timeout. */
  probeSlowMs: number;
}

/** Values as given on the command line (commander options); undefined when not given. */
export interface ConfigFlags {
  host?: string | undefined;
  port?: string | number | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  anonymousAuth?: boolean | string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const bool = (setting: string) =>
  z.union([z.boolean(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off', ''].includes(s)) return false;
    ctx.addIssue({ code: 'custom', message: `${setting} must be true or false, got "${v}"` });
    return z.NEVER;
  });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const optionalUrl = optionalText.refine(
  (v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v),
  'must be an http(s) URL',
);

/** Comma-separated name patterns with the permission semantics (exact name, prefix ending in `*`, or `*`). */
const namePatterns = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const { patterns, problem } = parsePatterns(v);
    if (problem === undefined) return patterns;
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });

const schema = z.object({
  host: z.string().min(1, 'must not be empty'),
  port: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535'),
  dataDir: z.string().min(1, 'must not be empty'),
  databaseUrl: optionalText.refine(
    (v) => v === undefined || /^(postgres|postgresql):\/\//.test(v) || /^(sqlite|file):/.test(v),
    'must be a postgres://… URL (or sqlite:<path>)',
  ),
  redisUrl: optionalText.refine(
    (v) => v === undefined || /^rediss?:\/\//.test(v),
    'must be a redis:// or rediss:// URL',
  ),
  adminToken: optionalText.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters long'),
  anonymousAuth: bool('WHARF_AUTH_ANONYMOUS'),
  allowPrivateNetworks: bool('WHARF_ALLOW_PRIVATE_NETWORKS'),
  secretKey: optionalText.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters long'),
  gatewayConnectTimeoutMs: z.coerce.number({ message: 'must be a number' }).int().min(100).max(120_000),
  gatewayCallTimeoutMs: z.coerce.number({ message: 'must be a number' }).int().min(100).max(3_600_000),
  gatewayPassthroughAliases: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((alias) => alias.trim())
        .filter((alias) => alias !== ''),
    )
    .refine(
      (aliases) => aliases.every((alias) => /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(alias)),
      'must be a comma-separated list of gateway aliases ([a-z0-9-], 1-32 characters)',
    ),
  jwtPrivateKey: optionalText.refine(
    (v) => v === undefined || /^[0-9a-fA-F]{64}$/.test(v),
    'must be 64 hex characters (a 32-byte Ed25519 seed, e.g. from `openssl rand -hex 32`)',
  ),
  gatewayForwardCalls: bool('WHARF_GATEWAY_FORWARD_CALLS'),
  gatewayLegacyAliases: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((alias) => alias.trim())
        .filter((alias) => alias !== ''),
    )
    .refine(
      (aliases) => aliases.every((alias) => /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(alias)),
      'must be a comma-separated list of gateway aliases ([a-z0-9-], 1-32 characters)',
    ),
  jwtTtlSeconds: z.coerce.number({ message: 'must be a number' }).int().min(30).max(86_400),
  packageValidation: bool('WHARF_PACKAGE_VALIDATION'),
  registryCache: bool('WHARF_REGISTRY_CACHE'),
  searchMemory: bool('WHARF_SEARCH_MEMORY'),
  npmRegistryUrl: optionalUrl,
  pypiUrl: optionalUrl,
  nugetUrl: optionalUrl,
  cargoUrl: optionalUrl,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  githubClientId: optionalText,
  githubApiUrl: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'),
  githubOidcIssuer: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'),
  githubOidcAudience: optionalText,
  dnsResolver: optionalText.refine(
    (v) => v === undefined || dnsServer(v) !== undefined,
    'must be the IP address of a DNS server, optionally with a port (1.1.1.1, 10.0.0.2:53, [::1]:5353)',
  ),
  httpAuthUrlTemplate: z
    .string()
    .regex(/^https?:\/\/\{domain\}[^\s]*$/, 'must be an http(s) URL starting with {domain} as its host'),
  oidcIssuer: optionalUrl,
  oidcAudience: optionalText,
  oidcRules: optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    try {
      return parseOidcRules(v);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  oidcRulesFile: optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    let text: string;
    try {
      text = fs.readFileSync(v, 'utf8');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? error})` });
      return z.NEVER;
    }
    try {
      return parseOidcRules(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `the file ${(error as Error).message}` });
      return z.NEVER;
    }
  }),
  keySecret: optionalText.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters long'),
  registryRead: z.enum(['public', 'authenticated'], { message: 'must be public or authenticated' }),
  rateLimitAuth: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or a positive number of requests per minute')
    .max(1_000_000, 'must be at most 1000000'),
  rateLimitPublish: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or a positive number of publishes per minute')
    .max(1_000_000, 'must be at most 1000000'),
  syncUpstream: optionalUrl,
  syncIntervalSeconds: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1'),
  syncAllow: namePatterns,
  syncDeny: namePatterns,
  syncConflict: z.enum(['skip', 'local-wins', 'upstream-wins'], {
    message: 'must be skip, local-wins or upstream-wins',
  }),
  syncOverlapSeconds: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(0),
  syncReconcileHours: z.coerce.number({ message: 'must be a number' }).min(0, 'must be 0 (never) or more'),
  contextStore: z.enum(['auto', 'database', 'redis'], { message: 'must be auto, database or redis' }),
  contextDefaultTtlSeconds: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(0),
  contextMaxTtlSeconds: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1),
  contextMaxBytes: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1024, 'must be at least 1024')
    .max(1_000_000, 'must be at most 1000000 (request bodies are limited to 1 MiB)'),
  contextOwnerRule: z
    .string()
    .transform((v) => v.trim())
    .refine(
      (v) =>
        /^(true|false|1|0|yes|no|on|off|)$/i.test(v) ||
        /^[A-Za-z0-9._/*-]+(,[A-Za-z0-9._/*-]+)*$/.test(v.replace(/\s+/g, '')),
      'must be true, false, or a comma-separated list of namespace patterns',
    ),
  contextReapIntervalMs: z.coerce.number({ message: 'must be a number' }).int().min(50).max(60_000),
  contextEventRetentionSeconds: z.coerce.number({ message: 'must be a number' }).int().min(60),
  instanceTtlSeconds: z.coerce.number({ message: 'must be a number' }).int().min(2).max(86_400),
  deregisterAfterSeconds: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(1)
    .max(30 * 86_400),
  massExpiryThreshold: z.coerce.number({ message: 'must be a number' }).gt(0).max(1),
  probes: bool('WHARF_PROBES'),
  probeIntervalSeconds: z.coerce.number({ message: 'must be a number' }).int().min(1).max(86_400),
  probeConcurrency: z.coerce.number({ message: 'must be a number' }).int().min(1).max(10_000),
  probePerHost: z.coerce.number({ message: 'must be a number' }).int().min(1).max(1_000),
  probeTimeoutMs: z.coerce.number({ message: 'must be a number' }).int().min(100).max(120_000),
  probeSlowMs: z.coerce.number({ message: 'must be a number' }).int().min(0).max(120_000),
});

/** `host`, `host:port` or `[v6]:port` of a DNS server given by IP, as node's resolver needs; undefined if invalid. */
export function dnsServer(value: string): string | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  const v4 = /^([^:]+)(?::(\d{1,5}))?$/.exec(value);
  const host = v6?.[1] ?? v4?.[1] ?? (net.isIPv6(value) ? value : undefined);
  const port = v6?.[2] ?? v4?.[2];
  if (host === undefined || !net.isIP(host)) return undefined;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return value;
}

/** Which flag / variable each field comes from, so an error names the setting the user actually wrote. */
const settingNames: Record<keyof z.input<typeof schema>, string> = {
  host: '--host / WHARF_HOST',
  port: '--port / WHARF_PORT',
  dataDir: '--data-dir / WHARF_DATA_DIR',
  databaseUrl: '--database-url / WHARF_DATABASE_URL',
  redisUrl: '--redis-url / WHARF_REDIS_URL',
  adminToken: 'WHARF_ADMIN_TOKEN',
  anonymousAuth: '--anonymous-auth / WHARF_AUTH_ANONYMOUS',
  allowPrivateNetworks: 'WHARF_ALLOW_PRIVATE_NETWORKS',
  jwtPrivateKey: 'WHARF_JWT_PRIVATE_KEY',
  jwtTtlSeconds: 'WHARF_JWT_TTL_SECONDS',
  packageValidation: 'WHARF_PACKAGE_VALIDATION',
  registryCache: 'WHARF_REGISTRY_CACHE',
  searchMemory: 'WHARF_SEARCH_MEMORY',
  npmRegistryUrl: 'WHARF_NPM_REGISTRY_URL',
  pypiUrl: 'WHARF_PYPI_URL',
  nugetUrl: 'WHARF_NUGET_URL',
  cargoUrl: 'WHARF_CARGO_URL',
  logLevel: 'WHARF_LOG_LEVEL',
  githubClientId: 'WHARF_GITHUB_CLIENT_ID',
  githubApiUrl: 'WHARF_GITHUB_API_URL',
  githubOidcIssuer: 'WHARF_GITHUB_OIDC_ISSUER',
  githubOidcAudience: 'WHARF_GITHUB_OIDC_AUDIENCE',
  dnsResolver: 'WHARF_DNS_RESOLVER',
  httpAuthUrlTemplate: 'WHARF_HTTP_AUTH_URL_TEMPLATE',
  oidcIssuer: 'WHARF_OIDC_ISSUER',
  oidcAudience: 'WHARF_OIDC_AUDIENCE',
  oidcRules: 'WHARF_OIDC_RULES',
  oidcRulesFile: 'WHARF_OIDC_RULES_FILE',
  keySecret: 'WHARF_KEY_SECRET',
  registryRead: 'WHARF_REGISTRY_READ',
  rateLimitAuth: 'WHARF_RATE_LIMIT_AUTH',
  rateLimitPublish: 'WHARF_RATE_LIMIT_PUBLISH',
  syncUpstream: 'WHARF_SYNC_UPSTREAM',
  syncIntervalSeconds: 'WHARF_SYNC_INTERVAL_SECONDS',
  syncAllow: 'WHARF_SYNC_ALLOW',
  syncDeny: 'WHARF_SYNC_DENY',
  syncConflict: 'WHARF_SYNC_CONFLICT',
  syncOverlapSeconds: 'WHARF_SYNC_OVERLAP_SECONDS',
  syncReconcileHours: 'WHARF_SYNC_RECONCILE_HOURS',
  contextStore: 'WHARF_CONTEXT_STORE',
  contextDefaultTtlSeconds: 'WHARF_CONTEXT_DEFAULT_TTL_SECONDS',
  contextMaxTtlSeconds: 'WHARF_CONTEXT_MAX_TTL_SECONDS',
  contextMaxBytes: 'WHARF_CONTEXT_MAX_BYTES',
  contextOwnerRule: 'WHARF_CONTEXT_OWNER_RULE',
  contextReapIntervalMs: 'WHARF_CONTEXT_REAP_INTERVAL_MS',
  contextEventRetentionSeconds: 'WHARF_CONTEXT_EVENT_RETENTION_SECONDS',
  instanceTtlSeconds: 'WHARF_INSTANCE_TTL_SECONDS',
  deregisterAfterSeconds: 'WHARF_DEREGISTER_AFTER_SECONDS',
  massExpiryThreshold: 'WHARF_MASS_EXPIRY_THRESHOLD',
  probes: 'WHARF_PROBES',
  probeIntervalSeconds: 'WHARF_PROBE_INTERVAL_SECONDS',
  probeConcurrency: 'WHARF_PROBE_CONCURRENCY',
  probePerHost: 'WHARF_PROBE_PER_HOST',
  probeTimeoutMs: 'WHARF_PROBE_TIMEOUT_MS',
  probeSlowMs: 'WHARF_PROBE_SLOW_MS',
  secretKey: 'WHARF_SECRET_KEY',
  gatewayConnectTimeoutMs: 'WHARF_GATEWAY_CONNECT_TIMEOUT_MS',
  gatewayCallTimeoutMs: 'WHARF_GATEWAY_CALL_TIMEOUT_MS',
  gatewayPassthroughAliases: 'WHARF_GATEWAY_PASSTHROUGH_ALIASES',
  gatewayLegacyAliases: 'WHARF_GATEWAY_LEGACY_ALIASES',
  gatewayForwardCalls: 'WHARF_GATEWAY_FORWARD_CALLS',
};

export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): WharfConfig {
  const raw = {
    host: flags.host ?? env.WHARF_HOST ?? '127.0.0.1',
    port: flags.port ?? env.WHARF_PORT ?? 8080,
    dataDir: flags.dataDir ?? env.WHARF_DATA_DIR ?? './.wharf',
    databaseUrl: flags.databaseUrl ?? env.WHARF_DATABASE_URL,
    redisUrl: flags.redisUrl ?? env.WHARF_REDIS_URL,
    adminToken: env.WHARF_ADMIN_TOKEN,
    anonymousAuth: flags.anonymousAuth ?? env.WHARF_AUTH_ANONYMOUS ?? false,
    allowPrivateNetworks: env.WHARF_ALLOW_PRIVATE_NETWORKS ?? false,
    jwtPrivateKey: env.WHARF_JWT_PRIVATE_KEY,
    jwtTtlSeconds: env.WHARF_JWT_TTL_SECONDS ?? 300,
    packageValidation: env.WHARF_PACKAGE_VALIDATION ?? false,
    registryCache: env.WHARF_REGISTRY_CACHE ?? true,
    searchMemory: env.WHARF_SEARCH_MEMORY ?? true,
    npmRegistryUrl: env.WHARF_NPM_REGISTRY_URL,
    pypiUrl: env.WHARF_PYPI_URL,
    nugetUrl: env.WHARF_NUGET_URL,
    cargoUrl: env.WHARF_CARGO_URL,
    logLevel: env.WHARF_LOG_LEVEL ?? 'info',
    githubClientId: env.WHARF_GITHUB_CLIENT_ID,
    githubApiUrl: (env.WHARF_GITHUB_API_URL || 'https://api.github.com').trim(),
    githubOidcIssuer: (env.WHARF_GITHUB_OIDC_ISSUER || 'https://token.actions.githubusercontent.com').trim(),
    // Set but empty disables GitHub Actions login, so `??` rather than `||`.
    githubOidcAudience: env.WHARF_GITHUB_OIDC_AUDIENCE ?? 'mcp-registry',
    dnsResolver: env.WHARF_DNS_RESOLVER,
    httpAuthUrlTemplate: (env.WHARF_HTTP_AUTH_URL_TEMPLATE || 'https://{domain}/.well-known/mcp-registry-auth').trim(),
    oidcIssuer: env.WHARF_OIDC_ISSUER,
    oidcAudience: env.WHARF_OIDC_AUDIENCE,
    oidcRules: env.WHARF_OIDC_RULES,
    oidcRulesFile: env.WHARF_OIDC_RULES_FILE,
    keySecret: env.WHARF_KEY_SECRET,
    registryRead: env.WHARF_REGISTRY_READ ?? 'public',
    rateLimitAuth: env.WHARF_RATE_LIMIT_AUTH ?? 60,
    rateLimitPublish: env.WHARF_RATE_LIMIT_PUBLISH ?? 120,
    syncUpstream: env.WHARF_SYNC_UPSTREAM,
    syncIntervalSeconds: env.WHARF_SYNC_INTERVAL_SECONDS ?? 300,
    syncAllow: env.WHARF_SYNC_ALLOW,
    syncDeny: env.WHARF_SYNC_DENY,
    syncConflict: env.WHARF_SYNC_CONFLICT ?? 'skip',
    syncOverlapSeconds: env.WHARF_SYNC_OVERLAP_SECONDS ?? 300,
    syncReconcileHours: env.WHARF_SYNC_RECONCILE_HOURS ?? 24,
    contextStore: env.WHARF_CONTEXT_STORE ?? 'auto',
    contextDefaultTtlSeconds: env.WHARF_CONTEXT_DEFAULT_TTL_SECONDS ?? 3600,
    contextMaxTtlSeconds: env.WHARF_CONTEXT_MAX_TTL_SECONDS ?? 30 * 86_400,
    contextMaxBytes: env.WHARF_CONTEXT_MAX_BYTES ?? 256 * 1024,
    contextOwnerRule: env.WHARF_CONTEXT_OWNER_RULE ?? 'false',
    contextReapIntervalMs: env.WHARF_CONTEXT_REAP_INTERVAL_MS ?? 500,
    contextEventRetentionSeconds: env.WHARF_CONTEXT_EVENT_RETENTION_SECONDS ?? 3600,
    instanceTtlSeconds: env.WHARF_INSTANCE_TTL_SECONDS ?? 30,
    deregisterAfterSeconds: env.WHARF_DEREGISTER_AFTER_SECONDS ?? 300,
    massExpiryThreshold: env.WHARF_MASS_EXPIRY_THRESHOLD ?? 0.5,
    probes: env.WHARF_PROBES ?? true,
    probeIntervalSeconds: env.WHARF_PROBE_INTERVAL_SECONDS ?? 30,
    probeConcurrency: env.WHARF_PROBE_CONCURRENCY ?? 64,
    probePerHost: env.WHARF_PROBE_PER_HOST ?? 4,
    probeTimeoutMs: env.WHARF_PROBE_TIMEOUT_MS ?? 5000,
    probeSlowMs: env.WHARF_PROBE_SLOW_MS ?? 0,
    secretKey: env.WHARF_SECRET_KEY,
    gatewayConnectTimeoutMs: env.WHARF_GATEWAY_CONNECT_TIMEOUT_MS ?? 5_000,
    gatewayCallTimeoutMs: env.WHARF_GATEWAY_CALL_TIMEOUT_MS ?? 60_000,
    gatewayPassthroughAliases: env.WHARF_GATEWAY_PASSTHROUGH_ALIASES ?? '',
    gatewayLegacyAliases: env.WHARF_GATEWAY_LEGACY_ALIASES ?? '',
    gatewayForwardCalls: env.WHARF_GATEWAY_FORWARD_CALLS ?? true,
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof typeof settingNames;
      const shown =
        key === 'adminToken' || key === 'jwtPrivateKey' || key === 'keySecret' || key === 'secretKey'
          ? '(hidden)'
          : JSON.stringify(raw[key]);
      return `  ${settingNames[key] ?? String(key)} = ${shown}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const login = loginConfig(c);
  if (c.contextStore === 'redis' && !c.redisUrl) {
    throw new ConfigError(
      'Invalid configuration:\n  WHARF_CONTEXT_STORE = "redis": needs --redis-url / WHARF_REDIS_URL',
    );
  }
  if (c.contextDefaultTtlSeconds > c.contextMaxTtlSeconds) {
    throw new ConfigError(
      `Invalid configuration:\n  WHARF_CONTEXT_DEFAULT_TTL_SECONDS = ${c.contextDefaultTtlSeconds}: must not exceed WHARF_CONTEXT_MAX_TTL_SECONDS (${c.contextMaxTtlSeconds})`,
    );
  }
  const gatewayAccess = gatewayAccessConfig(env);
  if (gatewayAccess.problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${gatewayAccess.problems.join('\n')}`);
  }
  const dataDir = path.resolve(c.dataDir);
  let database: WharfConfig['database'];
  if (c.databaseUrl && /^postgres(ql)?:\/\//.test(c.databaseUrl)) {
    database = { kind: 'postgres', url: c.databaseUrl };
  } else if (c.databaseUrl) {
    database = { kind: 'sqlite', file: path.resolve(c.databaseUrl.replace(/^(sqlite|file):(\/\/)?/, '')) };
  } else {
    database = { kind: 'sqlite', file: path.join(dataDir, 'wharf.db') };
  }
  return {
    host: c.host,
    port: c.port,
    dataDir,
    database,
    redisUrl: c.redisUrl,
    adminToken: c.adminToken,
    anonymousAuth: c.anonymousAuth,
    allowPrivateNetworks: c.allowPrivateNetworks,
    jwtPrivateKey: c.jwtPrivateKey,
    jwtTtlSeconds: c.jwtTtlSeconds,
    packageValidation: c.packageValidation,
    registryCache: c.registryCache,
    searchMemory: c.searchMemory,
    packageRegistries: Object.fromEntries(
      Object.entries({ npm: c.npmRegistryUrl, pypi: c.pypiUrl, nuget: c.nugetUrl, cargo: c.cargoUrl }).filter(
        ([, url]) => url !== undefined,
      ),
    ),
    logLevel: c.logLevel,
    githubClientId: c.githubClientId,
    keySecret: c.keySecret,
    registryRead: c.registryRead,
    rateLimitAuth: c.rateLimitAuth,
    rateLimitPublish: c.rateLimitPublish,
    sync: {
      upstream: c.syncUpstream,
      intervalSeconds: c.syncIntervalSeconds,
      allow: c.syncAllow,
      deny: c.syncDeny,
      conflict: c.syncConflict,
      overlapSeconds: c.syncOverlapSeconds,
      reconcileHours: c.syncReconcileHours,
    },
    contexts: {
      store: c.contextStore,
      defaultTtlSeconds: c.contextDefaultTtlSeconds,
      maxTtlSeconds: c.contextMaxTtlSeconds,
      maxDocumentBytes: c.contextMaxBytes,
      ownerRuleNamespaces: ownerRulePatterns(c.contextOwnerRule),
      reapIntervalMs: c.contextReapIntervalMs,
      eventRetentionSeconds: c.contextEventRetentionSeconds,
    },
    liveness: {
      instanceTtlSeconds: c.instanceTtlSeconds,
      deregisterAfterSeconds: c.deregisterAfterSeconds,
      massExpiryThreshold: c.massExpiryThreshold,
      probes: c.probes,
      probeIntervalSeconds: c.probeIntervalSeconds,
      probeConcurrency: c.probeConcurrency,
      probePerHost: c.probePerHost,
      probeTimeoutMs: c.probeTimeoutMs,
      probeSlowMs: c.probeSlowMs,
    },
    login,
    gatewayAccess: gatewayAccess.config,
    secretKey: c.secretKey,
    gatewayConnectTimeoutMs: c.gatewayConnectTimeoutMs,
    gatewayCallTimeoutMs: c.gatewayCallTimeoutMs,
    gatewayPassthroughAliases: c.gatewayPassthroughAliases,
    gatewayLegacyAliases: c.gatewayLegacyAliases,
    gatewayForwardCalls: c.gatewayForwardCalls,
  };
}

function loginConfig(c: z.output<typeof schema>): LoginConfig {
  const problems: string[] = [];
  if (c.oidcRules !== undefined && c.oidcRulesFile !== undefined) {
    problems.push('  WHARF_OIDC_RULES and WHARF_OIDC_RULES_FILE: set only one of them');
  }
  const rules = c.oidcRules ?? c.oidcRulesFile;
  let oidc: LoginConfig['oidc'];
  if (c.oidcIssuer !== undefined) {
    if (c.oidcAudience === undefined) {
      problems.push(
        '  WHARF_OIDC_AUDIENCE: required with WHARF_OIDC_ISSUER (the client id your ID tokens are issued to)',
      );
    }
    if (rules === undefined) {
      problems.push(
        '  WHARF_OIDC_RULES (or WHARF_OIDC_RULES_FILE): required with WHARF_OIDC_ISSUER, or no OIDC login could be granted anything',
      );
    }
    if (c.oidcAudience !== undefined && rules !== undefined) {
      oidc = { issuer: c.oidcIssuer.replace(/\/+$/, ''), audience: c.oidcAudience, rules };
    }
  } else if (c.oidcAudience !== undefined || rules !== undefined) {
    problems.push('  WHARF_OIDC_ISSUER: required when WHARF_OIDC_AUDIENCE or WHARF_OIDC_RULES is set');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return {
    githubApiUrl: c.githubApiUrl.replace(/\/+$/, ''),
    githubOidcIssuer: c.githubOidcIssuer.replace(/\/+$/, ''),
    githubOidcAudience: c.githubOidcAudience,
    dnsResolver: c.dnsResolver,
    httpAuthUrlTemplate: c.httpAuthUrlTemplate,
    oidc,
  };
}

/** `true` = every namespace, `false`/empty = none, otherwise the listed namespace patterns. */
function ownerRulePatterns(value: string): string[] {
  if (/^(true|1|yes|on)$/i.test(value)) return ['*'];
  if (/^(false|0|no|off|)$/i.test(value)) return [];
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** A printable description of the database without credentials. */
export function describeDatabase(db: WharfConfig['database']): string {
  if (db.kind === 'sqlite') return `SQLite ${db.file}`;
  const u = new URL(db.url);
  return `PostgreSQL ${u.hostname}:${u.port || '5432'}${u.pathname}`;
}
