import { useEffect, useRef, useState } from 'preact/hooks';
import { listServers } from '../api.js';
import { ServerCard } from '../components/server-card.js';
import { navigate, useLocation } from '../router.js';
import type { ServerResponse } from '../types.js';

const FILTERS = [
  { key: 'transport', label: 'Transport', options: ['streamable-http', 'sse', 'stdio'] },
  { key: 'registry_type', label: 'Package type', options: ['npm', 'pypi', 'oci', 'nuget', 'mcpb', 'cargo'] },
  { key: 'status', label: 'Status', options: ['active', 'deprecated', 'deleted'] },
  { key: 'health', label: 'Health', options: ['passing', 'warning', 'critical', 'unknown'] },
] as const;

interface Page {
  servers: ServerResponse[];
  nextCursor: string | undefined;
  loading: boolean;
  error: string | undefined;
}

/** The catalog: the URL holds the query, so a search can be shared and the back button works. */
export function Catalog() {
  const { query } = useLocation();
  const search = query.get('q') ?? '';
  const filters = Object.fromEntries(FILTERS.map((f) => [f.key, query.get(f.key) ?? '']));
  const queryKey = query.toString();
  const [text, setText] = useState(search);
  const [page, setPage] = useState<Page>({ servers: [], nextCursor: undefined, loading: true, error: undefined });
  const sentinel = useRef<HTMLDivElement>(null);
  const generation = useRef(0);

  const updateQuery = (changes: Record<string, string>) => {
    const next = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const qs = next.toString();
    navigate(qs ? `/?${qs}` : '/', { replace: true });
  };

  // Type-ahead: wait for a pause in typing so each keystroke does not become a request.
  useEffect(() => {
    if (text === search) return;
    const timer = setTimeout(() => updateQuery({ q: text.trim() }), 150);
    return () => clearTimeout(timer);
  }, [text]);

  const load = (cursor: string | undefined) => {
    const mine = ++generation.current;
    const controller = new AbortController();
    setPage((p) => ({ ...p, loading: true, error: undefined }));
    listServers({ search, cursor, filters }, controller.signal)
      .then((result) => {
        if (mine !== generation.current) return;
        setPage((p) => ({
          servers: cursor ? [...p.servers, ...result.servers] : result.servers,
          nextCursor: result.metadata.nextCursor,
          loading: false,
          error: undefined,
        }));
      })
      .catch((error: Error) => {
        if (mine === generation.current && error.name !== 'AbortError') {
          setPage((p) => ({ ...p, loading: false, error: error.message }));
        }
      });
    return controller;
  };

  useEffect(() => {
    const controller = load(undefined);
    return () => controller.abort();
  }, [queryKey]);

  // Infinite scroll: fetch the next page when the end of the list comes into view.
  useEffect(() => {
    const node = sentinel.current;
    if (!node || !page.nextCursor || page.loading) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) load(page.nextCursor);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [page.nextCursor, page.loading]);

  return (
    <section aria-labelledby="catalog-heading">
      <h1 id="catalog-heading" class="visually-hidden">
        Server catalog
      </h1>
      <form class="search" role="search" onSubmit={(e) => (e.preventDefault(), updateQuery({ q: text.trim() }))}>
        <label for="search-input" class="visually-hidden">
          Search servers
        </label>
        <input
          id="search-input"
          type="search"
          placeholder="Search by name, title, description, URL or package…"
          value={text}
          autoFocus
          onInput={(e) => setText(e.currentTarget.value)}
        />
        {FILTERS.map((f) => (
          <label key={f.key} class="filter">
            <span>{f.label}</span>
            <select value={filters[f.key]} onChange={(e) => updateQuery({ [f.key]: e.currentTarget.value })}>
              <option value="">any</option>
              {f.options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
        ))}
      </form>
      {page.error && (
        <p role="alert" class="error">
          Could not load servers: {page.error}
        </p>
      )}
      <p class="muted" aria-live="polite">
        {page.loading && page.servers.length === 0
          ? 'Loading…'
          : `${page.servers.length}${page.nextCursor ? '+' : ''} server${page.servers.length === 1 ? '' : 's'}${search ? ` for “${search}”` : ''}`}
      </p>
      <ul class="cards" aria-label="Servers">
        {page.servers.map((entry) => (
          <ServerCard key={`${entry.server.name}@${entry.server.version}`} entry={entry} />
        ))}
      </ul>
      {page.nextCursor && (
        <div ref={sentinel} class="more">
          <button type="button" disabled={page.loading} onClick={() => load(page.nextCursor)}>
            {page.loading ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </section>
  );
}
