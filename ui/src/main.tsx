import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { FunctionComponent } from 'preact';
import { Catalog } from './pages/catalog.js';
import { Dashboard } from './pages/dashboard.js';
import { ServerPage } from './pages/server.js';
import { Link, useLocation } from './router.js';
import './styles.css';

type Theme = 'light' | 'dark';
const THEME_KEY = 'wharf.theme';

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/**
 * Administration is most of the code and few visitors open it: it loads on first visit to /admin, keeping it out of
 * the catalog's first load.
 */
function LazyAdmin() {
  const [Page, setPage] = useState<FunctionComponent>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    import('./pages/admin.js')
      .then((module) => setPage(() => module.Admin))
      .catch((e: Error) => setError(`The administration page could not load: ${e.message}`));
  }, []);
  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  return Page ? <Page /> : <p>Loading…</p>;
}

function App() {
  const { path, query } = useLocation();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);

  const serverMatch = /^\/servers\/(.+)$/.exec(path);
  let page;
  let title = 'Catalog';
  if (serverMatch?.[1]) {
    const name = decodeURIComponent(serverMatch[1]);
    page = <ServerPage name={name} version={query.get('version')} />;
    title = name;
  } else if (path === '/dashboard') {
    page = <Dashboard />;
    title = 'Health';
  } else if (path === '/admin' || path.startsWith('/admin/')) {
    page = <LazyAdmin />;
    title = 'Administration';
  } else page = <Catalog />;
  useEffect(() => {
    document.title = `${title} · Wharf`;
  }, [title]);

  const current = (href: string) => (path === href ? 'page' : undefined);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          Wharf
        </Link>
        <nav aria-label="Main">
          <Link href="/" aria-current={current('/')}>
            Catalog
          </Link>
          <Link href="/dashboard" aria-current={current('/dashboard')}>
            Health
          </Link>
          <Link href="/admin" aria-current={path.startsWith('/admin') ? 'page' : undefined}>
            Admin
          </Link>
        </nav>
        <button
          type="button"
          class="theme"
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
      <footer class="muted small">
        <a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI</a>
      </footer>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
