import type { FastifyInstance } from 'fastify';
import type { SyncSettings } from '../../src/sync/index.js';

export const OFFICIAL = 'io.modelcontextprotocol.registry/official';

type Item = { server: Record<string, unknown>; _meta: Record<string, unknown> };

/** Every entry of a registry's listing (all pages, deleted included), fetched over HTTP or injected. */
export async function listAll(
  source: { app: FastifyInstance } | { baseUrl: string },
  query = 'include_deleted=true',
): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const path = `/v0.1/servers?limit=100&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    let body: { servers: Item[]; metadata: { nextCursor?: string } };
    if ('app' in source) {
      const res = await source.app.inject({ method: 'GET', url: path });
      if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${res.body}`);
      body = res.json();
    } else {
      const res = await fetch(source.baseUrl + path);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      body = (await res.json()) as typeof body;
    }
    items.push(...body.servers);
    cursor = body.metadata.nextCursor;
    if (!cursor || body.servers.length === 0) return items;
  }
  throw new Error('listing did not end');
}

/**
 * A listing as comparable data: Wharf's own `_meta` keys dropped (the mirror adds `dev.wharf/origin`), and, for an
 * upstream with microsecond timestamps, timestamps cut to the millisecond Wharf keeps.
 */
export function comparable(items: readonly Item[], options: { millis?: boolean } = {}): Item[] {
  return items.map((item) => {
    const meta: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item._meta)) {
      if (key.startsWith('dev.wharf/')) continue;
      meta[key] = key === OFFICIAL && options.millis ? millis(value as Record<string, unknown>) : value;
    }
    return { server: item.server, _meta: meta };
  });
}

function millis(official: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(official)) {
    out[key] = typeof value === 'string' && key.endsWith('At') ? new Date(value).toISOString() : value;
  }
  return out;
}

export function settings(upstream: string, extra: Partial<SyncSettings> = {}): SyncSettings {
  return { upstream, allow: [], deny: [], conflict: 'skip', overlapSeconds: 300, reconcileHours: 24, ...extra };
}

/** A small deterministic PRNG (mulberry32), so a failing random sequence can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
