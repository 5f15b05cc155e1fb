import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pickLatest, compareVersions } from '../../src/registry/versioning.js';

/**
 * A fake of the official registry's list endpoint, on a real loopback HTTP server, reproducing what a mirror has to
 * survive (registry-api.md §1.4, §2.6, §2.9):
 *  - `nextCursor` is `name:version`, handed out raw; the query string is decoded with form rules, so a `+` sent back
 *    unencoded arrives as a space;
 *  - a cursor whenever a page is full, so the last page can be empty and still carry one;
 *  - a publish moves `isLatest` off the previous latest without touching its `updatedAt`, and a status change re-picks
 *    the latest without touching the new latest's `updatedAt`;
 *  - timestamps with microseconds.
 */
export interface FakeRow {
  server: Record<string, unknown>;
  status: 'active' | 'deprecated' | 'deleted';
  statusChangedAt: string;
  statusMessage?: string;
  publishedAt: string;
  updatedAt: string;
  isLatest: boolean;
}

export class FakeUpstream {
  readonly rows = new Map<string, FakeRow>();
  /** Every request URL as received (raw). */
  readonly requests: string[] = [];
  /** Answer this many list requests with 429 (Retry-After: 0) before serving. */
  failNext = 0;
  /** Milliseconds to wait before answering each list request. */
  delayMs = 0;
  /** List requests after this many wait until `release()` (a sync stuck mid-pass, deterministically). */
  holdAfter = Number.POSITIVE_INFINITY;
  private listRequests = 0;
  private readonly held: (() => void)[] = [];
  /** When false, responses carry no Date header. */
  sendDate = true;
  private server: http.Server | undefined;
  baseUrl = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  release(): void {
    this.holdAfter = Number.POSITIVE_INFINITY;
    for (const resume of this.held.splice(0)) resume();
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * The upstream's own clock, controlled by the test: every change moves it 10 s on, and responses carry it in their
   * Date header, so a mirror's overlap window can be set to 0 and then sees only what changed since its last pass.
   * Timestamps carry microseconds, as the official registry's do.
   */
  now(): string {
    this.clockMicros += 10_000_000 + 1_237;
    return iso(this.clockMicros);
  }

  private clockMicros = (Date.now() - 86_400_000) * 1000;

  /** Time passes upstream without changes. */
  advance(seconds: number): void {
    this.clockMicros += seconds * 1_000_000;
  }

  versionsOf(name: string): FakeRow[] {
    return [...this.rows.values()].filter((r) => r.server.name === name);
  }

  /** The official publish: compared with the current latest only; the old latest is un-flagged silently. */
  publish(name: string, version: string, extra: Record<string, unknown> = {}): FakeRow {
    const key = `${name}\u0000${version}`;
    if (this.rows.has(key)) throw new Error(`duplicate ${key}`);
    const now = this.now();
    const row: FakeRow = {
      server: {
        $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
        name,
        description: `Fake upstream server ${name}`,
        version,
        ...extra,
      },
      status: 'active',
      statusChangedAt: now,
      publishedAt: now,
      updatedAt: now,
      isLatest: false,
    };
    const latest = this.versionsOf(name).find((r) => r.isLatest);
    if (!latest || compareVersions(candidate(row), candidate(latest)) > 0) {
      if (latest) latest.isLatest = false; // no updatedAt change: the quirk
      row.isLatest = true;
    }
    this.rows.set(key, row);
    return row;
  }

  /** The official status change: updatedAt always moves; the latest is re-picked without touching others. */
  setStatus(name: string, version: string, status: FakeRow['status'], message?: string): void {
    const row = this.rows.get(`${name}\u0000${version}`);
    if (!row) throw new Error(`no ${name}@${version}`);
    const now = this.now();
    if (row.status !== status) row.statusChangedAt = now;
    row.status = status;
    if (status === 'active' || message === undefined) delete row.statusMessage;
    else row.statusMessage = message;
    row.updatedAt = now;
    const versions = this.versionsOf(name);
    const best = pickLatest(versions.map((r) => ({ ...candidate(r), status: r.status, row: r })));
    for (const r of versions) r.isLatest = r === best?.row;
  }

  /** The listing as the official registry answers it (all pages, deleted included). */
  listing(): { server: Record<string, unknown>; _meta: Record<string, unknown> }[] {
    return this.sorted().map(wire);
  }

  private sorted(): FakeRow[] {
    return [...this.rows.values()].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests.push(req.url ?? '');
    res.sendDate = false;
    if (this.sendDate) res.setHeader('date', new Date(Math.floor(this.clockMicros / 1000)).toUTCString());
    const url = new URL(req.url ?? '/', 'http://fake');
    if (!/^\/v0(\.1)?\/servers$/.test(url.pathname)) {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Not Found', status: 404, detail: 'Endpoint not found' }));
      return;
    }
    this.listRequests += 1;
    if (this.listRequests > this.holdAfter) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failNext > 0) {
      this.failNext -= 1;
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Too Many Requests', status: 429, detail: 'rate limited' }));
      return;
    }
    // URLSearchParams decodes like Go's url.ParseQuery: `+` is a space.
    const q = url.searchParams;
    const limit = Number(q.get('limit') ?? 30);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      res.writeHead(422, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Unprocessable Entity', status: 422, detail: 'validation failed' }));
      return;
    }
    const since = q.get('updated_since');
    const includeDeleted = since !== null || q.get('include_deleted') === 'true';
    let rows = this.sorted();
    if (!includeDeleted) rows = rows.filter((r) => r.status !== 'deleted');
    if (since !== null) rows = rows.filter((r) => micros(r.updatedAt) > micros(since));
    const cursor = q.get('cursor');
    if (cursor) {
      const colon = cursor.indexOf(':');
      const after: [string, string] =
        colon === -1 ? [cursor, '\uffff'] : [cursor.slice(0, colon), cursor.slice(colon + 1)];
      rows = rows.filter((r) => compareKeys(keyOf(r), after) > 0);
    }
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const metadata: Record<string, unknown> = {};
    // Official: a cursor whenever the page is full, even if nothing follows.
    if (page.length >= limit && last) metadata.nextCursor = `${last.server.name}:${last.server.version}`;
    metadata.count = page.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ servers: page.map(wire), metadata }));
  }
}

function candidate(row: FakeRow) {
  return { version: String(row.server.version), publishedAt: row.publishedAt };
}

function keyOf(row: FakeRow): [string, string] {
  return [String(row.server.name), String(row.server.version)];
}

function compareKeys(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

function iso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  return new Date(ms).toISOString().replace('Z', `${String(micros % 1000).padStart(3, '0')}Z`);
}

function micros(iso: string): number {
  const match = /\.(\d+)Z$/.exec(iso);
  const fraction = (match?.[1] ?? '').padEnd(6, '0').slice(0, 6);
  return Math.floor(Date.parse(iso) / 1000) * 1_000_000 + Number(fraction);
}

function wire(row: FakeRow): { server: Record<string, unknown>; _meta: Record<string, unknown> } {
  const official: Record<string, unknown> = { status: row.status, statusChangedAt: row.statusChangedAt };
  if (row.statusMessage !== undefined) official.statusMessage = row.statusMessage;
  official.publishedAt = row.publishedAt;
  official.updatedAt = row.updatedAt;
  official.isLatest = row.isLatest;
  return { server: row.server, _meta: { 'io.modelcontextprotocol.registry/official': official } };
}
