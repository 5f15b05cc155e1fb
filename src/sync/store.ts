import { sql } from 'kysely';
import type { Database, Queryable } from '../platform/storage/database.js';
import type { SyncStateTable } from '../platform/storage/schema.js';

export type SyncStage = SyncStateTable['stage'];

/** Where the sync of one upstream stands. Timestamps are ISO strings. */
export interface SyncState {
  upstream: string;
  /** `idle` between passes; otherwise the pass in progress, resumed after a crash. */
  stage: SyncStage;
  /** `updated_since` of the incremental pass in progress. */
  passSince: string | null;
  /** The cursor of the next page to fetch (null: the first page). */
  passCursor: string | null;
  /** Local time the pass started: the full pass's sweep removes mirrored versions not confirmed since then. */
  passStartedAt: string | null;
  /** The upstream's clock when the pass fetched its first page: the next high-water mark. */
  passUpstreamTime: string | null;
  /** Newest updatedAt seen in this pass (the high-water mark when the upstream sends no Date header). */
  passMaxUpdatedAt: string | null;
  /** Settings (patterns, conflict policy) the pass runs with; other settings restart with a full pass. */
  passFingerprint: string | null;
  /** Every upstream change up to this upstream time has been applied. */
  highWater: string | null;
  lastFullAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
}

export function idleState(upstream: string): SyncState {
  return {
    upstream,
    stage: 'idle',
    passSince: null,
    passCursor: null,
    passStartedAt: null,
    passUpstreamTime: null,
    passMaxUpdatedAt: null,
    passFingerprint: null,
    highWater: null,
    lastFullAt: null,
    lastSuccessAt: null,
    lastError: null,
  };
}

/** A session held for the length of a sync: on PostgreSQL the connection carrying the advisory lock. */
export type LeaderWork<T> = () => Promise<T>;

/** SQL for the sync's own table, and the leader lock. */
export class SyncStateStore {
  constructor(private readonly database: Database) {}

  async get(upstream: string, q: Queryable = this.database.db): Promise<SyncState> {
    const row = await q.selectFrom('sync_state').selectAll().where('upstream', '=', upstream).executeTakeFirst();
    if (!row) return idleState(upstream);
    return {
      upstream: row.upstream,
      stage: row.stage,
      passSince: row.pass_since,
      passCursor: row.pass_cursor,
      passStartedAt: row.pass_started_at,
      passUpstreamTime: row.pass_upstream_time,
      passMaxUpdatedAt: row.pass_max_updated_at,
      passFingerprint: row.pass_fingerprint,
      highWater: row.high_water,
      lastFullAt: row.last_full_at,
      lastSuccessAt: row.last_success_at,
      lastError: row.last_error,
    };
  }

  /** Every upstream this database has synced from. */
  async all(): Promise<SyncState[]> {
    const rows = await this.database.db.selectFrom('sync_state').select('upstream').orderBy('upstream').execute();
    return Promise.all(rows.map((r) => this.get(r.upstream)));
  }

  /** Writes the state; pass the page's transaction to commit both together. */
  async save(state: SyncState, now: string, q: Queryable = this.database.db): Promise<void> {
    const values = {
      stage: state.stage,
      pass_since: state.passSince,
      pass_cursor: state.passCursor,
      pass_started_at: state.passStartedAt,
      pass_upstream_time: state.passUpstreamTime,
      pass_max_updated_at: state.passMaxUpdatedAt,
      pass_fingerprint: state.passFingerprint,
      high_water: state.highWater,
      last_full_at: state.lastFullAt,
      last_success_at: state.lastSuccessAt,
      last_error: state.lastError,
      updated_at: now,
    };
    await q
      .insertInto('sync_state')
      .values({ upstream: state.upstream, ...values })
      .onConflict((oc) => oc.column('upstream').doUpdateSet(values))
      .execute();
  }

  /**
   * Runs `work` only if no other process is syncing `upstream`, and returns undefined otherwise. On PostgreSQL
   * that is a session advisory lock on a connection held for the whole run (released when it ends, or when the
   * process dies and its connection closes), so replicas sharing the database elect one syncer. SQLite is owned
   * by one process: nothing to elect.
   */
  async withLeaderLock<T>(upstream: string, work: LeaderWork<T>): Promise<{ value: T } | undefined> {
    if (this.database.dialect !== 'postgres') return { value: await work() };
    return this.database.db.connection().execute(async (connection) => {
      const key = `wharf-sync:${upstream}`;
      const { rows } = await sql<{
        locked: boolean;
      }>`SELECT pg_try_advisory_lock(hashtextextended(${key}, 0)) AS locked`.execute(connection);
      if (!rows[0]?.locked) return undefined;
      try {
        return { value: await work() };
      } finally {
        await sql`SELECT pg_advisory_unlock(hashtextextended(${key}, 0))`.execute(connection);
      }
    });
  }
}
