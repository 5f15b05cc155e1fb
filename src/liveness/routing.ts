import { createAddressPolicy, hostVerdict } from '../platform/net/ip-policy.js';
import type { Logger } from '../platform/observability/logger.js';
import type { RoutableInstance } from './instances.js';

/** An upstream as the gateway describes it to its endpoints hook. */
export interface RoutedUpstream {
  server: string;
  version: string;
  /** The remote's URL, variables filled. */
  url: string;
  /** The remote's transport; instances registered with another transport are not used for it. */
  transport?: string | undefined;
}

export interface InstanceDirectory {
  directory(): readonly RoutableInstance[];
  onDirectoryChange(listener: () => void): void;
}

export interface InstanceRoutingOptions {
  allowPrivateNetworks: boolean;
  logger: Logger;
  /** Where in the rotation this process starts (default random, so replicas spread over the instances). */
  random?: () => number;
}

interface Choice {
  urls: readonly string[];
  instanceId: string | undefined;
  /** Why nothing is routable, when `urls` is empty. */
  refusal: string | undefined;
}

/**
 * The gateway's "healthy registered instances" hook. When a server has registered instances (for the upstream's
 * version: an instance that names another version in `metadata.version` is not used), the gateway connects to a
 * passing one, never to a critical one, and not to the remote URL; with no instance registered, it connects to the
 * remote URL. The answer lists every usable instance: stateless (2026-07-28) calls are spread over all of them in
 * turn; the first is where the gateway's pooled connection goes (it may hold a 2025-era session), sticky while it
 * passes, and moves round-robin to the next passing instance when it goes critical or leaves; each
 * process starts the rotation at a random place, so replicas spread over the instances. When every registered
 * instance is critical the answer is empty: the gateway withdraws the upstream's tools (as for any dead upstream)
 * rather than sending calls to instances that stopped proving they are alive, or to a remote URL they may stand for.
 * Instance URLs at loopback, private or link-local literal addresses are skipped unless private networks are
 * allowed (names are checked again when the gateway connects, as for every upstream).
 */
export class InstanceRouting {
  private readonly chosen = new Map<string, string>();
  /** What each upstream was last answered, to tell the gateway only when an answer would change. */
  private readonly answered = new Map<string, { upstream: RoutedUpstream; urls: readonly string[] }>();
  private readonly listeners: (() => void)[] = [];
  private readonly start: number;
  private readonly policy: ReturnType<typeof createAddressPolicy>;

  constructor(
    private readonly instances: InstanceDirectory,
    private readonly options: InstanceRoutingOptions,
  ) {
    this.start = Math.floor((options.random ?? Math.random)() * 1_000_000);
    this.policy = createAddressPolicy(options.allowPrivateNetworks);
    instances.onDirectoryChange(() => this.directoryChanged());
  }

  /** Called when the URLs of an upstream answered before changed (the gateway reconnects and rebalances). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The hook itself: the URLs to reach `upstream` at, best first; empty when every registered instance is down. */
  readonly endpoints = (upstream: RoutedUpstream): readonly string[] => {
    const key = keyOf(upstream);
    const choice = this.choose(upstream);
    const previous = this.answered.get(key);
    if (choice.refusal !== undefined && (previous === undefined || previous.urls.length > 0)) {
      this.options.logger.warn(
        { server: upstream.server, version: upstream.version },
        `gateway: ${choice.refusal}; its tools are withdrawn until one passes`,
      );
    }
    if (choice.instanceId === undefined) this.chosen.delete(key);
    else this.chosen.set(key, choice.instanceId);
    this.answered.set(key, { upstream, urls: choice.urls });
    return choice.urls;
  };

  private directoryChanged(): void {
    let moved = false;
    for (const [, { upstream, urls }] of this.answered) {
      const now = this.choose(upstream).urls;
      if (now.length !== urls.length || now.some((url, i) => url !== urls[i])) moved = true;
    }
    if (moved) for (const listener of this.listeners) listener();
  }

  private choose(upstream: RoutedUpstream): Choice {
    const registered = this.instances
      .directory()
      .filter(
        (i) =>
          i.server === upstream.server &&
          (i.version === undefined || i.version === upstream.version) &&
          (upstream.transport === undefined || i.transport === upstream.transport),
      );
    if (registered.length === 0) return { urls: [upstream.url], instanceId: undefined, refusal: undefined };
    const passing = registered.filter((i) => i.state === 'passing');
    const usable = passing.filter((i) => this.reachable(i.url));
    if (usable.length === 0) {
      const refused = passing.length - usable.length;
      const refusal =
        refused > 0
          ? `none of the ${registered.length} registered instances of ${upstream.server} ${upstream.version} is usable ` +
            `(${registered.length - passing.length} critical, ${refused} at a non-public address; set WHARF_ALLOW_PRIVATE_NETWORKS=true to allow them)`
          : `all ${registered.length} registered instances of ${upstream.server} ${upstream.version} are critical (heartbeats stopped)`;
      return { urls: [], instanceId: undefined, refusal };
    }
    const current = this.chosen.get(keyOf(upstream));
    let index = usable.findIndex((i) => i.id === current);
    if (index < 0) {
      // The successor of the instance that left, in id order; the rotation's start for a first choice.
      const after = current === undefined ? -1 : usable.findIndex((i) => i.id > current);
      index = after >= 0 ? after : current === undefined ? this.start % usable.length : 0;
    }
    const rotated = [...usable.slice(index), ...usable.slice(0, index)];
    return { urls: rotated.map((i) => i.url), instanceId: rotated[0]?.id, refusal: undefined };
  }

  private reachable(url: string): boolean {
    let hostname: string;
    try {
      hostname = new URL(url).hostname.toLowerCase();
    } catch {
      return false;
    }
    return hostVerdict(hostname, this.policy, this.options.allowPrivateNetworks).allowed;
  }
}

function keyOf(upstream: RoutedUpstream): string {
  return JSON.stringify([upstream.server, upstream.version, upstream.url, upstream.transport ?? '']);
}
