import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../platform/observability/logger.js';
import type { SyncService, SyncSettings, SyncSummary } from './service.js';

const VERSION_RESULTS = ['inserted', 'updated', 'unchanged', 'removed', 'filtered', 'conflicts', 'invalid'] as const;

/**
 * The background sync of `wharf serve`: a pass at start, then one every interval after the previous one ended.
 * Replicas sharing PostgreSQL all run the job; the advisory lock lets one of them sync at a time.
 */
export class SyncJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  private readonly runs = new Counter({
    name: 'wharf_sync_runs_total',
    help: 'Background sync runs by outcome (completed, stopped, not_leader: another replica was syncing, error)',
    labelNames: ['outcome'],
    registers: [],
  });
  private readonly versions = new Counter({
    name: 'wharf_sync_versions_total',
    help: 'Upstream versions handled by the background sync, by result',
    labelNames: ['result'],
    registers: [],
  });
  private readonly lastSuccess = new Gauge({
    name: 'wharf_sync_last_success_timestamp_seconds',
    help: 'When the last sync pass completed (Unix time)',
    registers: [],
  });
  private readonly lastDuration = new Gauge({
    name: 'wharf_sync_last_duration_seconds',
    help: 'Duration of the last sync run',
    registers: [],
  });
  private readonly highWater = new Gauge({
    name: 'wharf_sync_high_water_timestamp_seconds',
    help: 'Every upstream change up to this upstream time is mirrored (Unix time)',
    registers: [],
  });

  constructor(
    private readonly sync: SyncService,
    private readonly settings: SyncSettings,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  registerMetrics(registry: Registry): void {
    registry.registerMetric(this.runs);
    registry.registerMetric(this.versions);
    for (const gauge of [this.lastSuccess, this.lastDuration, this.highWater]) registry.registerMetric(gauge);
  }

  start(): void {
    if (this.timer || this.running || this.stopped) return;
    this.schedule(0);
  }

  /** Stops scheduling and interrupts a run at its next page boundary (its cursor is committed). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.schedule(this.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    const started = performance.now();
    try {
      const summary = await this.sync.run(this.settings, { signal: this.abort.signal });
      this.record(summary);
    } catch (error) {
      this.runs.inc({ outcome: 'error' });
      this.logger.error({ err: error, upstream: this.settings.upstream }, 'sync failed; retrying at the next interval');
    } finally {
      this.lastDuration.set((performance.now() - started) / 1000);
    }
  }

  private record(summary: SyncSummary): void {
    this.runs.inc({ outcome: summary.outcome === 'not-leader' ? 'not_leader' : summary.outcome });
    if (summary.outcome === 'not-leader') {
      this.logger.debug({ upstream: summary.upstream }, 'sync skipped: another replica holds the sync lock');
      return;
    }
    for (const result of VERSION_RESULTS) this.versions.inc({ result }, summary[result]);
    if (summary.outcome === 'completed') this.lastSuccess.set(Date.now() / 1000);
    if (summary.highWater) this.highWater.set(Date.parse(summary.highWater) / 1000);
  }
}
