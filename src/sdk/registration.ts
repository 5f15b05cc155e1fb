/**
 * Client side of instance registration: registers a running MCP server instance with a Wharf registry and keeps
 * it alive with heartbeats. Plain `fetch`, no server-side imports, so it runs in any Node 20+ process.
 *
 * @example
 * const registration = keepInstanceRegistered({
 *   registry: 'https://wharf.example.com', token: process.env.WHARF_TOKEN!,
 *   server: 'com.example/weather', url: 'https://weather-3.example.com/mcp',
 * });
 * process.on('SIGTERM', () => void registration.stop());
 */

export interface RegisterInstanceOptions {
  /** Base URL of the Wharf registry, e.g. `http://127.0.0.1:8080`. */
  registry: string;
  /** A registry token or API key with publish permission on `server`. */
  token: string;
  server: string;
  url: string;
  transport?: 'streamable-http' | 'sse';
  metadata?: { region?: string; version?: string; tags?: string[]; [key: string]: unknown };
  /** Stops heartbeats and deregisters when aborted (same as `stop()`). */
  signal?: AbortSignal;
  /** Sent with each heartbeat as the status note. */
  note?: () => string | undefined;
  /** Called for every step, e.g. to log. */
  onEvent?: (event: RegistrationEvent) => void;
  /** First retry delay after a failure (default 500 ms); doubles per failure with full jitter. */
  minBackoffMs?: number;
  /** Longest retry delay (default 30 s). */
  maxBackoffMs?: number;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

export type RegistrationEvent =
  | { type: 'registered'; id: string; ttlSeconds: number; heartbeatIntervalSeconds: number }
  | { type: 'heartbeat'; id: string; state: string }
  | { type: 'retry'; step: 'register' | 'heartbeat'; error: string; delayMs: number }
  | { type: 'expired'; id: string }
  | { type: 'deregistered'; id: string }
  | { type: 'failed'; error: string };

export interface InstanceRegistration {
  /** The current instance id (changes after a re-registration); undefined until registered. */
  readonly id: string | undefined;
  /** Resolves once registered the first time; rejects if registration is refused for good (4xx). */
  readonly ready: Promise<string>;
  /** Settles when the loop ends: after `stop()`, an abort, or a refusal. */
  readonly done: Promise<void>;
  /** Stops heartbeats and deregisters the instance. */
  stop(): Promise<void>;
}

/** A refusal that retrying will not fix (bad token, no permission, unknown server, invalid body). */
export class RegistrationRefusedError extends Error {
  override name = 'RegistrationRefusedError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

class RetryableError extends Error {}

interface Lease {
  id: string;
  token: string;
  intervalMs: number;
}

export function keepInstanceRegistered(options: RegisterInstanceOptions): InstanceRegistration {
  const doFetch = options.fetch ?? fetch;
  const base = options.registry.replace(/\/+$/, '');
  const minBackoff = options.minBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const emit = (event: RegistrationEvent) => options.onEvent?.(event);
  const stopper = new AbortController();
  const stopSignal = stopper.signal;
  if (options.signal) {
    if (options.signal.aborted) stopper.abort();
    else options.signal.addEventListener('abort', () => stopper.abort(), { once: true });
  }
  let lease: Lease | undefined;
  let resolveReady: (id: string) => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Nobody may await `ready`; its rejection is also reported through `done`.
  ready.catch(() => {});

  const request = async (method: string, path: string, token: string, body?: unknown): Promise<Response> => {
    const signal = AbortSignal.any([stopSignal, AbortSignal.timeout(timeoutMs)]);
    try {
      return await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (stopSignal.aborted) throw error;
      throw new RetryableError(describe(error));
    }
  };

  const detail = async (res: Response): Promise<string> => {
    const text = await res.text().catch(() => '');
    try {
      const parsed = JSON.parse(text) as { detail?: string; title?: string };
      return `HTTP ${res.status}: ${parsed.detail ?? parsed.title ?? text}`;
    } catch {
      return `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    }
  };

  const register = async (): Promise<Lease> => {
    const body: Record<string, unknown> = { server: options.server, url: options.url };
    if (options.transport) body.transport = options.transport;
    if (options.metadata) body.metadata = options.metadata;
    const res = await request('POST', '/api/v1/instances', options.token, body);
    if (res.status === 201) {
      const answer = (await res.json()) as {
        id: string;
        token: string;
        ttlSeconds: number;
        heartbeatIntervalSeconds: number;
      };
      emit({
        type: 'registered',
        id: answer.id,
        ttlSeconds: answer.ttlSeconds,
        heartbeatIntervalSeconds: answer.heartbeatIntervalSeconds,
      });
      return { id: answer.id, token: answer.token, intervalMs: answer.heartbeatIntervalSeconds * 1000 };
    }
    const message = await detail(res);
    if (res.status === 429 || res.status >= 500) throw new RetryableError(message);
    throw new RegistrationRefusedError(`registration refused: ${message}`, res.status);
  };

  /** True when the lease is still known; false when the registry forgot it (expired and deregistered). */
  const heartbeat = async (current: Lease): Promise<boolean> => {
    const note = options.note?.();
    const res = await request(
      'PUT',
      `/api/v1/instances/${current.id}/heartbeat`,
      current.token,
      note === undefined ? {} : { note },
    );
    if (res.status === 200) {
      const answer = (await res.json()) as { state: string };
      emit({ type: 'heartbeat', id: current.id, state: answer.state });
      return true;
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return false;
    }
    throw new RetryableError(await detail(res));
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    const backoff = (cap: number) => {
      failures += 1;
      // Full jitter: a fleet of instances that lost the registry together must not come back in lockstep.
      const ceiling = Math.min(cap, maxBackoff, minBackoff * 2 ** (failures - 1));
      return Math.round(Math.random() * ceiling);
    };
    while (!stopSignal.aborted) {
      try {
        if (!lease) {
          lease = await register();
          failures = 0;
          resolveReady(lease.id);
          continue;
        }
        const known = await heartbeat(lease);
        failures = 0;
        if (!known) {
          emit({ type: 'expired', id: lease.id });
          lease = undefined;
          continue;
        }
        await sleep(lease.intervalMs, stopSignal);
      } catch (error) {
        if (stopSignal.aborted) break;
        if (error instanceof RegistrationRefusedError) {
          emit({ type: 'failed', error: error.message });
          rejectReady(error);
          throw error;
        }
        const step = lease ? 'heartbeat' : 'register';
        // While registered, retries must stay well inside the heartbeat interval or the lease lapses.
        const delayMs = backoff(lease ? Math.max(100, lease.intervalMs / 2) : maxBackoff);
        emit({ type: 'retry', step, error: (error as Error).message, delayMs });
        await sleep(delayMs, stopSignal);
      }
    }
  };

  const deregister = async (): Promise<void> => {
    const current = lease;
    lease = undefined;
    if (!current) return;
    try {
      const res = await doFetch(`${base}/api/v1/instances/${current.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${current.token}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel();
      if (res.status === 204 || res.status === 404) emit({ type: 'deregistered', id: current.id });
    } catch {
      // Best effort: an unreachable registry expires the lease on its own.
    }
  };

  const done = loop().finally(async () => {
    rejectReady(new Error('stopped before the instance was registered'));
    await deregister();
  });
  done.catch(() => {});

  return {
    get id() {
      return lease?.id;
    },
    ready,
    done,
    async stop() {
      stopper.abort();
      await done.catch(() => {});
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error.cause as { code?: string; message?: string } | undefined) ?? undefined;
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}
