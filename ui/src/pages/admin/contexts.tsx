import { useState } from 'preact/hooks';
import { optional, request } from '../../api.js';
import { navigate, useLocation } from '../../router.js';
import { ErrorText, StatusText, messageOf, useAsync } from './shared.js';

interface Context {
  context_id: string;
  namespace: string;
  version: number;
  created_at: string;
  last_updated: string;
  expires_at: string | null;
  payload: { data: Record<string, unknown>; metadata: Record<string, unknown> };
}

interface ContextPage {
  contexts: Context[];
  metadata: { count: number; next_cursor?: string };
}

const PAGE_SIZE = 25;
const enc = encodeURIComponent;
const contextsPath = (namespace: string, id?: string) =>
  `/admin/contexts?namespace=${enc(namespace)}${id ? `&id=${enc(id)}` : ''}`;

/** The context store: one namespace at a time, page by page; the URL names the namespace and the open context. */
export function Contexts() {
  const { query } = useLocation();
  const namespace = query.get('namespace') || 'default';
  const opened = query.get('id');
  const [text, setText] = useState(namespace);
  // Cursors of the pages seen so far in this namespace, so "Previous" can go back without the API paging backwards;
  // another namespace (typed, or reached with the back button) starts again at its first page.
  const [paging, setPaging] = useState<{ namespace: string; cursors: (string | undefined)[] }>({
    namespace,
    cursors: [undefined],
  });
  const cursors = paging.namespace === namespace ? paging.cursors : [undefined];
  const setCursors = (change: (current: (string | undefined)[]) => (string | undefined)[]) =>
    setPaging({ namespace, cursors: change(cursors) });
  const cursor = cursors[cursors.length - 1];
  const [done, setDone] = useState<string>();
  const page = useAsync(
    () =>
      optional(
        request<ContextPage>(
          `/api/v1/contexts?namespace=${enc(namespace)}&limit=${PAGE_SIZE}${cursor ? `&cursor=${enc(cursor)}` : ''}`,
        ),
      ),
    [namespace, cursor],
  );
  if (page.loading && !page.value && !page.error) return <p>Loading…</p>;
  if (!page.error && page.value === undefined)
    return <p class="muted">The context store is not enabled on this Wharf.</p>;
  const contexts = page.value?.contexts ?? [];
  const next = page.value?.metadata.next_cursor;
  return (
    <div>
      <form
        class="inline-form"
        role="search"
        aria-label="Contexts"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors(() => [undefined]);
          setDone(undefined);
          navigate(contextsPath(text.trim() || 'default'));
        }}
      >
        <label class="field">
          <span>Namespace</span>
          <input value={text} placeholder="default" onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button type="submit">Show contexts</button>
      </form>
      <ErrorText error={page.error} />
      <StatusText text={done} />
      {page.value && (
        <>
          <p class="muted small">
            {contexts.length === 0
              ? `No live context in ${namespace}${cursors.length > 1 ? ' on this page' : ''}.`
              : `Page ${cursors.length} of namespace ${namespace}: ${contexts.length} contexts.`}
          </p>
          {contexts.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Context</th>
                  <th scope="col">Version</th>
                  <th scope="col">Last updated</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {contexts.map((c) => (
                  <tr key={c.context_id} aria-current={c.context_id === opened ? 'true' : undefined}>
                    <td>
                      <button
                        type="button"
                        class="link mono"
                        aria-label={`Open ${c.context_id}`}
                        onClick={() => navigate(contextsPath(namespace, c.context_id))}
                      >
                        {c.context_id}
                      </button>
                    </td>
                    <td>{c.version}</td>
                    <td class="small">{c.last_updated}</td>
                    <td class="small">{c.expires_at ?? 'never'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div class="inline-form">
            <button type="button" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous page
            </button>
            <button type="button" disabled={!next} onClick={() => setCursors((c) => [...c, next])}>
              Next page
            </button>
          </div>
        </>
      )}
      {opened && (
        <ContextView
          key={opened}
          id={opened}
          onClose={() => navigate(contextsPath(namespace))}
          onDeleted={() => {
            setDone(`Deleted ${opened}.`);
            navigate(contextsPath(namespace));
            page.reload();
          }}
        />
      )}
    </div>
  );
}

function ContextView({ id, onClose, onDeleted }: { id: string; onClose: () => void; onDeleted: () => void }) {
  const context = useAsync(() => request<Context>(`/api/v1/contexts/${enc(id)}`), [id]);
  const [error, setError] = useState<string>();
  const remove = async (current: Context) => {
    if (!confirm(`Delete context ${id}? Watchers see a deleted event; this cannot be undone.`)) return;
    setError(undefined);
    try {
      // If-Match: deleting what was shown, not a version someone wrote since (412 otherwise).
      await request(`/api/v1/contexts/${enc(id)}`, {
        method: 'DELETE',
        headers: { 'If-Match': `"${current.version}"` },
      });
      onDeleted();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section class="panel" aria-labelledby="context-heading">
      <h2 id="context-heading">
        Context <span class="mono">{id}</span>
      </h2>
      <ErrorText error={context.error ?? error} />
      {context.loading && !context.value && <p>Loading…</p>}
      {context.value && (
        <>
          <p class="small muted">
            {context.value.namespace} · version {context.value.version} · created {context.value.created_at} · expires{' '}
            {context.value.expires_at ?? 'never'}
          </p>
          {/* Rendered as text: the payload is whatever a client stored, markup included. */}
          <pre class="json" data-testid="context-json" tabIndex={0} aria-label={`JSON of ${id}`}>
            {JSON.stringify(context.value, null, 2)}
          </pre>
        </>
      )}
      <div class="inline-form">
        {context.value && (
          <button type="button" class="danger" onClick={() => context.value && remove(context.value)}>
            Delete context
          </button>
        )}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
