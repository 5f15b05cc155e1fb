import type { TimeSource } from '../platform/clock.js';
import type { Logger } from '../platform/observability/logger.js';
import type {
  HealthFilter,
  HealthHour,
  HealthStatus,
  HealthTransition,
  ProbeResult,
  ProbeTarget,
  TargetHealth,
} from './model.js';
import type { HealthBatch, LivenessStore } from './store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();
const hourOf = (ms: number) => iso(Math.floor(ms / HOUR_MS) * HOUR_MS);

/** What registry responses carry under `_meta["dev.wharf/health"]`. */
export interface PublishedHealth {
  status: HealthStatus;
  checkedAt: string;
  latencyMs: number | null;
  protocolVersion: string | null;
  era: string | null;
  uptime24h: number | null;
  targets: number;
  lastError?: string;
}

export interface HealthHistory {
  server: string;
  health: PublishedHealth | { status: 'unknown' };
  targets: TargetHealth[];
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; samples: number };
  uptime24h: number | null;
  hours: { hour: string; probes: number; passing: number }[];
  transitions: { targetId: string; at: string; from: HealthStatus | null; to: HealthStatus; error: string | null }[];
}

/** Worst of the targets' states, except that some passing and some not is a warning, not an outage. */
export function aggregateStatus(statuses: readonly HealthStatus[]): HealthStatus {
  if (statuses.every((s) => s === 'passing')) return 'passing';
  if (statuses.every((s) => s === 'critical')) return 'critical';
  return 'warning';
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? null;
}

/**
 * Health of every probe target: records what probes saw (batched into one transaction per flush), keeps the
 * published per-server summaries that registry responses embed, and the history behind /api/v1/health.
 * Every replica serves the same data: followers reload from the database when its generation moves.
 */
export class HealthService {
  private checks = new Map<string, TargetHealth>();
  private byServer = new Map<string, Set<string>>();
  private published = new Map<string, string>();
  private dirtyServers = new Set<string>();
  private hours = new Map<string, HealthHour[]>();
  private pending: HealthBatch = { checks: [], transitions: [], hours: [], removed: [] };
  private knownGeneration = -1;
  private readonly listeners: (() => void)[] = [];
  private notifyTimer: NodeJS.Timeout | undefined;
  /** Probe outcomes since start, by status and era (for metrics). */
  readonly probeCounts = new Map<string, number>();

  constructor(
    private readonly store: LivenessStore,
    private readonly time: TimeSource,
    private readonly logger: Logger,
    private readonly notifyDelayMs = 250,
  ) {}

  /** Called (coalesced) when published health changed: registry caches drop their bodies. */
  onPublish(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Loads health from the database when another process changed it. */
  async refresh(force = false): Promise<void> {
    const generation = await this.store.generation();
    if (!force && generation === this.knownGeneration) return;
    this.knownGeneration = generation;
    const rows = await this.store.allHealth();
    this.checks = new Map(rows.map((r) => [r.targetId, r]));
    this.byServer = new Map();
    for (const r of rows) this.index(r);
    this.dirtyServers = new Set([...this.published.keys(), ...this.byServer.keys()]);
    this.schedulePublish();
  }

  /** The prober's own history window (24 hourly buckets per target), loaded when it becomes the prober. */
  async loadHistory(): Promise<void> {
    this.hours = new Map();
    for (const h of await this.store.hoursSince(hourOf(this.time.nowMs() - DAY_MS))) {
      const list = this.hours.get(h.targetId) ?? [];
      list.push(h);
      this.hours.set(h.targetId, list);
    }
  }

  private index(h: TargetHealth): void {
    let set = this.byServer.get(h.server);
    if (!set) this.byServer.set(h.server, (set = new Set()));
    set.add(h.targetId);
  }

  /** Applies one probe outcome; written to the database at the next flush. */
  record(target: ProbeTarget, result: ProbeResult): TargetHealth {
    const now = this.time.nowMs();
    const previous = this.checks.get(target.id);
    const hour = this.bucket(target, now);
    hour.probes += 1;
    if (result.status !== 'critical') {
      hour.passing += 1;
      hour.latencies.push(result.latencyMs);
    }
    const health: TargetHealth = {
      targetId: target.id,
      kind: target.kind,
      server: target.server,
      url: target.url,
      transport: target.transport,
      status: result.status,
      statusSince: previous && previous.status === result.status ? previous.statusSince : iso(now),
      checkedAt: iso(now),
      latencyMs: result.latencyMs,
      era: result.era ?? null,
      protocolVersion: result.protocolVersion ?? null,
      reportedName: result.serverName ?? null,
      reportedVersion: result.serverVersion ?? null,
      toolCount: result.toolNames ? result.toolNames.length : null,
      toolNames: result.toolNames ?? null,
      lastError: result.error ?? null,
      consecutiveFailures: result.status === 'critical' ? (previous?.consecutiveFailures ?? 0) + 1 : 0,
      uptime24h: this.uptime(target.id, now),
    };
    if (!previous || previous.status !== result.status) {
      const transition: HealthTransition = {
        targetId: target.id,
        at: iso(now),
        from: previous?.status ?? null,
        to: result.status,
        error: result.error ?? null,
      };
      this.pending.transitions.push(transition);
      const log = result.status === 'critical' ? 'warn' : 'info';
      this.logger[log](
        { target: target.id, from: transition.from, to: transition.to, error: result.error },
        'health changed',
      );
    }
    this.checks.set(target.id, health);
    this.index(health);
    this.pending.checks.push(health);
    this.dirtyServers.add(target.server);
    this.schedulePublish();
    const key = `${result.status}|${result.era ?? 'none'}`;
    this.probeCounts.set(key, (this.probeCounts.get(key) ?? 0) + 1);
    return health;
  }

  /** Forgets targets that are gone (their server was deleted, or the instance deregistered). */
  forget(targetIds: readonly string[]): void {
    for (const id of targetIds) {
      const known = this.checks.get(id);
      if (!known) continue;
      this.checks.delete(id);
      this.byServer.get(known.server)?.delete(id);
      this.dirtyServers.add(known.server);
      this.pending.removed.push(id);
    }
    if (targetIds.length > 0) this.schedulePublish();
  }

  private bucket(target: ProbeTarget, now: number): HealthHour {
    const hour = hourOf(now);
    let list = this.hours.get(target.id);
    if (!list) this.hours.set(target.id, (list = []));
    let bucket = list.find((h) => h.hour === hour);
    if (!bucket) {
      bucket = { targetId: target.id, hour, server: target.server, probes: 0, passing: 0, latencies: [] };
      list.push(bucket);
      const horizon = hourOf(now - DAY_MS);
      while (list.length > 0 && (list[0]?.hour ?? '') < horizon) list.shift();
    }
    if (!this.pending.hours.includes(bucket)) this.pending.hours.push(bucket);
    return bucket;
  }

  private uptime(targetId: string, now: number): number | null {
    const horizon = hourOf(now - DAY_MS);
    let probes = 0;
    let passing = 0;
    for (const h of this.hours.get(targetId) ?? []) {
      if (h.hour < horizon) continue;
      probes += h.probes;
      passing += h.passing;
    }
    return probes === 0 ? null : Math.round((passing / probes) * 10_000) / 10_000;
  }

  /** Writes what was recorded since the last flush, fenced by the prober's epoch. False when fenced out. */
  async flush(epoch: number): Promise<boolean> {
    const batch = this.pending;
    if (batch.checks.length === 0 && batch.removed.length === 0) return true;
    this.pending = { checks: [], transitions: [], hours: [], removed: [] };
    // The same target may have been probed twice since the last flush: keep its latest state only.
    const latest = new Map(batch.checks.map((c) => [c.targetId, c]));
    batch.checks = [...latest.values()];
    const written = await this.store.writeHealth(batch, epoch);
    // Our own write moved the generation by exactly one; a poll will still see writes of others.
    if (written && this.knownGeneration >= 0) this.knownGeneration += 1;
    return written;
  }

  async prune(): Promise<void> {
    await this.store.pruneHistory(iso(this.time.nowMs() - 7 * DAY_MS));
  }

  private schedulePublish(): void {
    if (this.notifyTimer || this.listeners.length === 0) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      for (const l of this.listeners) l();
    }, this.notifyDelayMs);
    this.notifyTimer.unref();
  }

  stop(): void {
    clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
  }

  /** The summary of one server, or undefined when none of its targets was probed yet. */
  summary(server: string): PublishedHealth | undefined {
    const ids = this.byServer.get(server);
    if (!ids || ids.size === 0) return undefined;
    const targets = [...ids].map((id) => this.checks.get(id)).filter((h): h is TargetHealth => h !== undefined);
    if (targets.length === 0) return undefined;
    const status = aggregateStatus(targets.map((t) => t.status));
    const up = targets.filter((t) => t.status !== 'critical');
    const primary = up[0] ?? targets[0];
    const uptimes = targets.map((t) => t.uptime24h).filter((u): u is number => u !== null);
    const summary: PublishedHealth = {
      status,
      checkedAt:
        targets
          .map((t) => t.checkedAt)
          .sort()
          .at(-1) ?? '',
      latencyMs: up.length > 0 ? Math.max(...up.map((t) => t.latencyMs ?? 0)) : null,
      protocolVersion: primary?.protocolVersion ?? null,
      era: primary?.era ?? null,
      uptime24h:
        uptimes.length > 0 ? Math.round((uptimes.reduce((a, b) => a + b, 0) / uptimes.length) * 10_000) / 10_000 : null,
      targets: targets.length,
    };
    const failing = targets.find((t) => t.status !== 'passing' && t.lastError);
    if (failing?.lastError) summary.lastError = failing.lastError;
    return summary;
  }

  /** The `_meta` value for a server as JSON, memoised until that server's health changes. */
  metaJson(server: string): string | undefined {
    if (this.dirtyServers.has(server)) {
      this.dirtyServers.delete(server);
      const summary = this.summary(server);
      if (summary) this.published.set(server, JSON.stringify(summary));
      else this.published.delete(server);
    }
    return this.published.get(server);
  }

  /** For the server list's `health=` filter: the names in that state, or (for `unknown`) the names to exclude. */
  namesFor(filter: HealthFilter): { names: string[]; exclude: boolean } {
    if (filter === 'unknown') return { names: [...this.byServer.keys()].filter((s) => this.summary(s)), exclude: true };
    const names: string[] = [];
    for (const server of this.byServer.keys()) if (this.summary(server)?.status === filter) names.push(server);
    return { names, exclude: false };
  }

  /** Counts of servers and targets per status, for metrics. */
  statusCounts(): { servers: Record<HealthStatus, number>; targets: Record<HealthStatus, number> } {
    const servers = { passing: 0, warning: 0, critical: 0 };
    const targets = { passing: 0, warning: 0, critical: 0 };
    for (const h of this.checks.values()) targets[h.status] += 1;
    for (const server of this.byServer.keys()) {
      const s = this.summary(server);
      if (s) servers[s.status] += 1;
    }
    return { servers, targets };
  }

  target(targetId: string): TargetHealth | undefined {
    return this.checks.get(targetId);
  }

  knownTargetIds(): string[] {
    return [...this.checks.keys()];
  }

  async history(server: string, hours: number): Promise<HealthHistory> {
    const now = this.time.nowMs();
    const since = iso(now - hours * HOUR_MS);
    const [targets, buckets, transitions] = await Promise.all([
      this.store.healthOf(server),
      this.store.hoursOf(server, hourOf(now - hours * HOUR_MS)),
      this.store.transitionsOf(server, since, 200),
    ]);
    const latencies = buckets.flatMap((b) => b.latencies).sort((a, b) => a - b);
    const probes = buckets.reduce((n, b) => n + b.probes, 0);
    const passing = buckets.reduce((n, b) => n + b.passing, 0);
    const byHour = new Map<string, { hour: string; probes: number; passing: number }>();
    for (const b of buckets) {
      const row = byHour.get(b.hour) ?? { hour: b.hour, probes: 0, passing: 0 };
      row.probes += b.probes;
      row.passing += b.passing;
      byHour.set(b.hour, row);
    }
    const status = targets.length > 0 ? aggregateStatus(targets.map((t) => t.status)) : undefined;
    return {
      server,
      health: status ? (this.summary(server) ?? { status: 'unknown' }) : { status: 'unknown' },
      targets,
      latencyMs: {
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        samples: latencies.length,
      },
      uptime24h: probes === 0 ? null : Math.round((passing / probes) * 10_000) / 10_000,
      hours: [...byHour.values()].sort((a, b) => a.hour.localeCompare(b.hour)),
      transitions: transitions.map(({ targetId, at, from, to, error }) => ({ targetId, at, from, to, error })),
    };
  }
}
