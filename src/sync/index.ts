import type { WharfConfig } from '../config/config.js';
import type { Clock } from '../platform/clock.js';
import { createOutboundClient } from '../platform/net/index.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Database } from '../platform/storage/database.js';
import type { RegistryService } from '../registry/service.js';
import { buildInfo } from '../version.js';
import { SyncJob } from './job.js';
import { SyncService } from './service.js';
import type { SyncSettings } from './service.js';
import { SyncStateStore } from './store.js';
import { UpstreamClient } from './upstream.js';

export { SyncJob } from './job.js';
export { CONFLICT_POLICIES, SyncService } from './service.js';
export type { SyncProgress, SyncRunOptions, SyncSettings, SyncSummary } from './service.js';
export { normaliseUpstream } from './upstream.js';

export interface SyncWiring {
  service: SyncService;
  /** The background job, when WHARF_SYNC_UPSTREAM is set; `serve` starts it. */
  job: SyncJob | undefined;
  close(): Promise<void>;
}

/** The sync settings from configuration, for a given upstream. */
export function syncSettingsFrom(config: WharfConfig, upstream: string): SyncSettings {
  return {
    upstream,
    allow: config.sync.allow,
    deny: config.sync.deny,
    conflict: config.sync.conflict,
    overlapSeconds: config.sync.overlapSeconds,
    reconcileHours: config.sync.reconcileHours,
  };
}

export function createSync(deps: {
  config: WharfConfig;
  registry: RegistryService;
  database: Database;
  clock: Clock;
  logger: Logger;
}): SyncWiring {
  const { config } = deps;
  // Every upstream request goes through the SSRF guard: the upstream is configurable, so it is untrusted.
  const outbound = createOutboundClient({
    allowPrivateNetworks: config.allowPrivateNetworks,
    userAgent: `Wharf-Sync/${buildInfo.version}`,
    timeoutMs: 60_000,
  });
  const service = new SyncService({
    registry: deps.registry,
    store: new SyncStateStore(deps.database),
    clock: deps.clock,
    logger: deps.logger.child({ component: 'sync' }),
    upstreamClient: (baseUrl, signal) => new UpstreamClient({ client: outbound, baseUrl, signal }),
  });
  const upstream = config.sync.upstream;
  const job = upstream
    ? new SyncJob(
        service,
        syncSettingsFrom(config, upstream),
        config.sync.intervalSeconds * 1000,
        deps.logger.child({ component: 'sync' }),
      )
    : undefined;
  return {
    service,
    job,
    async close() {
      await job?.stop();
      await outbound.close();
    },
  };
}
