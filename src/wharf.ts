import { Authenticator } from './auth/authenticator.js';
import { loadSigningKey } from './auth/signing-key.js';
import { RegistryTokens } from './auth/tokens.js';
import type { WharfConfig } from './config/config.js';
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
  close(): Promise<void>;
}

export interface WharfOverrides {
  clock?: Clock;
  packageVerifier?: PackageVerifier;
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
  const indexed = await registry.indexUnindexed();
  if (indexed > 0) logger.info({ servers: indexed }, 'search index built for servers stored before it existed');
  const registryCache = new RegistryReadCache({
    readGeneration: () => registry.generation(),
    enabled: config.registryCache,
  });
  registry.onWrite(() => registryCache.invalidate());
  await registryCache.start();
  const tokens = new RegistryTokens(loadSigningKey(config.dataDir, config.jwtPrivateKey), config.jwtTtlSeconds);
  const authenticator = new Authenticator(tokens, config.adminToken);
  return {
    config,
    logger,
    database,
    registry,
    registryCache,
    tokens,
    authenticator,
    async close() {
      registryCache.stop();
      await outbound.close();
      await database.close();
    },
  };
}
