import { useEffect, useState } from 'preact/hooks';
import { getServer, listVersions, optional, request } from '../api.js';
import { HealthBadge, StatusBadge } from '../components/badges.js';
import { UptimeChart } from '../components/chart.js';
import type { HourSample } from '../components/chart.js';
import { Install } from '../components/install.js';
import { ServerIcon } from '../components/server-card.js';
import { Link, serverPath } from '../router.js';
import { safeHttpUrl } from '../safe-url.js';
import { HEALTH, OFFICIAL } from '../types.js';
import type { Argument, Input, KeyValueInput, Package, ServerResponse, Transport } from '../types.js';

/** What `GET /api/v1/health/servers/{name}` reports (liveness). */
export interface HealthReport {
  health?: { status: string; uptime24h?: number | null };
  targets?: {
    targetId: string;
    kind: string;
    url: string;
    status: string;
    checkedAt: string;
    latencyMs: number | null;
    protocolVersion: string | null;
    toolNames: string[] | null;
    lastError: string | null;
  }[];
  latencyMs?: { p50: number | null; p90: number | null; p99: number | null; samples: number };
  uptime24h?: number | null;
  hours?: HourSample[];
  transitions?: { targetId: string; at: string; from: string | null; to: string; error: string | null }[];
}

interface State {
  entry?: ServerResponse;
  versions?: ServerResponse[];
  health?: HealthReport;
  error?: string;
}

export function ServerPage({ name, version }: { name: string; version: string | null }) {
  const [state, setState] = useState<State>({});
  useEffect(() => {
    const controller = new AbortController();
    setState({});
    Promise.all([
      getServer(name, version ?? 'latest', controller.signal),
      listVersions(name, controller.signal),
      optional(request<HealthReport>(`/api/v1/health/servers/${encodeURIComponent(name)}`, {}, controller.signal)),
    ])
      .then(([entry, versions, health]) => setState({ entry, versions: versions.servers, health }))
      .catch((error: Error) => error.name !== 'AbortError' && setState({ error: error.message }));
    return () => controller.abort();
  }, [name, version]);

  if (state.error) {
    return (
      <section>
        <h1>{name}</h1>
        <p role="alert" class="error">
          {state.error}
        </p>
        <Link href="/">Back to the catalog</Link>
      </section>
    );
  }
  if (!state.entry) return <p aria-live="polite">Loading…</p>;
  const { server, _meta } = state.entry;
  const official = _meta[OFFICIAL];
  const repository = safeHttpUrl(server.repository?.url);
  const website = safeHttpUrl(server.websiteUrl);
  const targets = state.health?.targets ?? [];
  const tools = [...new Set(targets.flatMap((t) => t.toolNames ?? []))].sort();

  return (
    <article aria-labelledby="server-title">
      <header class="server-header">
        <ServerIcon server={server} size={56} />
        <div>
          <h1 id="server-title">{server.title ?? server.name}</h1>
          <p class="mono muted">
            {server.name} · v{server.version} <StatusBadge meta={official} /> <HealthBadge health={_meta[HEALTH]} />
          </p>
          {official?.statusMessage && <p class="notice">{official.statusMessage}</p>}
          <p class="description">{server.description}</p>
          <p class="links">
            {repository && (
              <a href={repository} rel="noopener noreferrer nofollow" target="_blank">
                Repository
              </a>
            )}
            {website && (
              <a href={website} rel="noopener noreferrer nofollow" target="_blank">
                Website
              </a>
            )}
          </p>
        </div>
      </header>

      <section aria-labelledby="install-heading">
        <h2 id="install-heading">Install</h2>
        <Install server={server} />
      </section>

      {server.remotes?.length ? (
        <section aria-labelledby="remotes-heading">
          <h2 id="remotes-heading">Remotes</h2>
          {server.remotes.map((remote, i) => (
            <RemoteDetails key={i} remote={remote} />
          ))}
        </section>
      ) : null}

      {server.packages?.length ? (
        <section aria-labelledby="packages-heading">
          <h2 id="packages-heading">Packages</h2>
          {server.packages.map((pkg, i) => (
            <PackageDetails key={i} pkg={pkg} />
          ))}
        </section>
      ) : null}

      <section aria-labelledby="health-heading">
        <h2 id="health-heading">Health</h2>
        {targets.length > 0 && state.health ? (
          <>
            <p>
              Uptime over 24 h {pct(state.health.uptime24h)} · latency p50 {fmt(state.health.latencyMs?.p50)} · p90{' '}
              {fmt(state.health.latencyMs?.p90)} · p99 {fmt(state.health.latencyMs?.p99)}
            </p>
            <UptimeChart hours={state.health.hours ?? []} label="Probes passing per hour" />
            <table>
              <thead>
                <tr>
                  <th scope="col">Target</th>
                  <th scope="col">State</th>
                  <th scope="col">Protocol</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {targets.map((t) => (
                  <tr key={t.targetId}>
                    <td class="mono small">
                      {t.kind}: {t.url}
                    </td>
                    <td>
                      <HealthBadge health={{ status: t.status as 'passing', latencyMs: t.latencyMs ?? undefined }} />
                    </td>
                    <td class="mono small">{t.protocolVersion ?? ''}</td>
                    <td class="small">{t.lastError ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {tools.length ? (
              <>
                <h3>Tools seen by the last probe</h3>
                <ul class="tags">
                  {tools.map((t) => (
                    <li class="tag mono" key={t}>
                      {t}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {state.health.transitions?.length ? (
              <>
                <h3>Recent transitions</h3>
                <ul>
                  {state.health.transitions.slice(-10).map((t) => (
                    <li key={`${t.targetId}-${t.at}`} class="small">
                      {new Date(t.at).toLocaleString()}: {t.from ?? 'new'} → {t.to}
                      {t.error ? ` (${t.error})` : ''}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </>
        ) : (
          <p class="muted">No health data: liveness probes have not reported on this server.</p>
        )}
      </section>

      <section aria-labelledby="versions-heading">
        <h2 id="versions-heading">Versions</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Published</th>
            </tr>
          </thead>
          <tbody>
            {(state.versions ?? []).map((v) => {
              const meta = v._meta[OFFICIAL];
              return (
                <tr key={v.server.version}>
                  <td>
                    <Link
                      href={serverPath(server.name, v.server.version)}
                      aria-current={v.server.version === server.version ? 'page' : undefined}
                    >
                      {v.server.version}
                    </Link>
                    {meta?.isLatest && <span class="tag">latest</span>}
                  </td>
                  <td>
                    {meta?.status ?? ''}
                    {meta?.statusMessage ? ` — ${meta.statusMessage}` : ''}
                  </td>
                  <td>{meta?.publishedAt ? new Date(meta.publishedAt).toLocaleString() : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </article>
  );
}

const fmt = (ms: number | null | undefined) => (ms === undefined || ms === null ? '–' : `${Math.round(ms)} ms`);
const pct = (share: number | null | undefined) =>
  share === undefined || share === null ? '–' : `${(share * 100).toFixed(1)} %`;

function InputList({ title, inputs }: { title: string; inputs: (KeyValueInput | (Input & { name: string }))[] }) {
  if (!inputs.length) return null;
  return (
    <>
      <h4>{title}</h4>
      <dl class="inputs-list">
        {inputs.map((input) => (
          <div key={input.name}>
            <dt class="mono">
              {input.name}
              {input.isRequired && <span class="tag">required</span>}
              {input.isSecret && <span class="tag">secret</span>}
            </dt>
            <dd>
              {input.description}
              {input.default && <span class="muted"> (default {input.default})</span>}
              {input.choices?.length ? <span class="muted"> one of {input.choices.join(', ')}</span> : null}
            </dd>
          </div>
        ))}
      </dl>
    </>
  );
}

function RemoteDetails({ remote }: { remote: Transport }) {
  const variables = Object.entries(remote.variables ?? {}).map(([name, v]) => ({ ...v, name }));
  return (
    <div class="detail">
      <p>
        <span class="tag">{remote.type}</span> <code>{remote.url}</code>
      </p>
      <InputList title="URL variables" inputs={variables} />
      <InputList title="Headers" inputs={remote.headers ?? []} />
    </div>
  );
}

function argumentLabel(arg: Argument): string {
  return arg.type === 'named'
    ? `${arg.name ?? ''}${arg.value ? ` ${arg.value}` : ''}`
    : (arg.value ?? `<${arg.valueHint ?? 'value'}>`);
}

function PackageDetails({ pkg }: { pkg: Package }) {
  const args = [...(pkg.runtimeArguments ?? []), ...(pkg.packageArguments ?? [])];
  return (
    <div class="detail">
      <p>
        <span class="tag">{pkg.registryType}</span> <code>{pkg.identifier}</code>
        {pkg.version && <span class="muted"> {pkg.version}</span>} · transport <code>{pkg.transport.type}</code>
      </p>
      <InputList
        title="Arguments"
        inputs={args.map((a, i) => ({ ...a, name: argumentLabel(a) || `argument ${i + 1}` }))}
      />
      <InputList title="Environment variables" inputs={pkg.environmentVariables ?? []} />
    </div>
  );
}
