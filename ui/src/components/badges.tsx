import type { HealthMeta, OfficialMeta } from '../types.js';

export function StatusBadge({ meta }: { meta: OfficialMeta | undefined }) {
  if (!meta || meta.status === 'active') return null;
  return (
    <span class={`badge badge-${meta.status}`} title={meta.statusMessage ?? meta.status}>
      {meta.status}
    </span>
  );
}

export function HealthBadge({ health }: { health: HealthMeta | undefined }) {
  const status = health?.status ?? 'unknown';
  const latency = health?.latencyMs !== undefined ? ` · ${Math.round(health.latencyMs)} ms` : '';
  return (
    <span class={`badge health-${status}`} title={health?.checkedAt ? `checked ${health.checkedAt}` : 'not probed yet'}>
      <span aria-hidden="true">●</span> {status}
      {latency}
    </span>
  );
}
