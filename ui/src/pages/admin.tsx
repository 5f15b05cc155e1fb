import { useState } from 'preact/hooks';
import { ApiError, deleteVersion, listVersions, optional, request, session, setVersionStatus } from '../api.js';
import { Link, navigate, useLocation } from '../router.js';
import { OFFICIAL } from '../types.js';
import type { ServerResponse } from '../types.js';
import { Contexts } from './admin/contexts.js';
import { Gateway } from './admin/gateway.js';
import { useAsync } from './admin/shared.js';

const SECTIONS = [
  { id: 'moderation', label: 'Moderation' },
  { id: 'keys', label: 'API keys' },
  { id: 'audit', label: 'Audit log' },
  { id: 'gateway', label: 'Gateway' },
  { id: 'contexts', label: 'Contexts' },
] as const;

/** Administration, after signing in with an API key or a registry token (kept for this tab only). */
export function Admin() {
  const { path } = useLocation();
  const [signedIn, setSignedIn] = useState(Boolean(session.token()));
  if (!signedIn) return <SignIn onDone={() => setSignedIn(true)} />;
  const section = path.split('/')[2] ?? 'moderation';
  return (
    <section aria-labelledby="admin-heading">
      <h1 id="admin-heading">Administration</h1>
      <nav aria-label="Administration" class="subnav">
        {SECTIONS.map((s) => (
          <Link key={s.id} href={`/admin/${s.id}`} aria-current={section === s.id ? 'page' : undefined}>
            {s.label}
          </Link>
        ))}
        <button
          type="button"
          class="link"
          onClick={() => {
            session.signOut();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </nav>
      {section === 'moderation' && <Moderation />}
      {section === 'keys' && <Keys />}
      {section === 'audit' && <Audit />}
      {section === 'gateway' && <Gateway />}
      {section === 'contexts' && <Contexts />}
    </section>
  );
}

function SignIn({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    session.signIn(token.trim());
    try {
      // Any authenticated admin read proves the token; the audit log needs admin.
      await request('/api/v1/audit?limit=1');
      onDone();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return onDone();
      session.signOut();
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <form class="signin" onSubmit={submit} aria-labelledby="signin-heading">
      <h1 id="signin-heading">Sign in</h1>
      <label class="field">
        <span>API key or registry token</span>
        <input
          type="password"
          autoComplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
      </label>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <button type="submit">Sign in</button>
    </form>
  );
}

function Moderation() {
  const { query } = useLocation();
  const name = query.get('server') ?? '';
  const [text, setText] = useState(name);
  const versions = useAsync(() => (name ? listVersions(name) : Promise.resolve(undefined)), [name]);
  return (
    <div>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/admin/moderation?server=${encodeURIComponent(text.trim())}`);
        }}
      >
        <label class="field">
          <span>Server name</span>
          <input value={text} placeholder="io.github.acme/weather" onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button type="submit">Show versions</button>
      </form>
      {versions.error && (
        <p role="alert" class="error">
          {versions.error}
        </p>
      )}
      {versions.value && (
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {versions.value.servers.map((v) => (
              <VersionRow key={v.server.version} entry={v} onChanged={versions.reload} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function VersionRow({ entry, onChanged }: { entry: ServerResponse; onChanged: () => void }) {
  const meta = entry._meta[OFFICIAL];
  const [status, setStatus] = useState<string>(meta?.status ?? 'active');
  const [message, setMessage] = useState(meta?.statusMessage ?? '');
  const [error, setError] = useState<string>();
  const { name, version } = entry.server;
  const apply = async () => {
    setError(undefined);
    try {
      await setVersionStatus(name, version, status, status === 'active' ? '' : message);
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const remove = async () => {
    if (!confirm(`Delete ${name} ${version} permanently? This cannot be undone.`)) return;
    try {
      await deleteVersion(name, version);
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <tr>
      <td class="mono">{version}</td>
      <td>
        {meta?.status}
        {meta?.statusMessage ? ` — ${meta.statusMessage}` : ''}
      </td>
      <td>
        <label class="visually-hidden" for={`status-${version}`}>
          New status for {version}
        </label>
        <select id={`status-${version}`} value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="active">active (restore)</option>
          <option value="deprecated">deprecated</option>
          <option value="deleted">deleted</option>
        </select>
        <label class="visually-hidden" for={`message-${version}`}>
          Message for {version}
        </label>
        <input
          id={`message-${version}`}
          placeholder="message shown to users"
          maxLength={500}
          value={message}
          disabled={status === 'active'}
          onInput={(e) => setMessage(e.currentTarget.value)}
        />
        <button type="button" onClick={apply}>
          Apply
        </button>
        <button type="button" class="danger" onClick={remove}>
          Delete
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

interface ApiKey {
  id: string;
  name?: string;
  permissions?: { action: string; resource: string }[];
  expires_at?: string | null;
  expiresAt?: string | null;
  last_used_at?: string | null;
  lastUsedAt?: string | null;
  revoked_at?: string | null;
  revokedAt?: string | null;
}

function Keys() {
  const keys = useAsync(() => optional(request<{ keys: ApiKey[] }>('/api/v1/keys')), []);
  const [name, setName] = useState('');
  const [action, setAction] = useState('publish');
  const [resource, setResource] = useState('');
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<string>();
  const [error, setError] = useState<string>();
  if (keys.loading && !keys.value) return <p>Loading…</p>;
  if (!keys.error && keys.value === undefined) return <p class="muted">API keys are not enabled on this Wharf.</p>;
  const create = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const expiresAt = days ? new Date(Date.now() + Number(days) * 86_400_000).toISOString() : undefined;
      const result = await request<{ key: string }>('/api/v1/keys', {
        method: 'POST',
        body: JSON.stringify({
          name,
          permissions: [{ action, resource }],
          ...(expiresAt ? { expires_at: expiresAt } : {}),
        }),
      });
      setCreated(result.key);
      keys.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const revoke = async (id: string) => {
    if (!confirm('Revoke this key? Clients using it stop working at once.')) return;
    await request(`/api/v1/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }).catch((e: Error) =>
      setError(e.message),
    );
    keys.reload();
  };
  return (
    <div>
      <form class="inline-form" onSubmit={create} aria-label="Create an API key">
        <label class="field">
          <span>Name</span>
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Action</span>
          <select value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            {['publish', 'edit', 'admin', 'context_reader', 'context_writer'].map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Resource pattern</span>
          <input
            required
            placeholder="com.acme/*"
            value={resource}
            onInput={(e) => setResource(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>Expires in (days)</span>
          <input type="number" min="1" value={days} onInput={(e) => setDays(e.currentTarget.value)} />
        </label>
        <button type="submit">Create key</button>
      </form>
      {created && (
        <div class="notice" role="status">
          <p>Copy this key now; it is shown only once.</p>
          <code class="secret" data-testid="new-key">
            {created}
          </code>
          <button type="button" onClick={() => void navigator.clipboard.writeText(created)}>
            Copy key
          </button>
        </div>
      )}
      {(error || keys.error) && (
        <p role="alert" class="error">
          {error ?? keys.error}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Permissions</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(keys.value?.keys ?? []).map((k) => {
            const revoked = k.revoked_at ?? k.revokedAt;
            return (
              <tr key={k.id}>
                <td>
                  {k.name ?? k.id} <span class="muted mono small">{k.id}</span>
                </td>
                <td class="mono small">{(k.permissions ?? []).map((p) => `${p.action} ${p.resource}`).join(', ')}</td>
                <td>{k.expires_at ?? k.expiresAt ?? 'never'}</td>
                <td>{k.last_used_at ?? k.lastUsedAt ?? 'never'}</td>
                <td>
                  {revoked ? (
                    <span class="badge badge-deleted">revoked</span>
                  ) : (
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Revoke ${k.name ?? k.id}`}
                      onClick={() => revoke(k.id)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

type Row = Record<string, unknown>;

/** A read-only browser for list endpoints whose rows the UI shows as they come. */
function RowBrowser({
  path,
  listKey,
  columns,
  empty,
}: {
  path: string;
  listKey: string;
  columns: string[];
  empty: string;
}) {
  const [filter, setFilter] = useState('');
  const [cursor, setCursor] = useState<string>();
  const page = useAsync(
    () =>
      optional(
        request<Record<string, unknown> & { metadata?: { nextCursor?: string } }>(
          `${path}${path.includes('?') ? '&' : '?'}limit=50${filter ? `&${filter}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        ),
      ),
    [path, filter, cursor],
  );
  if (page.loading && !page.value) return <p>Loading…</p>;
  if (page.error)
    return (
      <p role="alert" class="error">
        {page.error}
      </p>
    );
  if (!page.value) return <p class="muted">{empty}</p>;
  const rows = (page.value[listKey] as Row[] | undefined) ?? [];
  return (
    <div>
      <form class="inline-form" onSubmit={(e) => e.preventDefault()}>
        <label class="field">
          <span>Filter (query string)</span>
          <input
            placeholder="actor=alice&action=server.publish"
            onChange={(e) => {
              setCursor(undefined);
              setFilter(e.currentTarget.value.trim());
            }}
          />
        </label>
      </form>
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c} class="small">
                  {display(row[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {page.value.metadata?.nextCursor && (
        <button type="button" onClick={() => setCursor(page.value?.metadata?.nextCursor)}>
          Next page
        </button>
      )}
    </div>
  );
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const Audit = () => (
  <RowBrowser
    path="/api/v1/audit"
    listKey="events"
    columns={['occurred_at', 'action', 'actor', 'target', 'outcome', 'source_ip']}
    empty="The audit log is not enabled on this Wharf."
  />
);
