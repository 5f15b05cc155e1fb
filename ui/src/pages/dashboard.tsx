import { useEffect, useState } from 'preact/hooks';
import { ApiError, listServers, optional, request } from '../api.js';
import { HealthBadge } from '../components/badges.js';
import { Link, serverPath } from '../router.js';
import { HEALTH } from '../types.js';
import type { HealthMeta, ServerResponse } from '../types.js';

interface Instance {
  id: string;
  server: string;
  url: string;
  state: string;
  stateChangedAt: string;
  statusNote?: string | null;
}

const STATES = ['critical', 'warning', 'passing', 'unknown'] as const;
const MAX_PAGES = 20;

/** Fleet health from the registry listing's health metadata, so it works on any deployment size up to a few thousand. */
export function Dashboard() {
  const [servers, setServers] = useState<ServerResponse[] | undefined>();
  const [instances, setInstances] = useState<Instance[] | 'forbidden' | undefined | null>(null);
  const [error, setError] = useState<string>();

  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      const all: ServerResponse[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await listServers({ cursor, limit: 100 }, controller.signal);
        all.push(...result.servers);
        cursor = result.metadata.nextCursor;
        if (!cursor) break;
      }
      setServers(all);
      try {
        const found = await optional(
          request<{ instances: Instance[] }>('/api/v1/instances?limit=100', {}, controller.signal),
        );
        setInstances(found?.instances);
      } catch (e) {
        // Instances are visible to signed-in callers only; the fleet view above stays public.
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) setInstances('forbidden');
        else throw e;
      }
    })().catch((e: Error) => e.name !== 'AbortError' && setError(e.message));
    return () => controller.abort();
  }, []);

  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!servers) return <p aria-live="polite">Loading…</p>;
  const healthOf = (s: ServerResponse): HealthMeta | undefined => s._meta[HEALTH];
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<(typeof STATES)[number], number>;
  for (const s of servers) counts[healthOf(s)?.status ?? 'unknown']++;
  const order = (s: ServerResponse) => STATES.indexOf(healthOf(s)?.status ?? 'unknown');
  const sorted = [...servers].sort((a, b) => order(a) - order(b) || a.server.name.localeCompare(b.server.name));
  const latencies = servers
    .map((s) => healthOf(s)?.latencyMs)
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length
      ? `${Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0)} ms`
      : '–';

  return (
    <section aria-labelledby="dashboard-heading">
      <h1 id="dashboard-heading">Health</h1>
      <ul class="stats" aria-label="Fleet state">
        {STATES.map((s) => (
          <li key={s} class={`stat health-${s}`}>
            <strong>{counts[s]}</strong> {s}
          </li>
        ))}
        <li class="stat">
          <strong>{pct(0.5)}</strong> p50
        </li>
        <li class="stat">
          <strong>{pct(0.95)}</strong> p95
        </li>
        <li class="stat">
          <strong>{pct(0.99)}</strong> p99
        </li>
      </ul>
      <h2>Servers, failing first</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">Health</th>
            <th scope="col">Protocol</th>
            <th scope="col">Checked</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((s) => {
            const health = healthOf(s);
            return (
              <tr key={s.server.name}>
                <td>
                  <Link href={serverPath(s.server.name)}>{s.server.title ?? s.server.name}</Link>
                </td>
                <td>
                  <HealthBadge health={health} />
                </td>
                <td class="mono">{health?.protocolVersion ?? ''}</td>
                <td>{health?.checkedAt ? new Date(health.checkedAt).toLocaleString() : 'never'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>Registered instances</h2>
      {instances === null ? (
        <p class="muted">Loading…</p>
      ) : instances === 'forbidden' ? (
        <p class="muted">
          <a href="/admin">Sign in</a> to see the registered instances.
        </p>
      ) : !instances ? (
        <p class="muted">Instance registration is not enabled on this Wharf.</p>
      ) : instances.length === 0 ? (
        <p class="muted">No instances are registered.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">URL</th>
              <th scope="col">State</th>
              <th scope="col">State since</th>
            </tr>
          </thead>
          <tbody>
            {instances.map((i) => (
              <tr key={i.id}>
                <td>{i.server}</td>
                <td class="mono">{i.url}</td>
                <td>
                  {i.state}
                  {i.statusNote ? ` — ${i.statusNote}` : ''}
                </td>
                <td>{new Date(i.stateChangedAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
