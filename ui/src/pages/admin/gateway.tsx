import { useEffect, useRef, useState } from 'preact/hooks';
import { listVersions, optional, request, session } from '../../api.js';
import { Link, serverPath } from '../../router.js';
import type { KeyValueInput, ServerResponse, Transport } from '../../types.js';
import { ErrorText, StatusText, messageOf, useAsync } from './shared.js';

/** What `/api/v1/gateway/upstreams` answers; secret values arrive masked and are never shown again. */
interface Upstream {
  alias: string;
  server: string;
  version: string;
  remote: number;
  transport: string;
  url: string;
  variables: Record<string, string>;
  headers: Record<string, string>;
  status: {
    state: 'connecting' | 'ready' | 'unavailable';
    breaker: string;
    lastError: string | null;
    toolCount: number;
    connectedAt: string | null;
  };
}

interface VirtualServer {
  name: string;
  description: string;
  tools: string[];
  path: string;
}

interface Tool {
  name: string;
  title?: string;
  description?: string;
}

const MASK = '********';
const GATEWAY = '/api/v1/gateway';
const enc = encodeURIComponent;
const FEDERATED = new Set(['streamable-http', 'sse']);
const STATE_CLASS = { ready: 'health-passing', connecting: 'health-warning', unavailable: 'health-critical' } as const;

/**
 * The merged tool list as MCP clients see it at `/mcp` (one stateless `tools/list`): the gateway has no REST view of
 * it, and reading it this way also waits for the first connection attempt of a fresh upstream.
 */
async function federatedTools(): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    };
    const token = session.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch('/mcp', {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: page, method: 'tools/list', ...(cursor && { params: { cursor } }) }),
    });
    if (!response.ok) throw new Error(`The gateway's tool list is unavailable (HTTP ${response.status})`);
    const text = await response.text();
    // Stateless answers come as one JSON body or as a one-event SSE stream.
    const bodies = response.headers.get('content-type')?.startsWith('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5))
      : [text];
    const message = bodies
      .map((body) => JSON.parse(body) as { id?: number; result?: { tools: Tool[]; nextCursor?: string } })
      .find((m) => m.id === page);
    if (!message?.result) throw new Error("The gateway's tool list could not be read");
    tools.push(...message.result.tools);
    cursor = message.result.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

/** An edit form opens below the table: move focus (and the view) there so keyboard users land in it. */
function useFocusWhen(active: boolean) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (active) ref.current?.focus();
  }, [active]);
  return ref;
}

/** Gateway administration: upstreams attached from the registry and virtual servers over their tools. */
export function Gateway() {
  const data = useAsync(async () => {
    const upstreams = await optional(request<{ upstreams: Upstream[] }>(`${GATEWAY}/upstreams`));
    if (!upstreams) return undefined;
    // Tools first: listing them waits for fresh upstreams' first connection, so the states below are current.
    const tools = await federatedTools().catch((e: Error) => e);
    const [fresh, virtual] = await Promise.all([
      request<{ upstreams: Upstream[] }>(`${GATEWAY}/upstreams`),
      request<{ virtualServers: VirtualServer[] }>(`${GATEWAY}/virtual-servers`),
    ]);
    return { upstreams: fresh.upstreams, virtualServers: virtual.virtualServers, tools };
  }, []);
  if (data.loading && !data.value) return <p>Loading…</p>;
  if (data.error) return <ErrorText error={data.error} />;
  if (!data.value) return <p class="muted">The gateway is not enabled on this Wharf.</p>;
  const { upstreams, virtualServers, tools } = data.value;
  return (
    <div>
      <Upstreams upstreams={upstreams} onChanged={data.reload} />
      <VirtualServers
        servers={virtualServers}
        upstreams={upstreams}
        tools={tools instanceof Error ? [] : tools}
        toolsError={tools instanceof Error ? tools.message : undefined}
        onChanged={data.reload}
      />
    </div>
  );
}

function Upstreams({ upstreams, onChanged }: { upstreams: Upstream[]; onChanged: () => void }) {
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const detach = async (alias: string) => {
    if (!confirm(`Detach upstream "${alias}"? Its tools disappear from /mcp at once.`)) return;
    setError(undefined);
    try {
      await request(`${GATEWAY}/upstreams/${enc(alias)}`, { method: 'DELETE' });
      setDone(`Detached ${alias}.`);
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const current = upstreams.find((u) => u.alias === editing);
  return (
    <section aria-labelledby="upstreams-heading">
      <h2 id="upstreams-heading">Upstreams</h2>
      {upstreams.length === 0 ? (
        <p class="muted">No upstream is attached yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Alias</th>
              <th scope="col">Server</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {upstreams.map((u) => (
              <tr key={u.alias}>
                <td class="mono">{u.alias}</td>
                <td>
                  <Link href={serverPath(u.server, u.version)}>{u.server}</Link>{' '}
                  <span class="muted mono small">{u.version}</span>
                </td>
                <td class="mono small">
                  {u.transport} {u.url}
                </td>
                <td>
                  <span class={`badge ${STATE_CLASS[u.status.state] ?? 'health-unknown'}`}>
                    <span aria-hidden="true">●</span> {u.status.state}
                  </span>{' '}
                  <span class="small">
                    {u.status.toolCount} tools · breaker {u.status.breaker}
                  </span>
                  {u.status.lastError && <div class="small error">{u.status.lastError}</div>}
                </td>
                <td class="actions">
                  <button type="button" aria-label={`Edit ${u.alias}`} onClick={() => setEditing(u.alias)}>
                    Edit
                  </button>
                  <button type="button" class="danger" aria-label={`Detach ${u.alias}`} onClick={() => detach(u.alias)}>
                    Detach
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorText error={error} />
      <StatusText text={done} />
      {current ? (
        <UpstreamForm
          key={`edit-${current.alias}`}
          upstream={current}
          onCancel={() => setEditing(undefined)}
          onDone={(message) => {
            setEditing(undefined);
            setDone(message);
            onChanged();
          }}
        />
      ) : (
        <UpstreamForm
          key="attach"
          onDone={(message) => {
            setDone(message);
            onChanged();
          }}
        />
      )}
    </section>
  );
}

/** Attaches a registry server's remote (no `upstream`) or updates an attached one. */
function UpstreamForm({
  upstream,
  onDone,
  onCancel,
}: {
  upstream?: Upstream;
  onDone: (message: string) => void;
  onCancel?: () => void;
}) {
  const editing = upstream !== undefined;
  const [serverText, setServerText] = useState(upstream?.server ?? '');
  const [server, setServer] = useState(upstream?.server ?? '');
  const [version, setVersion] = useState(upstream?.version ?? '');
  const [remoteIndex, setRemoteIndex] = useState<number>(upstream?.remote ?? -1);
  const [alias, setAlias] = useState('');
  const [variables, setVariables] = useState<Record<string, string>>({});
  const [headers, setHeaders] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const versions = useAsync(() => (server ? listVersions(server) : Promise.resolve(undefined)), [server]);

  const entries = versions.value?.servers ?? [];
  const chosen: ServerResponse | undefined =
    entries.find((v) => v.server.version === version) ??
    entries.find((v) => v._meta['io.modelcontextprotocol.registry/official']?.isLatest) ??
    entries[0];
  const remotes = (chosen?.server.remotes ?? [])
    .map((remote, index) => ({ remote, index }))
    .filter(({ remote }) => FEDERATED.has(remote.type));
  const selected = remotes.find((r) => r.index === remoteIndex) ?? remotes[0];

  // Only the selected remote's inputs, and only those typed: an empty field keeps the stored value.
  const filled = (values: Record<string, string>, declared: string[]) =>
    Object.fromEntries(Object.entries(values).filter(([name, value]) => value !== '' && declared.includes(name)));
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!chosen || !selected) return;
    setError(undefined);
    setBusy(true);
    try {
      const body = {
        ...(editing ? {} : { server }),
        version: chosen.server.version,
        remote: selected.index,
        variables: filled(variables, Object.keys(selected.remote.variables ?? {})),
        headers: filled(
          headers,
          (selected.remote.headers ?? []).map((h) => h.name),
        ),
        ...(!editing && alias.trim() ? { alias: alias.trim() } : {}),
      };
      const result = await request<Upstream>(
        editing ? `${GATEWAY}/upstreams/${enc(upstream.alias)}` : `${GATEWAY}/upstreams`,
        { method: editing ? 'PATCH' : 'POST', body: JSON.stringify(body) },
      );
      // Secrets typed here are dropped from memory as soon as the server has them.
      setVariables({});
      setHeaders({});
      setAlias('');
      onDone(editing ? `Updated ${result.alias}.` : `Attached ${result.server} as ${result.alias}.`);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const headingRef = useFocusWhen(editing);
  const heading = editing ? `Edit upstream ${upstream.alias}` : 'Attach an upstream';
  const id = editing ? 'edit-upstream' : 'attach-upstream';
  return (
    <form class="panel" onSubmit={submit} aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`} ref={headingRef} tabIndex={-1}>
        {heading}
      </h3>
      {!editing && (
        <div class="inline-form">
          <label class="field">
            <span>Registry server</span>
            <input
              required
              value={serverText}
              placeholder="io.github.acme/weather"
              onInput={(e) => setServerText(e.currentTarget.value)}
            />
          </label>
          <button
            type="button"
            onClick={() => {
              setVersion('');
              setRemoteIndex(-1);
              setServer(serverText.trim());
            }}
          >
            Find versions
          </button>
        </div>
      )}
      <ErrorText error={versions.error} />
      {server && versions.loading && <p>Loading…</p>}
      {chosen && (
        <>
          <div class="inline-form">
            <label class="field">
              <span>Version</span>
              <select value={chosen.server.version} onChange={(e) => setVersion(e.currentTarget.value)}>
                {entries.map((v) => (
                  <option key={v.server.version} value={v.server.version}>
                    {v.server.version}
                    {v._meta['io.modelcontextprotocol.registry/official']?.isLatest ? ' (latest)' : ''}
                  </option>
                ))}
              </select>
            </label>
            {remotes.length > 0 && (
              <label class="field">
                <span>Remote</span>
                <select
                  value={String(selected?.index ?? '')}
                  onChange={(e) => setRemoteIndex(Number(e.currentTarget.value))}
                >
                  {remotes.map(({ remote, index }) => (
                    <option key={index} value={String(index)}>
                      {remote.type} {remote.url}
                    </option>
                  ))}
                </select>
              </label>
            )}
            {!editing && (
              <label class="field">
                <span>Alias (optional)</span>
                <input
                  value={alias}
                  pattern="[a-z0-9]([a-z0-9\-]{0,30}[a-z0-9])?"
                  placeholder={server.split('/').pop()?.toLowerCase()}
                  onInput={(e) => setAlias(e.currentTarget.value)}
                />
              </label>
            )}
          </div>
          {remotes.length === 0 ? (
            <p class="muted">This version has no streamable-http or sse remote, so the gateway cannot federate it.</p>
          ) : (
            selected && (
              <RemoteInputs
                remote={selected.remote}
                current={upstream}
                variables={variables}
                headers={headers}
                onVariable={(name, value) => setVariables((v) => ({ ...v, [name]: value }))}
                onHeader={(name, value) => setHeaders((h) => ({ ...h, [name]: value }))}
              />
            )
          )}
        </>
      )}
      <ErrorText error={error} />
      <div class="inline-form">
        <button type="submit" disabled={busy || !selected}>
          {editing ? 'Save upstream' : 'Attach'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/**
 * The remote's URL variables and headers. Headers and secret variables are password fields that start empty: the
 * API only ever returns them masked, and leaving one empty when editing keeps the stored value.
 */
function RemoteInputs(props: {
  remote: Transport;
  current: Upstream | undefined;
  variables: Record<string, string>;
  headers: Record<string, string>;
  onVariable: (name: string, value: string) => void;
  onHeader: (name: string, value: string) => void;
}) {
  const { remote, current } = props;
  const variables = Object.entries(remote.variables ?? {});
  const headers: KeyValueInput[] = remote.headers ?? [];
  if (variables.length === 0 && headers.length === 0) return null;
  const kept = (stored: string | undefined) =>
    stored === undefined ? undefined : stored === MASK ? 'stored; leave empty to keep' : `now ${stored}`;
  return (
    <fieldset class="inputs">
      <legend>Remote settings</legend>
      {variables.map(([name, input]) => {
        const secret = input.isSecret === true;
        const stored = current?.variables[name];
        return (
          <label class="field" key={`v-${name}`}>
            <span>
              {name} variable{input.isRequired ? ' (required)' : ''}
            </span>
            <input
              type={secret ? 'password' : 'text'}
              autoComplete={secret ? 'new-password' : 'off'}
              value={props.variables[name] ?? ''}
              placeholder={kept(stored) ?? input.default ?? ''}
              onInput={(e) => props.onVariable(name, e.currentTarget.value)}
            />
            {input.description && <small>{input.description}</small>}
          </label>
        );
      })}
      {headers.map((header) => (
        <label class="field" key={`h-${header.name}`}>
          <span>
            {header.name} header{header.isRequired ? ' (required)' : ''}
          </span>
          <input
            type="password"
            autoComplete="new-password"
            value={props.headers[header.name] ?? ''}
            placeholder={current?.headers[header.name] !== undefined ? 'stored; leave empty to keep' : ''}
            onInput={(e) => props.onHeader(header.name, e.currentTarget.value)}
          />
          {header.description && <small>{header.description}</small>}
        </label>
      ))}
    </fieldset>
  );
}

function VirtualServers(props: {
  servers: VirtualServer[];
  upstreams: Upstream[];
  tools: Tool[];
  toolsError: string | undefined;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const remove = async (name: string) => {
    if (!confirm(`Delete virtual server "${name}"? Clients of /mcp/${name} lose it at once.`)) return;
    setError(undefined);
    try {
      await request(`${GATEWAY}/virtual-servers/${enc(name)}`, { method: 'DELETE' });
      setDone(`Deleted ${name}.`);
      props.onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const current = props.servers.find((s) => s.name === editing);
  const finish = (message: string) => {
    setEditing(undefined);
    setDone(message);
    props.onChanged();
  };
  return (
    <section aria-labelledby="virtual-heading">
      <h2 id="virtual-heading">Virtual servers</h2>
      {props.servers.length === 0 ? (
        <p class="muted">No virtual server yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Tools</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.servers.map((s) => (
              <tr key={s.name}>
                <td>
                  <span class="mono">{s.name}</span>
                  {s.description && <div class="small muted">{s.description}</div>}
                </td>
                <td class="mono small">{s.path}</td>
                <td class="mono small">{s.tools.join(', ')}</td>
                <td class="actions">
                  <button type="button" aria-label={`Edit ${s.name}`} onClick={() => setEditing(s.name)}>
                    Edit
                  </button>
                  <button type="button" class="danger" aria-label={`Delete ${s.name}`} onClick={() => remove(s.name)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorText error={error} />
      <StatusText text={done} />
      <ErrorText error={props.toolsError} />
      <VirtualServerForm
        key={current?.name ?? 'create'}
        existing={current}
        upstreams={props.upstreams}
        tools={props.tools}
        onDone={finish}
        onCancel={current ? () => setEditing(undefined) : undefined}
      />
    </section>
  );
}

function VirtualServerForm(props: {
  existing: VirtualServer | undefined;
  upstreams: Upstream[];
  tools: Tool[];
  onDone: (message: string) => void;
  onCancel: (() => void) | undefined;
}) {
  const { existing } = props;
  const [name, setName] = useState(existing?.name ?? '');
  const [description, setDescription] = useState(existing?.description ?? '');
  const [picked, setPicked] = useState<Set<string>>(new Set(existing?.tools ?? []));
  const [error, setError] = useState<string>();
  const toggle = (tool: string, on: boolean) =>
    setPicked((current) => {
      const next = new Set(current);
      if (on) next.add(tool);
      else next.delete(tool);
      return next;
    });
  const groups = props.upstreams.map((u) => ({
    alias: u.alias,
    tools: props.tools.filter((t) => t.name.startsWith(`${u.alias}__`)),
  }));
  const offered = new Set(groups.flatMap((g) => [`${g.alias}__*`, ...g.tools.map((t) => t.name)]));
  // Selections whose upstream is down or gone stay visible, so saving does not silently drop them.
  const orphans = [...picked].filter((tool) => !offered.has(tool));
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const tools = [...picked];
      if (existing) {
        await request(`${GATEWAY}/virtual-servers/${enc(existing.name)}`, {
          method: 'PATCH',
          body: JSON.stringify({ description, tools }),
        });
        props.onDone(`Saved ${existing.name}.`);
      } else {
        await request(`${GATEWAY}/virtual-servers`, {
          method: 'POST',
          body: JSON.stringify({ name: name.trim(), description, tools }),
        });
        setName('');
        setDescription('');
        setPicked(new Set());
        props.onDone(`Created ${name.trim()}: served at /mcp/${name.trim()}.`);
      }
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const checkbox = (tool: string, label: string, hint?: string) => (
    <label class="check" key={tool}>
      <input type="checkbox" checked={picked.has(tool)} onChange={(e) => toggle(tool, e.currentTarget.checked)} />
      <span class="mono">{label}</span>
      {hint && <span class="muted small"> {hint}</span>}
    </label>
  );
  const headingRef = useFocusWhen(Boolean(existing));
  const id = existing ? 'edit-virtual' : 'create-virtual';
  return (
    <form class="panel" onSubmit={submit} aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`} ref={headingRef} tabIndex={-1}>
        {existing ? `Edit virtual server ${existing.name}` : 'Create a virtual server'}
      </h3>
      <div class="inline-form">
        <label class="field">
          <span>Name</span>
          <input
            required
            disabled={Boolean(existing)}
            maxLength={64}
            value={name}
            placeholder="math"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label class="field wide">
          <span>Description</span>
          <input maxLength={1000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
      </div>
      {groups.length === 0 && <p class="muted">Attach an upstream first: virtual servers pick from its tools.</p>}
      {groups.map((group) => (
        <fieldset class="inputs tools" key={group.alias}>
          <legend>Tools of {group.alias}</legend>
          {checkbox(`${group.alias}__*`, `${group.alias}__*`, '(every tool, present and future)')}
          {group.tools.map((tool) => checkbox(tool.name, tool.name, tool.title ?? tool.description))}
          {group.tools.length === 0 && <p class="muted small">No tools listed right now.</p>}
        </fieldset>
      ))}
      {orphans.length > 0 && (
        <fieldset class="inputs tools">
          <legend>Selected tools not listed right now</legend>
          {orphans.map((tool) => checkbox(tool, tool))}
        </fieldset>
      )}
      <ErrorText error={error} />
      <div class="inline-form">
        <button type="submit">{existing ? 'Save virtual server' : 'Create virtual server'}</button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
