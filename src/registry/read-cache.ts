import { encodedBody } from './wire.js';
import type { EncodedBody } from './wire.js';

export interface ReadCacheOptions {
  /** Reads the registry generation from the database (changes with every write, in any process). */
  readGeneration: () => Promise<number>;
  /** How often to look for writes made by other processes or replicas. */
  pollIntervalMs?: number;
  /** Upper bound on the bytes of cached bodies. */
  maxBytes?: number;
  /** When false every read is computed afresh (ETags are still sent). */
  enabled?: boolean;
}

/**
 * Encoded answers of the hot read endpoints (a hit costs a socket write, not a 30 KB string encoding), kept until
 * the registry changes. Writes in this process invalidate at once; writes elsewhere (another replica,
 * `wharf import`) are seen within one poll interval.
 */
export class RegistryReadCache {
  private readonly entries = new Map<string, EncodedBody>();
  private bytes = 0;
  private epoch = 0;
  private generation: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxBytes: number;

  constructor(private readonly options: ReadCacheOptions) {
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  }

  /** Learns the current generation, then polls for changes. */
  async start(): Promise<void> {
    if (this.timer) return;
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.pollIntervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called after every local write. */
  invalidate(): void {
    this.epoch += 1;
    this.entries.clear();
    this.bytes = 0;
  }

  /** `compute` answers JSON text, or a body it encoded itself (with an ETag that changes whenever the bytes do). */
  async get(key: string, compute: () => Promise<string | EncodedBody>): Promise<EncodedBody> {
    const hit = this.entries.get(key);
    if (hit) {
      // Refresh recency: Map iteration order is insertion order, so the oldest entry is evicted first.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const epoch = this.epoch;
    const computed = await compute();
    const entry = typeof computed === 'string' ? encodedBody(computed) : computed;
    // A write that landed while computing may or may not be in `body`: answer it, but don't keep it.
    const keep = this.options.enabled !== false && epoch === this.epoch && entry.body.length <= this.maxBytes / 4;
    if (keep) this.remember(key, entry);
    return entry;
  }

  private remember(key: string, entry: EncodedBody): void {
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.body.length;
    }
  }

  private async poll(): Promise<void> {
    try {
      const generation = await this.options.readGeneration();
      // An unknown previous generation (a failed first poll) counts as a change.
      if (generation !== this.generation) this.invalidate();
      this.generation = generation;
    } catch {
      // The database is unreachable: keep serving what is known; /ready reports the outage.
    }
  }
}
