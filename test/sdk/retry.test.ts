import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { WharfApiError, WharfClient, WharfNetworkError, WharfTimeoutError } from '../../src/sdk/index.js';
import type { ServerJSON } from '../../src/sdk/index.js';
import { backoffDelay, parseRetryAfter, resolveRetry } from '../../src/sdk/retry.js';

/** What the fault server does with the next request. */
type Fault =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfter?: string; html?: boolean }
  | { kind: 'reset' }
  | { kind: 'hang' };

const okBody = { status: 'ok' };

describe('retry policy under injected faults', () => {
  let server: http.Server;
  let baseUrl: string;
  // Faults and sightings are kept per test (keyed by an x-test header), so a late request from one test can never
  // consume another test's script.
  const scripts = new Map<string, Fault[]>();
  const sightings = new Map<string, string[]>();
  let current = '';
  let script: Fault[] = [];
  let seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const key = String(req.headers['x-test']);
      sightings.get(key)?.push(`${req.method} ${req.url}`);
      const fault = scripts.get(key)?.shift() ?? { kind: 'ok' };
      switch (fault.kind) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(okBody));
          return;
        case 'status': {
          const headers: Record<string, string> = {
            'content-type': fault.html ? 'text/html' : 'application/problem+json',
          };
          if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
          const body = fault.html
            ? '<html><body>upstream overloaded</body></html>'
            : JSON.stringify({ title: 'Injected', status: fault.status, detail: `fault ${fault.status}` });
          res.writeHead(fault.status, headers).end(body);
          return;
        }
        case 'reset':
          req.socket.destroy();
          return;
        case 'hang':
          return;
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  let counter = 0;
  beforeEach(() => {
    current = `t${(counter += 1)}`;
    script = [];
    seen = [];
    scripts.set(current, script);
    sightings.set(current, seen);
  });
  const setScript = (faults: Fault[]) => script.splice(0, script.length, ...faults);

  /** A client whose waits are recorded instead of slept: the controllable clock. */
  function client(extra: ConstructorParameters<typeof WharfClient>[0] = {}) {
    const sleeps: number[] = [];
    const c = new WharfClient({
      baseUrl,
      retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 30_000 },
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      now: () => Date.parse('2026-01-01T00:00:00Z'),
      headers: { 'x-test': current },
      ...extra,
    });
    return { c, sleeps };
  }

  it('retries 503 on a read with exponential, jittered backoff, then succeeds', async () => {
    setScript([
      { kind: 'status', status: 503 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 500 },
    ]);
    const { c, sleeps } = client();
    expect(await c.health()).toEqual(okBody);
    expect(seen).toHaveLength(4);
    // random 0.5 × min(1000, 100 × 2^attempt)
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('honours Retry-After on 429, in seconds and as an HTTP date', async () => {
    setScript([
      { kind: 'status', status: 429, retryAfter: '7' },
      { kind: 'status', status: 429, retryAfter: 'Thu, 01 Jan 2026 00:00:12 GMT' },
    ]);
    const { c, sleeps } = client();
    expect(await c.health()).toEqual(okBody);
    expect(sleeps).toEqual([7_000, 12_000]);
  });

  it('gives up on a Retry-After longer than maxRetryAfterMs and returns the 429', async () => {
    setScript([{ kind: 'status', status: 429, retryAfter: '3600' }]);
    const { c, sleeps } = client();
    const error = await c.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WharfApiError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 3600, detail: 'fault 429' });
    expect(sleeps).toEqual([]);
  });

  it('retries reset connections as network errors', async () => {
    setScript([{ kind: 'reset' }, { kind: 'reset' }]);
    const { c, sleeps } = client();
    expect(await c.health()).toEqual(okBody);
    expect(seen).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('throws the last failure once retries are exhausted', async () => {
    setScript([{ kind: 'reset' }, { kind: 'reset' }, { kind: 'reset' }, { kind: 'reset' }, { kind: 'reset' }]);
    const { c } = client();
    await expect(c.health()).rejects.toBeInstanceOf(WharfNetworkError);
    expect(seen).toHaveLength(4);
  });

  it('retries attempts that time out, then reports WharfTimeoutError', async () => {
    setScript([{ kind: 'hang' }, { kind: 'hang' }]);
    const { c, sleeps } = client({ timeoutMs: 100, retry: { retries: 1, baseDelayMs: 10 } });
    await expect(c.health()).rejects.toBeInstanceOf(WharfTimeoutError);
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(sleeps).toHaveLength(1);
  });

  it('never retries publish, not even on 503 or a reset connection', async () => {
    const server = { name: 'com.example/x', version: '1.0.0' } as ServerJSON;
    setScript([{ kind: 'status', status: 503 }]);
    const { c, sleeps } = client();
    await expect(c.publish(server)).rejects.toMatchObject({ status: 503 });
    setScript([{ kind: 'reset' }]);
    await expect(c.publish(server)).rejects.toBeInstanceOf(WharfNetworkError);
    expect(seen).toEqual(['POST /v0.1/publish', 'POST /v0.1/publish']);
    expect(sleeps).toEqual([]);
  });

  it('does not retry client errors', async () => {
    setScript([{ kind: 'status', status: 404 }]);
    const { c, sleeps } = client();
    await expect(c.get('com.example/x')).rejects.toMatchObject({ status: 404 });
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('synthesises a problem from a non-JSON error page', async () => {
    setScript([{ kind: 'status', status: 502, html: true }]);
    const { c } = client({ retry: false });
    const error = (await c.health().catch((e: unknown) => e)) as WharfApiError;
    expect(error.problem).toEqual({
      title: 'Bad Gateway',
      status: 502,
      detail: '<html><body>upstream overloaded</body></html>',
    });
  });

  it('aborts during a backoff wait without another attempt', async () => {
    setScript([{ kind: 'status', status: 503 }]);
    const controller = new AbortController();
    // Real timers here: the wait must end on abort, not after the 60 s backoff.
    const c = new WharfClient({
      baseUrl,
      retry: { retries: 2, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      random: () => 1,
      headers: { 'x-test': current },
    });
    const pending = c.health({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 50);
    const started = Date.now();
    await expect(pending).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen).toHaveLength(1);
  });
});

describe('retry policy helpers', () => {
  it('caps the backoff and scales it by the jitter draw', () => {
    const policy = resolveRetry({ baseDelayMs: 100, maxDelayMs: 1_000 });
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(10, policy, () => 0.5)).toBe(500);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(resolveRetry(false).retries).toBe(0);
  });

  it('parses both Retry-After forms and ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
