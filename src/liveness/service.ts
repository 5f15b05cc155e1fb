import type { LivenessSettings } from '../config/config.js';
import type { TimeSource } from '../platform/clock.js';
import type { Logger } from '../platform/observability/logger.js';
import { HealthService } from './health.js';
import { InstanceService } from './instances.js';
import type { Leadership } from './leadership.js';
import type { ProbeTarget } from './model.js';
import type { RedisLeases } from './redis-leases.js';
import { ProbeScheduler } from './probe/scheduler.js';
import type { ProbeRunner } from './probe/scheduler.js';
import { instanceTarget, remoteTargets } from './probe/targets.js';
import type { LivenessStore } from './store.js';

/** What liveness needs from the registry, through its service (never its tables). */
export interface ServerCatalog {
  exists(name: string): Promise<boolean>;
  /** The latest version of every active server. */
  latestActive(): AsyncIterable<{ name: string; document: string }>;
}

export interface LivenessDeps {
  store: LivenessStore;
  catalog: ServerCatalog;
  runner: ProbeRunner;
  leadership: Leadership;
  time: TimeSource;
  logger: Logger;
  settings: LivenessSettings;
  sharedLeases: boolean;
  /** Leases in Redis (WHARF_REDIS_URL): every replica sees every heartbeat at once. Closed by `stop()`. */
  redisLeases?: RedisLeases | undefined;
  /** Background loop periods; tests shorten or disable them. */
  timing?: Partial<LivenessTiming>;
}

export interface LivenessTiming {
  reapMs: number;
  probeTickMs: number;
  flushMs: number;
  targetRefreshMs: number;
  healthPollMs: number;
  /** How often replicas on a shared database check whether instances changed (Redis also announces changes). */
  directoryPollMs: number;
}

const DEFAULT_TIMING: LivenessTiming = {
  reapMs: 1000,
  probeTickMs: 250,
  flushMs: 1000,
  targetRefreshMs: 30_000,
  healthPollMs: 2000,
  directoryPollMs: 2000,
};

/**
 * The liveness capability: instances with leases, health from active probes, and the background loops that
 * drive them. Only the leader (see Leadership) probes and reaps; every process serves reads.
 */
export class LivenessService {
  readonly instances: InstanceService;
  readonly health: HealthService;
  readonly scheduler: ProbeScheduler;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly timing: LivenessTiming;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private historyEpoch: number | undefined;
  private started = false;
  private changeTimer: NodeJS.Timeout | undefined;
  private reaperEpoch: number | undefined;

  constructor(private readonly deps: LivenessDeps) {
    const { settings } = deps;
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.instances = new InstanceService(
      deps.store,
      deps.time,
      {
        ttlSeconds: settings.instanceTtlSeconds,
        deregisterAfterSeconds: settings.deregisterAfterSeconds,
        massExpiryThreshold: settings.massExpiryThreshold,
        sharedLeases: deps.sharedLeases,
      },
      deps.logger,
      (name) => deps.catalog.exists(name),
      deps.redisLeases,
    );
    this.health = new HealthService(deps.store, deps.time, deps.logger);
    this.scheduler = new ProbeScheduler(
      deps.runner,
      this.health,
      deps.time,
      {
        intervalMs: settings.probeIntervalSeconds * 1000,
        concurrency: settings.probeConcurrency,
        perHost: settings.probePerHost,
        timeoutMs: settings.probeTimeoutMs,
        slowMs: settings.probeSlowMs || undefined,
      },
      deps.logger,
    );
    this.instances.onChange(() => this.targetsChanged());
  }

  serverExists(name: string): Promise<boolean> {
    return this.deps.catalog.exists(name);
  }

  get leading(): boolean {
    return this.deps.leadership.epoch !== undefined;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.instances.start();
    await this.health.refresh(true);
    await this.deps.leadership.start();
    if (this.leading || !this.deps.sharedLeases) {
      await this.instances.takeOverReaping();
      this.reaperEpoch = this.deps.leadership.epoch;
    }
    await this.refreshTargets();
    const every = (ms: number, work: () => Promise<unknown>) => {
      if (ms <= 0) return;
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        work()
          .catch((err: unknown) => this.deps.logger.error({ err }, 'liveness background task failed'))
          .finally(() => (busy = false));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.timing.reapMs, () => this.reap());
    if (this.deps.settings.probes) {
      every(this.timing.probeTickMs, async () => {
        if (await this.prepareLeader()) this.scheduler.runDue();
      });
    }
    every(this.timing.flushMs, () => this.flush());
    every(this.timing.targetRefreshMs, () => this.refreshTargets());
    every(this.timing.healthPollMs, () => this.health.refresh());
    if (this.deps.sharedLeases) every(this.timing.directoryPollMs, () => this.instances.pollDirectory());
    every(3_600_000, () => this.health.prune());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    await this.scheduler.settle();
    await this.flush().catch(() => {});
    this.health.stop();
    await this.deps.leadership.stop();
    await this.deps.redisLeases?.close();
    this.started = false;
  }

  /** One reaper pass, on the leader (any process with SQLite). */
  async reap(): Promise<void> {
    if (!this.leading && this.deps.sharedLeases) return;
    const epoch = this.deps.leadership.epoch;
    if (this.reaperEpoch !== epoch) {
      await this.instances.takeOverReaping();
      this.reaperEpoch = epoch;
    }
    await this.instances.sweep();
  }

  /** Writes recorded probe outcomes; a fenced-out leader steps down. */
  async flush(): Promise<void> {
    const epoch = this.deps.leadership.epoch;
    if (epoch === undefined) return;
    if (!(await this.health.flush(epoch))) await this.deps.leadership.resign();
  }

  /** On becoming leader, loads the probe history so uptime continues where the previous leader stopped. */
  private async prepareLeader(): Promise<boolean> {
    const epoch = this.deps.leadership.epoch;
    if (epoch === undefined) return false;
    if (this.historyEpoch !== epoch) {
      this.historyEpoch = epoch;
      await this.health.refresh(true);
      await this.health.loadHistory();
      await this.refreshTargets();
    }
    return true;
  }

  /** Probes every target now and waits (tests, benchmarks, `POST /api/v1/health/probe`). */
  async probeNow(): Promise<void> {
    await this.refreshTargets();
    await this.prepareLeader();
    await this.scheduler.probeAllNow();
    await this.flush();
  }

  /** Instances came or went: refresh the targets soon, once for a burst of registrations. */
  private targetsChanged(): void {
    if (!this.deps.settings.probes || this.changeTimer) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      void this.refreshTargets().catch((err: unknown) =>
        this.deps.logger.error({ err }, 'probe target refresh failed'),
      );
    }, 500);
    this.changeTimer.unref();
  }

  /** Recomputes the target set from the registry and the instances (coalescing concurrent calls). */
  async refreshTargets(): Promise<void> {
    // Followers do not probe, so they keep no targets.
    if (!this.leading) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const targets: ProbeTarget[] = [];
        for await (const server of this.deps.catalog.latestActive())
          targets.push(...remoteTargets(server.name, server.document));
        for (const instance of await this.instances.all()) targets.push(instanceTarget(instance));
        this.scheduler.setTargets(targets);
      } while (this.refreshAgain);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}
