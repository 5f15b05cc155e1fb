import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { HEALTH_STATUSES } from './model.js';
import type { LivenessService } from './service.js';

/** Liveness gauges and counters, read from the services at scrape time (nothing to update on the hot path). */
export function registerLivenessMetrics(registry: Registry, liveness: LivenessService): void {
  new Gauge({
    name: 'wharf_liveness_servers',
    help: 'Registry servers by probed health state',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const { servers } = liveness.health.statusCounts();
      for (const status of HEALTH_STATUSES) this.set({ status }, servers[status]);
    },
  });
  new Gauge({
    name: 'wharf_liveness_probe_targets',
    help: 'Probe targets (remotes and instances) by last probe state',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const { targets } = liveness.health.statusCounts();
      for (const status of HEALTH_STATUSES) this.set({ status }, targets[status]);
    },
  });
  new Counter({
    name: 'wharf_liveness_probes_total',
    help: 'Probes run by this process, by outcome and protocol era',
    labelNames: ['status', 'era'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of liveness.health.probeCounts) {
        const [status = '', era = ''] = key.split('|');
        this.inc({ status, era }, n);
      }
    },
  });
  new Gauge({
    name: 'wharf_liveness_instances',
    help: 'Registered instances by lease state (as known to this process)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = liveness.instances.counts();
      this.set({ state: 'passing' }, counts.passing);
      this.set({ state: 'critical' }, counts.critical);
    },
  });
  new Gauge({
    name: 'wharf_liveness_self_preservation',
    help: '1 while deregistration is paused because too many instance leases expired at once',
    registers: [registry],
    collect() {
      this.set(liveness.instances.selfPreservation ? 1 : 0);
    },
  });
  new Gauge({
    name: 'wharf_liveness_leader',
    help: '1 when this process runs the probes and the lease reaper',
    registers: [registry],
    collect() {
      this.set(liveness.leading ? 1 : 0);
    },
  });
}
