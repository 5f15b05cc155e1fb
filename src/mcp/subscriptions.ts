/**
 * Downstream resource subscriptions. A 2025-era session subscribes with `resources/subscribe` and hears of updates
 * on its GET stream; the subscriptions of each session are kept on the process that received them (like the stream
 * itself) until `resources/unsubscribe` or the session's DELETE. A 2026-07-28 client names the URIs in
 * `subscriptions/listen`; they are held while that stream is open. Either way the provider that serves a URI
 * (the gateway) is told of each subscriber, and updates come back through the host's `notifyResourceUpdated`.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';

export type Subscribe = (uri: string) => Promise<() => Promise<void>>;
type Release = () => Promise<void>;

/** Subscribes through the first provider that serves `uri`. */
export async function subscribeFirst(subscribers: readonly Subscribe[], uri: string): Promise<Release> {
  let failure: unknown = new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource ${uri} cannot be subscribed to`);
  for (const subscribe of subscribers) {
    try {
      return await subscribe(uri);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

/** The URIs a modern `subscriptions/listen` message names in `resourceSubscriptions` (none for anything else). */
export function listenedResources(body: unknown): string[] {
  const message = body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } };
  if (message === null || typeof message !== 'object' || message.method !== 'subscriptions/listen') return [];
  const uris = message.params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? [...new Set(uris.filter((uri): uri is string => typeof uri === 'string'))] : [];
}

/**
 * Subscribes a listen stream to every URI it names that some provider serves (the others are acknowledged by the
 * SDK but never updated); resolves with the function that releases them all.
 */
export async function subscribeAll(uris: readonly string[], subscribers: readonly Subscribe[]): Promise<Release> {
  const held = await Promise.all(uris.map((uri) => subscribeFirst(subscribers, uri).catch(() => undefined)));
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await Promise.all(held.map((release) => release?.().catch(() => undefined)));
  };
}

export class LegacyResourceSubscribers {
  private readonly sessions = new Map<string, Map<string, Release>>();

  async subscribe(session: string, uri: string, subscribers: readonly Subscribe[]): Promise<void> {
    let uris = this.sessions.get(session);
    if (!uris) this.sessions.set(session, (uris = new Map()));
    if (uris.has(uri)) return;
    const release = await subscribeFirst(subscribers, uri);
    // Two subscribes of the same URI raced: keep one.
    if (uris.has(uri)) return release();
    uris.set(uri, release);
  }

  async unsubscribe(session: string, uri: string): Promise<void> {
    const uris = this.sessions.get(session);
    const release = uris?.get(uri);
    uris?.delete(uri);
    if (uris?.size === 0) this.sessions.delete(session);
    await release?.();
  }

  async end(session: string): Promise<void> {
    const uris = this.sessions.get(session);
    this.sessions.delete(session);
    await Promise.all([...(uris?.values() ?? [])].map((release) => release().catch(() => undefined)));
  }

  /** Sessions (on this process) subscribed to `uri`. */
  *watching(uri: string): Iterable<string> {
    for (const [session, uris] of this.sessions) if (uris.has(uri)) yield session;
  }
}
