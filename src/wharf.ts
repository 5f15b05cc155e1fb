import { Authenticator } from './auth/authenticator.js';
import { loadSigningKey } from './auth/signing-key.js';
import { RegistryTokens } from './auth/tokens.js';
import type { WharfConfig } from './config/config.js';
import { createContextStore } from './contexts/backend.js';
import { ContextService } from './contexts/service.js';
import { monotonicClock } from './platform/clock.js';
import type { Clock } from './platform/clock.js';
import { createOutboundClient } from './platform/net/index.js';
import type { Logger } from './platform/observability/logger.js';
import { openDatabase } from './platform/storage/database.js';
import type { Database } from './platform/storage/database.js';
import { createPackageVerifier } from './registry/ownership/index.js';
import { RegistryReadCache } from './registry/read-cache.js';
import { RegistryService } from './registry/service.js';
import type { PackageVerifier } from './registry/service.js';
import { RegistryStore } from './registry/store.js';

/** Everything below the HTTP edge: database, stores, services. Shared by `serve`, `import` and tests. */
export interface Wharf {
  config: WharfConfig;
  logger: Logger;
  database: Database;
  registry: RegistryService;
  registryCache: RegistryReadCache;
  tokens: RegistryTokens;
  authenticator: Authenticator;
  contexts: ContextService;
  close(): Promise<void>;
}

export interface WharfOverrides {
  clock?: Clock;
  packageVerifier?: PackageVerifier;
  /** The context store's clock (epoch ms), so tests can move time for TTLs. */
  contextClock?: () => number;
  /** Prefix of the context store's Redis keys, so test runs can share a Redis. */
  redisKeyPrefix?: string;
}

export async function createWharf(config: WharfConfig, logger: Logger, overrides: WharfOverrides = {}): Promise<Wharf> {
  const database = await openDatabase(config.database);
  const clock = overrides.clock ?? monotonicClock();
  const outbound = createOutboundClient({
    allowPrivateNetworks: config.allowPrivateNetworks,
    userAgent: 'Wharf-Registry-Validator/1.0',
    timeoutMs: 10_000,
  });
  const verifier =
    overrides.packageVerifier ??
    createPackageVerifier({
      enabled: config.packageValidation,
      client: outbound,
      baseUrls: config.packageRegistries,
    });
  const registry = new RegistryService(new RegistryStore(database), verifier, clock);
  const registryCache = new RegistryReadCache({
    readGeneration: () => registry.generation(),
    enabled: config.registryCache,
  });
  registry.onWrite(() => registryCache.invalidate());
  await registryCache.start();
  const tokens = new RegistryTokens(loadSigningKey(config.dataDir, config.jwtPrivateKey), config.jwtTtlSeconds);
  const authenticator = new Authenticator(tokens, config.adminToken);
  const contextStore = await createContextStore(config, database, { keyPrefix: overrides.redisKeyPrefix });
  const contexts = new ContextService(contextStore, config.contexts, logger, overrides.contextClock);
  contexts.start();
  return {
    config,
    logger,
    database,
    registry,
    registryCache,
    tokens,
    authenticator,
    contexts,
    async close() {
      registryCache.stop();
      await contexts.close();
      await outbound.close();
      await database.close();
    },
  };
}
