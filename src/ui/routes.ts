import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WharfError } from '../platform/errors.js';

/** The paths the single-page app owns; everything else keeps its API meaning (and its 404s). */
const APP_ROUTES = ['/', '/dashboard', '/admin', '/admin/*', '/servers/*'];

// Server descriptions are untrusted: the policy forbids inline script and foreign script origins,
// so even markup that slipped through rendering could not run.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Where `npm run build` puts the UI: `dist/public` in the package root. */
export function uiDirectory(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(dir, 'dist', 'public');
}

export async function uiRoutes(app: FastifyInstance, options: { directory?: string } = {}): Promise<void> {
  const directory = options.directory ?? uiDirectory();
  const indexFile = path.join(directory, 'index.html');
  const index = fs.existsSync(indexFile) ? fs.readFileSync(indexFile) : undefined;

  if (index) {
    await app.register(fastifyStatic, {
      root: path.join(directory, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      preCompressed: true,
      // File names carry a content hash, so a cached copy never goes stale.
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => {
        res.headers(SECURITY_HEADERS);
      },
    });
  }

  const sendApp = async (_request: unknown, reply: FastifyReply) => {
    if (!index) {
      throw new WharfError(
        'unavailable',
        'The web UI is not built. Run `npm run build` (npm ci does it) and restart Wharf.',
      );
    }
    return reply
      .headers(SECURITY_HEADERS)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(index);
  };
  for (const url of APP_ROUTES) app.get(url, { schema: { hide: true } }, sendApp);
}
