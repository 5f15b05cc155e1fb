import { Authenticator } from './auth/authenticator.js';
import { loadSigningKey } from './auth/signing-key.js';
import { RegistryTokens } from './auth/tokens.js';
import type { WharfConfig } from './config/config.js';
import { monotonicClock } from './platform/clock.js';
import type { Clock } from './platform/clock.js';
import { PostgresLeadership, SoleLeadership } from './liveness/leadership.js';
import { McpProbe } from './liveness/probe/mcp-probe.js';
import { LivenessService } from './liveness/service.js';
import type { LivenessTiming, ServerCatalog } from './liveness/service.js';
import { LivenessStore } from './liveness/store.js';
import { systemTime } from './platform/clock.js';
import type { TimeSource } from './platform/clock.js';
import { createOutboundClient } from './platform/net/index.js';
import type { OutboundClient } from './platform/net/index.js';
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
  liveness: LivenessService;
  close(): Promise<void>;
}

export interface WharfOverrides {
  clock?: Clock;
  packageVerifier?: PackageVerifier;
  /** Lease and probe time (tests move it by hand). */
  time?: TimeSource;
  /** Liveness background loop periods (tests disable them and drive the loops themselves). */
  livenessTiming?: Partial<LivenessTiming>;
  /** False for one-shot commands (`wharf import`): no probes, no lease reaper, no leadership taken. */
  background?: boolean;
  /** How often a PostgreSQL follower tries to take the liveness leadership. */
  leaderRetryMs?: number;
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
  // Probes get their own pool: thousands of targets must not crowd out package-ownership checks.
  const probeClient = createOutboundClient({
    allowPrivateNetworks: config.allowPrivateNetworks,
    userAgent: 'Wharf-Probe/1.0',
    timeoutMs: config.liveness.probeTimeoutMs,
  });
  const liveness = createLiveness(config, logger, database, registry, probeClient, overrides);
  liveness.health.onPublish(() => registryCache.invalidate());
  if (overrides.background !== false) await liveness.start();
  return {
    config,
    logger,
    database,
    registry,
    registryCache,
    tokens,
    authenticator,
    liveness,
    async close() {
      await liveness.stop();
      await probeClient.close();
      registryCache.stop();
      await outbound.close();
      await database.close();
    },
  };
}

function createLiveness(
  config: WharfConfig,
  logger: Logger,
  database: Database,
  registry: RegistryService,
  probeClient: OutboundClient,
  overrides: WharfOverrides,
): LivenessService {
  const store = new LivenessStore(database);
  const catalog: ServerCatalog = {
    async exists(name) {
      return registry.get(name, 'latest', false).then(
        () => true,
        () => false,
      );
    },
    async *latestActive() {
      let cursor: { name: string; version: string } | undefined;
      for (;;) {
        const page = await registry.list({
          limit: 500,
          version: 'latest',
          includeDeleted: false,
          ...(cursor ? { cursor } : {}),
        });
        for (const v of page.servers) if (v.status === 'active') yield { name: v.name, document: v.document };
        const last = page.servers.at(-1);
        if (!page.nextCursor || !last) return;
        cursor = { name: last.name, version: last.version };
      }
    },
  };
  const shared = config.database.kind === 'postgres';
  const leadership =
    config.database.kind === 'postgres'
      ? new PostgresLeadership(
          config.database.url,
          store,
          logger.child({ component: 'liveness' }),
          overrides.leaderRetryMs ?? 5000,
        )
      : new SoleLeadership(store);
  return new LivenessService({
    store,
    catalog,
    runner: new McpProbe(probeClient),
    leadership,
    time: overrides.time ?? systemTime,
    logger: logger.child({ component: 'liveness' }),
    settings: config.liveness,
    sharedLeases: shared,
    timing: overrides.livenessTiming,
  });
}
