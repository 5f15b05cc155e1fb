import path from 'node:path';
import { z } from 'zod';

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
  logLevel: string;
  githubClientId: string | undefined;
  /** Instance registration, heartbeats and active MCP probes (see docs/liveness.md). */
  liveness: LivenessSettings;
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
  jwtPrivateKey: optionalText.refine(
    (v) => v === undefined || /^[0-9a-fA-F]{64}$/.test(v),
    'must be 64 hex characters (a 32-byte Ed25519 seed, e.g. from `openssl rand -hex 32`)',
  ),
  jwtTtlSeconds: z.coerce.number({ message: 'must be a number' }).int().min(30).max(86_400),
  packageValidation: bool('WHARF_PACKAGE_VALIDATION'),
  registryCache: bool('WHARF_REGISTRY_CACHE'),
  npmRegistryUrl: optionalUrl,
  pypiUrl: optionalUrl,
  nugetUrl: optionalUrl,
  cargoUrl: optionalUrl,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  githubClientId: optionalText,
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
  npmRegistryUrl: 'WHARF_NPM_REGISTRY_URL',
  pypiUrl: 'WHARF_PYPI_URL',
  nugetUrl: 'WHARF_NUGET_URL',
  cargoUrl: 'WHARF_CARGO_URL',
  logLevel: 'WHARF_LOG_LEVEL',
  githubClientId: 'WHARF_GITHUB_CLIENT_ID',
  instanceTtlSeconds: 'WHARF_INSTANCE_TTL_SECONDS',
  deregisterAfterSeconds: 'WHARF_DEREGISTER_AFTER_SECONDS',
  massExpiryThreshold: 'WHARF_MASS_EXPIRY_THRESHOLD',
  probes: 'WHARF_PROBES',
  probeIntervalSeconds: 'WHARF_PROBE_INTERVAL_SECONDS',
  probeConcurrency: 'WHARF_PROBE_CONCURRENCY',
  probePerHost: 'WHARF_PROBE_PER_HOST',
  probeTimeoutMs: 'WHARF_PROBE_TIMEOUT_MS',
  probeSlowMs: 'WHARF_PROBE_SLOW_MS',
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
    npmRegistryUrl: env.WHARF_NPM_REGISTRY_URL,
    pypiUrl: env.WHARF_PYPI_URL,
    nugetUrl: env.WHARF_NUGET_URL,
    cargoUrl: env.WHARF_CARGO_URL,
    logLevel: env.WHARF_LOG_LEVEL ?? 'info',
    githubClientId: env.WHARF_GITHUB_CLIENT_ID,
    instanceTtlSeconds: env.WHARF_INSTANCE_TTL_SECONDS ?? 30,
    deregisterAfterSeconds: env.WHARF_DEREGISTER_AFTER_SECONDS ?? 300,
    massExpiryThreshold: env.WHARF_MASS_EXPIRY_THRESHOLD ?? 0.5,
    probes: env.WHARF_PROBES ?? true,
    probeIntervalSeconds: env.WHARF_PROBE_INTERVAL_SECONDS ?? 30,
    probeConcurrency: env.WHARF_PROBE_CONCURRENCY ?? 64,
    probePerHost: env.WHARF_PROBE_PER_HOST ?? 4,
    probeTimeoutMs: env.WHARF_PROBE_TIMEOUT_MS ?? 5000,
    probeSlowMs: env.WHARF_PROBE_SLOW_MS ?? 0,
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof typeof settingNames;
      const shown = key === 'adminToken' || key === 'jwtPrivateKey' ? '(hidden)' : JSON.stringify(raw[key]);
      return `  ${settingNames[key] ?? String(key)} = ${shown}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
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
    packageRegistries: Object.fromEntries(
      Object.entries({ npm: c.npmRegistryUrl, pypi: c.pypiUrl, nuget: c.nugetUrl, cargo: c.cargoUrl }).filter(
        ([, url]) => url !== undefined,
      ),
    ),
    logLevel: c.logLevel,
    githubClientId: c.githubClientId,
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
  };
}

/** A printable description of the database without credentials. */
export function describeDatabase(db: WharfConfig['database']): string {
  if (db.kind === 'sqlite') return `SQLite ${db.file}`;
  const u = new URL(db.url);
  return `PostgreSQL ${u.hostname}:${u.port || '5432'}${u.pathname}`;
}
