import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/observability/logger.js';
import type { MirrorConflictPolicy, RegistryService } from '../registry/service.js';
import { NameFilter } from './patterns.js';
import type { SyncState, SyncStateStore } from './store.js';
import { MAX_PAGE_SIZE, normaliseUpstream } from './upstream.js';
import type { UpstreamClient, UpstreamPage } from './upstream.js';

export const CONFLICT_POLICIES = [
  'skip',
  'local-wins',
  'upstream-wins',
] as const satisfies readonly MirrorConflictPolicy[];

export interface SyncSettings {
  /** The upstream registry: a base URL such as `https://registry.modelcontextprotocol.io` (or its `/v0.1`). */
  upstream: string;
  allow: readonly string[];
  deny: readonly string[];
  conflict: MirrorConflictPolicy;
  /** Incremental passes ask for changes since the high-water mark minus this (clock skew, late commits). */
  overlapSeconds: number;
  /** A full pass (which also removes versions gone upstream) at least this often; 0: only the first time. */
  reconcileHours: number;
  /** Items per upstream page (1..100). */
  pageSize?: number | undefined;
}

export interface SyncRunOptions {
  /** Run a full pass now, whatever the schedule says. */
  full?: boolean;
  /** Stops the run between two pages (the cursor is committed, the next run resumes). */
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
}

export interface SyncProgress {
  upstream: string;
  mode: 'full' | 'incremental';
  /** This run continues a pass an earlier (crashed or stopped) run began. */
  resumed: boolean;
  pages: number;
  /** Upstream versions received. */
  seen: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Versions of names the allow/deny patterns exclude. */
  filtered: number;
  /** Versions held back by the conflict policy. */
  conflicts: number;
  /** Entries that could not be stored. */
  invalid: number;
  /** Mirrored versions removed because the upstream no longer has them (full passes). */
  removed: number;
}

export interface SyncSummary extends SyncProgress {
  outcome: 'completed' | 'stopped' | 'not-leader';
  durationMs: number;
  /** Every upstream change up to this time is mirrored. */
  highWater: string | null;
}

export interface SyncServiceOptions {
  registry: RegistryService;
  store: SyncStateStore;
  clock: Clock;
  /** Creates the upstream client (the SSRF-guarded outbound client underneath). */
  upstreamClient: (baseUrl: string, signal?: AbortSignal) => UpstreamClient;
  logger?: Logger | undefined;
}

const SWEEP_BATCH = 500;

/**
 * Mirrors an upstream registry into this one. The first pass copies everything (deleted versions included); later
 * passes ask for `updated_since` the high-water mark (minus an overlap), and a periodic full pass removes what the
 * upstream no longer has and corrects latest flags the upstream flipped without a trace. Each page is applied in
 * one transaction together with the cursor that follows it, so a run killed at any point resumes where it stopped.
 */
export class SyncService {
  constructor(private readonly options: SyncServiceOptions) {}

  state(upstream: string): Promise<SyncState> {
    return this.options.store.get(normaliseUpstream(upstream));
  }

  async run(settings: SyncSettings, runOptions: SyncRunOptions = {}): Promise<SyncSummary> {
    const upstream = normaliseUpstream(settings.upstream);
    const started = performance.now();
    const progress: SyncProgress = {
      upstream,
      mode: 'incremental',
      resumed: false,
      pages: 0,
      seen: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      filtered: 0,
      conflicts: 0,
      invalid: 0,
      removed: 0,
    };
    const locked = await this.options.store.withLeaderLock(upstream, () =>
      this.runAsLeader(upstream, settings, runOptions, progress),
    );
    const durationMs = performance.now() - started;
    if (!locked) return { ...progress, outcome: 'not-leader', durationMs, highWater: null };
    return { ...progress, ...locked.value, durationMs };
  }

  private async runAsLeader(
    upstream: string,
    settings: SyncSettings,
    runOptions: SyncRunOptions,
    progress: SyncProgress,
  ): Promise<{ outcome: 'completed' | 'stopped'; highWater: string | null }> {
    const { registry, store, clock, logger } = this.options;
    const filter = new NameFilter(settings.allow, settings.deny);
    const fingerprint = JSON.stringify({ allow: settings.allow, deny: settings.deny, conflict: settings.conflict });
    const pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, settings.pageSize ?? MAX_PAGE_SIZE));
    const client = this.options.upstreamClient(upstream, runOptions.signal);
    const report = () => runOptions.onProgress?.({ ...progress });

    let state = await store.get(upstream);
    const now = clock.now();
    const inPass = state.stage !== 'idle' && state.passFingerprint === fingerprint;
    if (inPass && !(runOptions.full && state.stage === 'incremental')) {
      progress.resumed = true;
    } else {
      const reconcileDue =
        settings.reconcileHours > 0 &&
        (state.lastFullAt === null ||
          Date.parse(now) - Date.parse(state.lastFullAt) >= settings.reconcileHours * 3.6e6);
      const full =
        runOptions.full === true || state.highWater === null || state.passFingerprint !== fingerprint || reconcileDue;
      state = {
        ...state,
        stage: full ? 'full' : 'incremental',
        passSince: full
          ? null
          : new Date(Date.parse(state.highWater ?? now) - settings.overlapSeconds * 1000).toISOString(),
        passCursor: null,
        passStartedAt: now,
        passUpstreamTime: null,
        passMaxUpdatedAt: null,
        passFingerprint: fingerprint,
        lastError: null,
      };
      await store.save(state, now);
    }
    progress.mode = state.stage === 'incremental' ? 'incremental' : 'full';
    logger?.info(
      { upstream, mode: progress.mode, resumed: progress.resumed, since: state.passSince ?? undefined },
      'sync pass starting',
    );
    report();

    const fetchPage = (cursor: string | null) =>
      client.listPage({ cursor: cursor ?? undefined, updatedSince: state.passSince ?? undefined, limit: pageSize });
    // The next page is fetched while this one is written: the upstream and the database work at the same time.
    let prefetched: Promise<UpstreamPage> | undefined;
    try {
      while (state.stage === 'full' || state.stage === 'incremental') {
        if (runOptions.signal?.aborted) return { outcome: 'stopped', highWater: state.highWater };
        const page = await (prefetched ?? fetchPage(state.passCursor));
        prefetched = undefined;
        progress.pages += 1;
        progress.seen += page.items.length + page.invalid.length;
        progress.invalid += page.invalid.length;
        for (const bad of page.invalid.slice(0, 5)) {
          logger?.warn({ upstream, name: bad.name, version: bad.version, reason: bad.reason }, 'sync skipped an entry');
        }
        const accepted = page.items.filter((item) => filter.accepts(item.name));
        progress.filtered += page.items.length - accepted.length;

        const next: SyncState = { ...state };
        if (state.passCursor === null && page.serverTime) next.passUpstreamTime = page.serverTime;
        for (const item of page.items) {
          if (next.passMaxUpdatedAt === null || item.updatedAt > next.passMaxUpdatedAt) {
            next.passMaxUpdatedAt = item.updatedAt;
          }
        }
        // The official registry hands out a cursor whenever a page is full, so the last page may come back empty.
        const last =
          page.items.length + page.invalid.length === 0 || !page.nextCursor || page.nextCursor === state.passCursor;
        const pageTime = clock.now();
        if (!last) {
          next.passCursor = page.nextCursor ?? null;
          prefetched = fetchPage(next.passCursor);
          // Awaited on the next turn; a failure there is reported then, not as an unhandled rejection now.
          prefetched.catch(() => {});
        } else if (next.stage === 'full') Object.assign(next, { stage: 'sweep', passCursor: null });
        else Object.assign(next, completed(next, pageTime, false));

        if (accepted.length > 0) {
          const result = await registry.applyMirrorPage(
            {
              upstream,
              syncedAt: pageTime,
              conflict: settings.conflict,
              entries: accepted,
              confirmUnchanged: state.stage === 'full',
            },
            (trx) => store.save(next, pageTime, trx),
          );
          progress.inserted += result.inserted;
          progress.updated += result.updated;
          progress.unchanged += result.unchanged;
          progress.conflicts += result.conflicts;
          if (result.conflictNames.length > 0) {
            logger?.info(
              { upstream, policy: settings.conflict, names: result.conflictNames.slice(0, 20) },
              'sync left names that also exist locally',
            );
          }
        } else {
          await store.save(next, pageTime);
        }
        state = next;
        report();
      }

      if (state.stage === 'sweep') {
        const before = state.passStartedAt ?? clock.now();
        for (;;) {
          if (runOptions.signal?.aborted) return { outcome: 'stopped', highWater: state.highWater };
          const stale = await registry.staleMirrored(upstream, before, SWEEP_BATCH);
          if (stale.length === 0) break;
          progress.removed += await registry.removeMirrored(upstream, stale);
          report();
        }
        const doneAt = clock.now();
        state = { ...state, ...completed(state, doneAt, true) };
        await store.save(state, doneAt);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await store.save({ ...state, lastError: message.slice(0, 2000) }, clock.now()).catch(() => {});
      throw error;
    }
    logger?.info({ ...progress, highWater: state.highWater }, 'sync pass completed');
    return { outcome: 'completed', highWater: state.highWater };
  }
}

/** The state after a pass finished: the new high-water mark is the upstream's clock when the pass began. */
function completed(state: SyncState, now: string, full: boolean): Partial<SyncState> {
  const candidate = state.passUpstreamTime ?? state.passMaxUpdatedAt;
  const highWater =
    candidate === null
      ? state.highWater
      : state.highWater === null || candidate > state.highWater
        ? candidate
        : state.highWater;
  return {
    stage: 'idle',
    passSince: null,
    passCursor: null,
    passUpstreamTime: null,
    passMaxUpdatedAt: null,
    highWater,
    lastSuccessAt: now,
    lastError: null,
    ...(full ? { lastFullAt: state.passStartedAt ?? now } : {}),
  };
}
