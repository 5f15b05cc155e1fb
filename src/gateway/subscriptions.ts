/**
 * Resource subscriptions through the gateway. Downstream subscribers (a legacy session's `resources/subscribe`, a
 * modern `subscriptions/listen` naming `resourceSubscriptions`) are counted per (upstream, URI): the first one
 * subscribes on the shared upstream connection, the last one to leave unsubscribes, so a hundred clients watching
 * one URI cost the upstream one subscription. A 2025-era upstream gets `resources/subscribe`/`unsubscribe`; a
 * 2026-07-28 upstream one `subscriptions/listen` stream naming every watched URI, replaced (new stream first, then
 * the old one closed) whenever the set changes. Updates come back through `UpstreamConnection.onResourceUpdated`
 * and the federation maps them to the downstream URI. Subscriptions are not renewed after an upstream reconnects.
 */
import type { UpstreamConnection } from './upstream.js';

interface Watched {
  count: number;
}

interface Listening {
  uris: Set<string>;
  close: (() => Promise<void>) | undefined;
  /** Serialises stream replacements on one upstream. */
  chain: Promise<void>;
}

export class UpstreamSubscriptions {
  private readonly watched = new Map<UpstreamConnection, Map<string, Watched>>();
  private readonly listening = new Map<UpstreamConnection, Listening>();

  /** Counts one more subscriber of `uri` (the upstream's own URI); resolves once the upstream subscription holds. */
  async acquire(upstream: UpstreamConnection, uri: string): Promise<() => Promise<void>> {
    let uris = this.watched.get(upstream);
    if (!uris) this.watched.set(upstream, (uris = new Map()));
    const entry = uris.get(uri);
    if (entry) entry.count++;
    else {
      uris.set(uri, { count: 1 });
      try {
        await this.change(upstream, uri, true);
      } catch (error) {
        uris.delete(uri);
        throw error;
      }
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const current = uris.get(uri);
      if (!current || --current.count > 0) return;
      uris.delete(uri);
      await this.change(upstream, uri, false).catch(() => undefined);
    };
  }

  /** Whether anyone downstream watches this upstream URI (updates for others are dropped). */
  watches(upstream: UpstreamConnection, uri: string): boolean {
    return this.watched.get(upstream)?.has(uri) ?? false;
  }

  async closeAll(): Promise<void> {
    const closers = [...this.listening.values()].map((listening) => listening.close?.());
    this.listening.clear();
    this.watched.clear();
    await Promise.all(closers.map((close) => close?.catch(() => undefined)));
  }

  private async change(upstream: UpstreamConnection, uri: string, subscribe: boolean): Promise<void> {
    if (!upstream.modern) return upstream.subscribeResource(uri, subscribe);
    let listening = this.listening.get(upstream);
    if (!listening)
      this.listening.set(upstream, (listening = { uris: new Set(), close: undefined, chain: Promise.resolve() }));
    const state = listening;
    if (subscribe) state.uris.add(uri);
    else state.uris.delete(uri);
    const replace = async () => {
      const previous = state.close;
      state.close = state.uris.size > 0 ? await upstream.listenResources([...state.uris]) : undefined;
      await previous?.().catch(() => undefined);
    };
    const run = state.chain.then(replace, replace);
    state.chain = run.catch(() => undefined);
    return run;
  }
}
