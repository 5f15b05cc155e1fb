import type { AuditTrail } from './audit/trail.js';
import { noAuditTrail } from './audit/trail.js';
import { Authenticator } from './auth/authenticator.js';
import { LoginService } from './auth/login/service.js';
import type { LoginServiceOptions } from './auth/login/service.js';
import { loadSigningKey } from './auth/signing-key.js';
import { RegistryTokens } from './auth/tokens.js';
import type { WharfConfig } from './config/config.js';
import { GatewayService } from './gateway/service.js';
import type { UpstreamEndpoints } from './gateway/service.js';
import { GatewayStore } from './gateway/store.js';
import { VirtualServerService } from './gateway/virtual-servers.js';
import { monotonicClock } from './platform/clock.js';
import { loadSecretBox } from './platform/crypto/secret-box.js';
import type { SecretBox } from './platform/crypto/secret-box.js';
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
  login: LoginService;
  /** Seals secrets at rest; its key is derived once, here. */
  secrets: SecretBox;
  gateway: GatewayService;
  virtualServers: VirtualServerService;
  close(): Promise<void>;
}

export interface WharfOverrides {
  clock?: Clock;
  packageVerifier?: PackageVerifier;
  /** Where login attempts are recorded (default: nowhere). */
  auditTrail?: AuditTrail;
  /** Test seams for the login methods: wall clock, TXT lookups, address resolution. */
  login?: Pick<LoginServiceOptions, 'now' | 'lookupTxt' | 'resolveAddress'>;
  /** Where the gateway reaches an upstream's server (default: its remote URL); the healthy-instances hook. */
  gatewayEndpoints?: UpstreamEndpoints;
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
  const login = new LoginService({
    config: config.login,
    allowPrivateNetworks: config.allowPrivateNetworks,
    tokens,
    audit: overrides.auditTrail ?? noAuditTrail,
    logger,
    ...overrides.login,
  });
  const secrets = loadSecretBox(config);
  const gatewayStore = new GatewayStore(database);
  const gateway = new GatewayService(gatewayStore, registry, secrets, overrides.gatewayEndpoints);
  const virtualServers = new VirtualServerService(gatewayStore);
  return {
    config,
    logger,
    database,
    registry,
    registryCache,
    tokens,
    authenticator,
    login,
    secrets,
    gateway,
    virtualServers,
    async close() {
      registryCache.stop();
      await outbound.close();
      await login.close();
      await database.close();
    },
  };
}
