import { randomUUID } from 'node:crypto';
import { describe, inject } from 'vitest';
import type { Permission } from '../../src/auth/permissions.js';
import { createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { postgresDatabase, postgresUrl, sqliteDatabase } from '../support/databases.js';

export const redisUrl = (): string => inject('redisUrl');

export interface ContextBackend {
  name: 'sqlite' | 'postgres' | 'redis';
  /** A full Wharf whose context store is this backend, with a clock the test moves. */
  start(options?: { env?: Record<string, string> }): Promise<ContextTestApp>;
}

export interface ContextTestApp extends TestApp {
  clock: TestClock;
  /** A bearer header for a JWT with these permissions, for subject `subject`. */
  bearer(subject: string, permissions: Permission[]): Promise<{ authorization: string }>;
}

export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export function testClock(): TestClock {
  // Starts at real time: Redis applies PEXPIREAT with its own clock, so logical time must not lag behind it.
  let now = Date.now();
  return { now: () => now, advance: (ms) => (now += ms) };
}

export const contextBackends: ContextBackend[] = [
  {
    name: 'sqlite',
    start: (options) => startWith({ database: sqliteDatabase, env: options?.env }),
  },
  {
    name: 'postgres',
    start: (options) => startWith({ database: postgresDatabase, env: options?.env }),
  },
  {
    name: 'redis',
    start: (options) =>
      startWith({
        database: sqliteDatabase,
        env: { WHARF_REDIS_URL: redisUrl(), WHARF_CONTEXT_STORE: 'redis', ...options?.env },
        redisKeyPrefix: `wharf-test:${randomUUID()}:`,
      }),
  },
];

async function startWith(options: {
  database: typeof sqliteDatabase;
  env?: Record<string, string> | undefined;
  redisKeyPrefix?: string;
}): Promise<ContextTestApp> {
  const clock = testClock();
  const t = await createTestApp({
    database: options.database,
    // The background reaper would race the tests' own reapNow() calls; tests drive expiry explicitly.
    env: { WHARF_CONTEXT_REAP_INTERVAL_MS: '60000', ...options.env },
    overrides: { contextClock: clock.now, redisKeyPrefix: options.redisKeyPrefix },
  });
  return {
    ...t,
    clock,
    async bearer(subject, permissions) {
      const { registry_token } = await t.wharf.tokens.issue({
        authMethod: 'test',
        authMethodSub: subject,
        permissions,
      });
      return { authorization: `Bearer ${registry_token}` };
    },
  };
}

/** The same suite on SQLite, PostgreSQL and Redis; skipped with the reason when a server is not installed. */
export function describeEachContextBackend(title: string, suite: (backend: ContextBackend) => void): void {
  for (const backend of contextBackends) {
    const missing =
      backend.name === 'postgres'
        ? !postgresUrl() && 'PostgreSQL server binaries not installed'
        : backend.name === 'redis'
          ? !redisUrl() && 'redis-server not installed'
          : false;
    const label = missing ? `${title} [${backend.name}] (skipped: ${missing})` : `${title} [${backend.name}]`;
    describe.skipIf(!!missing)(label, () => suite(backend));
  }
}

export interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Opens a server-sent event stream over real HTTP and collects its events. */
export async function openEventStream(url: string, headers: Record<string, string>) {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  const pump = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || !line.includes(':')) continue;
            const at = line.indexOf(':');
            fields[line.slice(0, at)] = line.slice(at + 1).trimStart();
          }
          if (fields.data !== undefined) {
            events.push({ id: fields.id ?? '', event: fields.event ?? '', data: JSON.parse(fields.data) });
            waiters.splice(0).forEach((w) => w());
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    response,
    events,
    /** Resolves when at least `count` events arrived (fails after `timeoutMs`). */
    async waitFor(count: number, timeoutMs = 5_000): Promise<SseEvent[]> {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${count} events within ${timeoutMs} ms, got ${events.length}: ${JSON.stringify(events)}`,
          );
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return events.slice(0, count);
    },
    async close() {
      abort.abort();
      await pump;
    },
  };
}
