import type { TimeSource } from '../../platform/clock.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { HealthService } from '../health.js';
import type { ProbeResult, ProbeTarget } from '../model.js';
import type { InstanceTransport } from '../model.js';

export interface ProbeRunner {
  probe(
    url: string,
    transport: InstanceTransport,
    options: { timeoutMs: number; slowMs?: number },
  ): Promise<ProbeResult>;
}

export interface SchedulerSettings {
  intervalMs: number;
  concurrency: number;
  perHost: number;
  timeoutMs: number;
  /** Slower passing probes are warnings; undefined: half the timeout. */
  slowMs?: number | undefined;
  /** Longest wait between probes of a failing target. */
  maxBackoffMs?: number;
}

interface Slot {
  target: ProbeTarget;
  host: string;
  nextAt: number;
  failures: number;
  running: boolean;
}

/**
 * Decides when each target is probed: first run spread randomly over one interval (as Consul staggers checks),
 * then every interval with ±10 % jitter, backing off exponentially while a target fails; never more than
 * `concurrency` probes at once nor more than `perHost` against one host.
 */
export class ProbeScheduler {
  private readonly slots = new Map<string, Slot>();
  private readonly perHost = new Map<string, number>();
  private running = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly runner: ProbeRunner,
    private readonly health: HealthService,
    private readonly time: TimeSource,
    private readonly settings: SchedulerSettings,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** Replaces the target set: new targets are staggered in, vanished ones are forgotten. */
  setTargets(targets: readonly ProbeTarget[]): void {
    const now = this.time.nowMs();
    const wanted = new Map(targets.map((t) => [t.id, t]));
    const gone: string[] = [];
    for (const id of this.slots.keys()) if (!wanted.has(id)) gone.push(id);
    for (const id of gone) this.slots.delete(id);
    for (const target of wanted.values()) {
      const slot = this.slots.get(target.id);
      if (slot) {
        slot.target = target;
        continue;
      }
      this.slots.set(target.id, {
        target,
        host: hostOf(target.url),
        nextAt: now + Math.floor(this.random() * this.settings.intervalMs),
        failures: 0,
        running: false,
      });
    }
    // Health rows of targets that no longer exist (including ones known only from the database).
    this.health.forget(this.health.knownTargetIds().filter((id) => !wanted.has(id)));
  }

  /** Makes every target due now (tests, and `probe now` after a publish). */
  expediteAll(): void {
    const now = this.time.nowMs();
    for (const slot of this.slots.values()) slot.nextAt = now;
  }

  /** Starts the probes that are due, within the limits. Returns how many started. */
  runDue(): number {
    const now = this.time.nowMs();
    let started = 0;
    const due = [...this.slots.values()]
      .filter((s) => !s.running && s.nextAt <= now)
      .sort((a, b) => a.nextAt - b.nextAt);
    for (const slot of due) {
      if (this.running >= this.settings.concurrency) break;
      if ((this.perHost.get(slot.host) ?? 0) >= this.settings.perHost) continue;
      this.start(slot);
      started += 1;
    }
    return started;
  }

  /** Waits for the probes in flight. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Probes every target once, now, within the limits; resolves when all are done (tests, benchmarks). */
  async probeAllNow(): Promise<void> {
    this.expediteAll();
    const pending = () => [...this.slots.values()].some((s) => s.nextAt <= this.time.nowMs() || s.running);
    while (pending()) {
      this.runDue();
      if (this.inFlight.size === 0) break;
      await Promise.race([...this.inFlight]);
    }
  }

  private start(slot: Slot): void {
    slot.running = true;
    this.running += 1;
    this.perHost.set(slot.host, (this.perHost.get(slot.host) ?? 0) + 1);
    const task = (async () => {
      let result: ProbeResult;
      try {
        result = await this.runner.probe(slot.target.url, slot.target.transport, {
          timeoutMs: this.settings.timeoutMs,
        });
      } catch (error) {
        result = { status: 'critical', latencyMs: 0, error: `probe failed: ${(error as Error).message}` };
      }
      // The target may have vanished while it was probed.
      if (this.slots.get(slot.target.id) === slot) this.health.record(slot.target, result);
      slot.failures = result.status === 'critical' ? slot.failures + 1 : 0;
      slot.nextAt = this.time.nowMs() + this.delayAfter(slot.failures);
    })()
      .catch((error: unknown) => this.logger.error({ err: error, target: slot.target.id }, 'probe bookkeeping failed'))
      .finally(() => {
        slot.running = false;
        this.running -= 1;
        const n = (this.perHost.get(slot.host) ?? 1) - 1;
        if (n === 0) this.perHost.delete(slot.host);
        else this.perHost.set(slot.host, n);
        this.inFlight.delete(task);
      });
    this.inFlight.add(task);
  }

  /** interval × 2^(failures−1) while failing, capped, with ±10 % jitter so targets do not march in step. */
  delayAfter(failures: number): number {
    const { intervalMs } = this.settings;
    const cap = Math.max(intervalMs, this.settings.maxBackoffMs ?? 10 * 60_000);
    const base = failures <= 1 ? intervalMs : Math.min(cap, intervalMs * 2 ** (failures - 1));
    return Math.round(base * (0.9 + this.random() * 0.2));
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
