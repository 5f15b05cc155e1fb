import { AuditService } from './audit/service.js';
import { AuditStore } from './audit/store.js';
import { noAuditTrail } from './audit/trail.js';
import type { AuditTrail } from './audit/trail.js';
import { Authenticator } from './auth/authenticator.js';
import { LoginService } from './auth/login/service.js';
import type { LoginServiceOptions } from './auth/login/service.js';
import { loadSigningKey } from './auth/signing-key.js';
import { RegistryTokens } from './auth/tokens.js';
import type { WharfConfig } from './config/config.js';
import { loadKeySecret } from './keys/secret.js';
import { ApiKeyService } from './keys/service.js';
import { ApiKeyStore } from './keys/store.js';
import { RateLimits } from './limits/rate-limits.js';
import { createContextStore } from './contexts/backend.js';
import { ContextService } from './contexts/service.js';
import { GatewayPolicyService, GatewayPolicyStore } from './gateway/access/policy.js';
import { GatewayService } from './gateway/service.js';
import type { UpstreamEndpoints } from './gateway/service.js';
import { GatewayStore } from './gateway/store.js';
import { VirtualServerService } from './gateway/virtual-servers.js';
import { monotonicClock } from './platform/clock.js';
import { loadSecretBox } from './platform/crypto/secret-box.js';
import type { SecretBox } from './platform/crypto/secret-box.js';
import type { Clock } from './platform/clock.js';
import { PostgresLeadership, SoleLeadership } from './liveness/leadership.js';
import { McpProbe } from './liveness/probe/mcp-probe.js';
import { LivenessService } from './liveness/service.js';
import type { LivenessTiming, ServerCatalog } from './liveness/service.js';
import { LivenessStore } from './liveness/store.js';
import type { RedisLeases } from './liveness/redis-leases.js';
import { InstanceRouting } from './liveness/routing.js';
import { systemTime } from './platform/clock.js';
import type { TimeSource } from './platform/clock.js';
import { createOutboundClient } from './platform/net/index.js';
import type { OutboundClient } from './platform/net/index.js';
import type { Logger } from './platform/observability/logger.js';
import { openDatabase } from './platform/storage/database.js';
import type { Database } from './platform/storage/database.js';
import { createPackageVerifier } from './registry/ownership/index.js';
import { RegistryReadCache } from './registry/read-cache.js';
import { MemorySearchIndex } from './registry/search/memory-index.js';
import { MemoryIndexSource } from './registry/search/memory-source.js';
import { RegistryService } from './registry/service.js';
import type { PackageVerifier } from './registry/service.js';
import { RegistryStore } from './registry/store.js';
import { createSync } from './sync/index.js';
import type { SyncJob, SyncService } from './sync/index.js';

/** Everything below the HTTP edge: database, stores, services. Shared by `serve`, `import` and tests. */
export interface Wharf {
  config: WharfConfig;
  logger: Logger;
  database: Database;
  registry: RegistryService;
  registryCache: RegistryReadCache;
  /** The in-memory ranked search (undefined when WHARF_SEARCH_MEMORY=false). */
  searchMemory: MemorySearchIndex | undefined;
  tokens: RegistryTokens;
  authenticator: Authenticator;
  login: LoginService;
  keys: ApiKeyService;
  audit: AuditService;
  rateLimits: RateLimits;
  sync: SyncService;
  /** Runs when WHARF_SYNC_UPSTREAM is set and `serve` starts it. */
  syncJob: SyncJob | undefined;
  contexts: ContextService;
  liveness: LivenessService;
  /** Where capabilities record who did what (default: nowhere). */
  auditTrail: AuditTrail;
  gatewayPolicies: GatewayPolicyService;
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
  /** The context store's clock (epoch ms), so tests can move time for TTLs. */
  contextClock?: () => number;
  /** Prefix of the context store's Redis keys, so test runs can share a Redis. */
  redisKeyPrefix?: string;
  /** Lease and probe time (tests move it by hand). */
  time?: TimeSource;
  /** Liveness background loop periods (tests disable them and drive the loops themselves). */
  livenessTiming?: Partial<LivenessTiming>;
  /** False for one-shot commands (`wharf import`, `wharf sync`): no probes, lease reaper, leadership or search index. */
  background?: boolean;
  /** How often a PostgreSQL follower tries to take the liveness leadership. */
  leaderRetryMs?: number;
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
  const indexed = await registry.indexUnindexed();
  if (indexed > 0) logger.info({ servers: indexed }, 'search index built for servers stored before it existed');
  const registryCache = new RegistryReadCache({
    readGeneration: () => registry.generation(),
    enabled: config.registryCache,
  });
  registry.onWrite(() => registryCache.invalidate());
  await registryCache.start();
  // Built in the background: SQL answers searches until it is ready (and whenever it is not current).
  const searchMemory =
    config.searchMemory && overrides.background !== false
      ? new MemorySearchIndex(new MemoryIndexSource(database), {
          onError: (error, what) => logger.warn({ err: error, what }, 'in-memory search index: SQL answers meanwhile'),
          onBuilt: (servers, ms) => logger.info({ servers, ms }, 'in-memory search index built'),
        })
      : undefined;
  if (searchMemory) {
    registry.useMemorySearch(searchMemory);
    searchMemory.start();
  }
  const tokens = new RegistryTokens(loadSigningKey(config.dataDir, config.jwtPrivateKey), config.jwtTtlSeconds);
  const keys = new ApiKeyService(
    new ApiKeyStore(database),
    loadKeySecret(config.dataDir, config.keySecret),
    tokens,
    clock,
    { onFlushError: (error) => logger.warn({ err: error }, 'could not record API key last use') },
  );
  const authenticator = new Authenticator(tokens, config.adminToken, { keys });
  const audit = new AuditService(new AuditStore(database), clock, (error, event) =>
    logger.error({ err: error, action: event.action, target: event.target }, 'audit event could not be recorded'),
  );
  const login = new LoginService({
    config: config.login,
    allowPrivateNetworks: config.allowPrivateNetworks,
    tokens,
    // The HTTP audit hook (src/audit/http.ts) records every login from its route and the token issued;
    // this trail only serves callers outside HTTP.
    audit: overrides.auditTrail ?? noAuditTrail,
    logger,
    ...overrides.login,
  });
  const rateLimits = await RateLimits.create({
    authPerMinute: config.rateLimitAuth,
    publishPerMinute: config.rateLimitPublish,
    redisUrl: config.redisUrl,
    onRedisError: (error) => logger.warn({ err: error }, 'Redis rate limit store error; limiting per process'),
  });
  const sync = createSync({ config, registry, database, clock, logger });
  const contextStore = await createContextStore(config, database, { keyPrefix: overrides.redisKeyPrefix });
  const contexts = new ContextService(contextStore, config.contexts, logger, overrides.contextClock);
  contexts.start();
  // Probes get their own pool: thousands of targets must not crowd out package-ownership checks.
  const probeClient = createOutboundClient({
    allowPrivateNetworks: config.allowPrivateNetworks,
    userAgent: 'Wharf-Probe/1.0',
    timeoutMs: config.liveness.probeTimeoutMs,
  });
  // Leases in Redis when configured, so every replica sees every heartbeat (the client is loaded only when used).
  const redisLeases =
    config.redisUrl && overrides.background !== false
      ? await (
          await import('./liveness/redis-leases.js')
        ).RedisLeases.connect({ url: config.redisUrl, keyPrefix: overrides.redisKeyPrefix })
      : undefined;
  const liveness = createLiveness(config, logger, database, registry, probeClient, overrides, redisLeases);
  liveness.health.onPublish(() => registryCache.invalidate());
  if (overrides.background !== false) await liveness.start();
  const gatewayPolicies = new GatewayPolicyService(new GatewayPolicyStore(database), {
    defaultDecision: config.gatewayAccess.defaultDecision,
  });
  await gatewayPolicies.start();
  const secrets = loadSecretBox(config);
  const gatewayStore = new GatewayStore(database);
  // The gateway reaches a server through its passing registered instances when it has some (src/liveness/routing.ts).
  const routing = overrides.gatewayEndpoints
    ? undefined
    : new InstanceRouting(liveness.instances, {
        allowPrivateNetworks: config.allowPrivateNetworks,
        logger: logger.child({ component: 'gateway' }),
      });
  const gateway = new GatewayService(gatewayStore, registry, secrets, overrides.gatewayEndpoints ?? routing?.endpoints);
  routing?.onChange(() => gateway.endpointsChanged());
  const virtualServers = new VirtualServerService(gatewayStore);
  return {
    config,
    logger,
    database,
    registry,
    registryCache,
    searchMemory,
    tokens,
    authenticator,
    login,
    keys,
    audit,
    rateLimits,
    sync: sync.service,
    syncJob: sync.job,
    contexts,
    liveness,
    auditTrail: overrides.auditTrail ?? audit,
    gatewayPolicies,
    secrets,
    gateway,
    virtualServers,
    async close() {
      await sync.close();
      await liveness.stop();
      await probeClient.close();
      gatewayPolicies.stop();
      registryCache.stop();
      searchMemory?.stop();
      await keys.close();
      await rateLimits.close();
      await contexts.close();
      await outbound.close();
      await login.close();
      await audit.flush();
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
  redisLeases?: RedisLeases,
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
    redisLeases,
    timing: overrides.livenessTiming,
  });
}
