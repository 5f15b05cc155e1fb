import { sql } from 'kysely';
import type { Expression, ExpressionBuilder, SqlBool as KyselySqlBool, Transaction } from 'kysely';
import type { Database, Queryable } from '../platform/storage/database.js';
import type { WharfSchema } from '../platform/storage/schema.js';
import type { ListFilter, MirrorOrigin, ServerStatus, ServerVersion } from './model.js';
import { SearchIndexStore } from './search/search-store.js';
import type { SearchPlan } from './search/search-store.js';

const columns = [
  'server_name',
  'version',
  'status',
  'status_changed_at',
  'status_message',
  'published_at',
  'updated_at',
  'is_latest',
  'value',
  'origin_upstream',
  'origin_synced_at',
] as const;

type Row = Pick<WharfSchema['servers'], (typeof columns)[number]>;

const toVersion = (row: Row): ServerVersion => ({
  name: row.server_name,
  version: row.version,
  status: row.status,
  statusChangedAt: row.status_changed_at,
  statusMessage: row.status_message,
  publishedAt: row.published_at,
  updatedAt: row.updated_at,
  isLatest: row.is_latest === true || row.is_latest === 1,
  document: row.value,
  ...(row.origin_upstream ? { origin: { upstream: row.origin_upstream, syncedAt: row.origin_synced_at ?? '' } } : {}),
});

/** A version copied from an upstream registry, with the upstream's own metadata. */
export interface MirroredVersion extends ServerVersion {
  remoteUrls: readonly string[];
}

export interface VersionKey {
  name: string;
  version: string;
}

/** A listed version; `rank` is set for results of a ranked search. */
export type RankedVersion = ServerVersion & { rank?: number };

export interface VersionSummary {
  version: string;
  status: ServerStatus;
  publishedAt: string;
  isLatest: boolean;
}

/**
 * Rows whose (name, version) is one of `keys`. The plain IN on the key's first column lets both planners seek the
 * primary key; the row-value IN alone scans.
 */
const versionKeyIn = (keys: readonly VersionKey[]) => (eb: ExpressionBuilder<WharfSchema, 'servers'>) =>
  eb.and([
    eb('server_name', 'in', [...new Set(keys.map((k) => k.name))]),
    eb(
      eb.refTuple('server_name', 'version'),
      'in',
      keys.map((k) => eb.tuple(k.name, k.version)),
    ),
  ]);

/** SQL for the registry's tables. Knows nothing of HTTP or of the rules; returns domain objects. */
export class RegistryStore {
  constructor(
    private readonly database: Database,
    private readonly q: Queryable = database.db,
  ) {}

  /**
   * Runs `work` in one transaction holding the write lock of `serverName`, and advances the registry's
   * generation in the same transaction so that caches everywhere can tell the data changed.
   */
  async writeTransaction<T>(serverName: string, work: (store: RegistryStore) => Promise<T>): Promise<T> {
    return this.database.db.transaction().execute(async (trx: Transaction<WharfSchema>) => {
      await this.database.lockKey(trx, `registry:${serverName}`);
      const result = await work(new RegistryStore(this.database, trx));
      // The search index follows the latest version in the same transaction: never a half-indexed server.
      await new SearchIndexStore(this.database, trx).refresh(serverName);
      await trx
        .updateTable('registry_state')
        .set((eb) => ({ generation: eb('generation', '+', 1) }))
        .where('id', '=', 1)
        .execute();
      return result;
    });
  }

  /** Indexes servers written before the search index existed, one transaction per batch; returns how many. */
  async indexUnindexed(batchSize = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const names = await this.search.unindexedNames(batchSize);
      if (names.length === 0) return total;
      await this.database.db.transaction().execute(async (trx) => {
        for (const name of names) await this.database.lockKey(trx, `registry:${name}`);
        await new SearchIndexStore(this.database, trx).refreshMany(names);
      });
      total += names.length;
    }
  }

  /** A number that changes whenever any registry data changes (in this process or another). */
  async generation(): Promise<number> {
    const row = await this.q.selectFrom('registry_state').select('generation').where('id', '=', 1).executeTakeFirst();
    return Number(row?.generation ?? 0);
  }

  // Literal predicates (not bound parameters) so both planners can use the partial indexes.
  private get latestPredicate(): Expression<KyselySqlBool> {
    return this.database.dialect === 'sqlite' ? sql<KyselySqlBool>`is_latest = 1` : sql<KyselySqlBool>`is_latest`;
  }

  private get notDeletedPredicate(): Expression<KyselySqlBool> {
    return sql<KyselySqlBool>`status <> 'deleted'`;
  }

  /** The search index, read and written through this store's connection (or transaction). */
  get search(): SearchIndexStore {
    return new SearchIndexStore(this.database, this.q);
  }

  /**
   * One page in (name, version) order, or in (rank, name, version) order for a search (`plan`, the prepared
   * search, is made here when not given); each row then carries its rank for the next cursor.
   */
  async list(filter: ListFilter, plan?: SearchPlan): Promise<RankedVersion[]> {
    if (filter.search !== undefined) plan ??= await this.search.plan(filter.search);
    if (plan) {
      const rows = await this.search.rankedPage(plan, filter, columns);
      return rows.map((row) => ({ ...toVersion(row as unknown as Row), rank: Number(row.search_rank) }));
    }
    let query = this.q.selectFrom('servers').select(columns).where(this.search.rowPredicates(filter));
    const cursor = filter.cursor;
    if (cursor?.version !== undefined) {
      const { name, version } = cursor;
      query = query.where((eb) => eb(eb.refTuple('server_name', 'version'), '>', eb.tuple(name, version)));
    } else if (cursor !== undefined) {
      query = query.where('server_name', '>', cursor.name);
    }
    const rows = await query.orderBy('server_name').orderBy('version').limit(filter.limit).execute();
    return rows.map(toVersion);
  }

  /** The latest version of each of `names` (whatever its status), in no particular order. */
  async latestOf(names: readonly string[]): Promise<ServerVersion[]> {
    if (names.length === 0) return [];
    const rows = await this.q
      .selectFrom('servers')
      .select(columns)
      .where('server_name', 'in', names)
      .where(this.latestPredicate)
      .execute();
    return rows.map(toVersion);
  }

  /** Every version of one server, newest publication first. */
  async versions(name: string, includeDeleted: boolean): Promise<ServerVersion[]> {
    let query = this.q.selectFrom('servers').select(columns).where('server_name', '=', name);
    if (!includeDeleted) query = query.where(this.notDeletedPredicate);
    const rows = await query.orderBy('published_at', 'desc').orderBy('version', 'desc').execute();
    return rows.map(toVersion);
  }

  async find(name: string, version: string, includeDeleted: boolean): Promise<ServerVersion | undefined> {
    let query = this.q
      .selectFrom('servers')
      .select(columns)
      .where('server_name', '=', name)
      .where('version', '=', version);
    if (!includeDeleted) query = query.where(this.notDeletedPredicate);
    const row = await query.executeTakeFirst();
    return row && toVersion(row);
  }

  async findLatest(name: string, includeDeleted: boolean): Promise<ServerVersion | undefined> {
    let query = this.q
      .selectFrom('servers')
      .select(columns)
      .where('server_name', '=', name)
      .where(this.latestPredicate);
    if (!includeDeleted) query = query.where(this.notDeletedPredicate);
    const row = await query.orderBy('published_at', 'desc').limit(1).executeTakeFirst();
    return row && toVersion(row);
  }

  /** Lightweight view of all versions of a server, for the latest computation and the version cap. */
  async summaries(name: string): Promise<VersionSummary[]> {
    const rows = await this.q
      .selectFrom('servers')
      .select(['version', 'status', 'published_at', 'is_latest'])
      .where('server_name', '=', name)
      .execute();
    return rows.map((r) => ({
      version: r.version,
      status: r.status,
      publishedAt: r.published_at,
      isLatest: r.is_latest === true || r.is_latest === 1,
    }));
  }

  async insert(entry: ServerVersion, remoteUrls: readonly string[]): Promise<void> {
    await this.q
      .insertInto('servers')
      .values({
        server_name: entry.name,
        version: entry.version,
        status: entry.status,
        status_changed_at: entry.statusChangedAt,
        status_message: entry.statusMessage,
        published_at: entry.publishedAt,
        updated_at: entry.updatedAt,
        is_latest: this.database.bool(entry.isLatest),
        value: entry.document,
      })
      .execute();
    await this.q
      .insertInto('server_names')
      .values({ server_name: entry.name })
      .onConflict((oc) => oc.column('server_name').doNothing())
      .execute();
    await this.insertRemotes(entry.name, entry.version, remoteUrls);
  }

  private async insertRemotes(name: string, version: string, urls: readonly string[]): Promise<void> {
    const unique = [...new Set(urls)];
    if (unique.length === 0) return;
    await this.q
      .insertInto('server_remotes')
      .values(unique.map((url) => ({ server_name: name, version, url })))
      .execute();
  }

  /**
   * Moves the latest flag of `name` to `version` (or clears it). The version losing the flag gets its
   * updated_at bumped so that incremental `updated_since` sync sees the flip.
   */
  async moveLatest(name: string, version: string | undefined, now: string): Promise<void> {
    // Clear before set: the one-latest-per-server index is not deferrable.
    let clear = this.q
      .updateTable('servers')
      .set({ is_latest: this.database.bool(false), updated_at: now })
      .where('server_name', '=', name)
      .where(this.latestPredicate);
    if (version !== undefined) clear = clear.where('version', '<>', version);
    await clear.execute();
    if (version === undefined) return;
    await this.q
      .updateTable('servers')
      .set({ is_latest: this.database.bool(true) })
      .where('server_name', '=', name)
      .where('version', '=', version)
      .execute();
  }

  /** Sets the status of one version (or all when `version` is undefined); returns how many rows changed. */
  async setStatus(
    name: string,
    version: string | undefined,
    status: ServerStatus,
    message: string | null,
    now: string,
  ): Promise<number> {
    let query = this.q
      .updateTable('servers')
      .set((eb) => ({
        status,
        status_message: message,
        updated_at: now,
        status_changed_at: eb.case().when('status', '<>', status).then(now).else(eb.ref('status_changed_at')).end(),
      }))
      .where('server_name', '=', name)
      .where((eb) =>
        eb.or([
          eb('status', '<>', status),
          message === null ? eb('status_message', 'is not', null) : eb('status_message', 'is', null),
          ...(message === null ? [] : [eb('status_message', '<>', message)]),
        ]),
      );
    if (version !== undefined) query = query.where('version', '=', version);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async replaceDocument(name: string, version: string, document: string, remoteUrls: readonly string[], now: string) {
    await this.q
      .updateTable('servers')
      .set({ value: document, updated_at: now })
      .where('server_name', '=', name)
      .where('version', '=', version)
      .execute();
    await this.q.deleteFrom('server_remotes').where('server_name', '=', name).where('version', '=', version).execute();
    await this.insertRemotes(name, version, remoteUrls);
  }

  async delete(name: string, version: string): Promise<boolean> {
    await this.q.deleteFrom('server_remotes').where('server_name', '=', name).where('version', '=', version).execute();
    const result = await this.q
      .deleteFrom('servers')
      .where('server_name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    await this.q
      .deleteFrom('server_names')
      .where('server_name', '=', name)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('servers').select('version').where('server_name', '=', name))))
      .execute();
    return Number(result.numDeletedRows) > 0;
  }

  /** The first non-deleted server other than `exceptName` that already uses one of `urls`. */
  async findRemoteUrlOwner(
    urls: readonly string[],
    exceptName: string,
  ): Promise<{ url: string; serverName: string } | undefined> {
    if (urls.length === 0) return undefined;
    const row = await this.q
      .selectFrom('server_remotes as r')
      .innerJoin('servers as s', (join) =>
        join.onRef('s.server_name', '=', 'r.server_name').onRef('s.version', '=', 'r.version'),
      )
      .select(['r.url', 'r.server_name'])
      .where('r.url', 'in', [...new Set(urls)])
      .where('r.server_name', '<>', exceptName)
      .where('s.status', '<>', 'deleted')
      .orderBy('r.server_name')
      .limit(1)
      .executeTakeFirst();
    return row && { url: row.url, serverName: row.server_name };
  }

  // --- Mirroring (wharf sync): writes that keep the upstream's timestamps, status and latest flags. ---

  /**
   * Like `writeTransaction` for a page of mirrored versions: holds the write lock of every name (taken in sorted
   * order, so two mirror writers cannot deadlock) and advances the generation in the same transaction.
   * `work` also receives the transaction so a caller can commit its own bookkeeping with the page.
   */
  async mirrorTransaction<T>(
    names: readonly string[],
    work: (store: RegistryStore, trx: Transaction<WharfSchema>) => Promise<T>,
  ): Promise<T> {
    return this.database.db.transaction().execute(async (trx: Transaction<WharfSchema>) => {
      if (this.database.dialect === 'postgres' && names.length > 0) {
        const keys = [...new Set(names)].sort().map((name) => `registry:${name}`);
        await sql`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${keys}::text[]) AS k ORDER BY k`.execute(
          trx,
        );
      }
      const result = await work(new RegistryStore(this.database, trx), trx);
      // Mirrored names are searchable like published ones, indexed in the same transaction as their page.
      await new SearchIndexStore(this.database, trx).refreshMany(names);
      await trx
        .updateTable('registry_state')
        .set((eb) => ({ generation: eb('generation', '+', 1) }))
        .where('id', '=', 1)
        .execute();
      return result;
    });
  }

  /** Every version (deleted included) of each of `names`. */
  async versionsOfNames(names: readonly string[]): Promise<ServerVersion[]> {
    if (names.length === 0) return [];
    const rows = await this.q
      .selectFrom('servers')
      .select(columns)
      .where('server_name', 'in', [...new Set(names)])
      .execute();
    return rows.map(toVersion);
  }

  /**
   * Inserts mirrored versions as they are upstream. Only the versions in `latest` (keys `name\u0000version`) get the
   * latest flag: setting it here spares rewriting the row afterwards (clear the name's old flag first).
   */
  async insertMirrored(
    entries: readonly MirroredVersion[],
    origin: MirrorOrigin,
    latest: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    if (entries.length === 0) return;
    await this.q
      .insertInto('servers')
      .values(
        entries.map((e) => ({
          server_name: e.name,
          version: e.version,
          status: e.status,
          status_changed_at: e.statusChangedAt,
          status_message: e.statusMessage,
          published_at: e.publishedAt,
          updated_at: e.updatedAt,
          is_latest: this.database.bool(latest.has(`${e.name}\u0000${e.version}`)),
          value: e.document,
          origin_upstream: origin.upstream,
          origin_synced_at: origin.syncedAt,
        })),
      )
      .execute();
    await this.q
      .insertInto('server_names')
      .values([...new Set(entries.map((e) => e.name))].map((name) => ({ server_name: name })))
      .onConflict((oc) => oc.column('server_name').doNothing())
      .execute();
    const remotes = entries.flatMap((e) =>
      [...new Set(e.remoteUrls)].map((url) => ({ server_name: e.name, version: e.version, url })),
    );
    if (remotes.length > 0) await this.q.insertInto('server_remotes').values(remotes).execute();
  }

  /** Overwrites one version with the upstream's copy (the latest flag is left to `setLatest`). */
  async updateMirrored(entry: MirroredVersion, origin: MirrorOrigin): Promise<void> {
    await this.q
      .updateTable('servers')
      .set({
        status: entry.status,
        status_changed_at: entry.statusChangedAt,
        status_message: entry.statusMessage,
        published_at: entry.publishedAt,
        updated_at: entry.updatedAt,
        value: entry.document,
        origin_upstream: origin.upstream,
        origin_synced_at: origin.syncedAt,
      })
      .where('server_name', '=', entry.name)
      .where('version', '=', entry.version)
      .execute();
    await this.q
      .deleteFrom('server_remotes')
      .where('server_name', '=', entry.name)
      .where('version', '=', entry.version)
      .execute();
    await this.insertRemotes(entry.name, entry.version, entry.remoteUrls);
  }

  /** Records that mirrored versions were seen unchanged upstream at `origin.syncedAt`. */
  async confirmMirrored(keys: readonly VersionKey[], origin: MirrorOrigin): Promise<void> {
    if (keys.length === 0) return;
    await this.q
      .updateTable('servers')
      .set({ origin_synced_at: origin.syncedAt })
      .where('origin_upstream', '=', origin.upstream)
      .where(versionKeyIn(keys))
      .execute();
  }

  /**
   * Clears the latest flag of each of `names`, then sets it on the `latest` versions, keeping updated_at as it is:
   * mirrored timestamps are the upstream's.
   */
  async setLatest(names: readonly string[], latest: readonly VersionKey[]): Promise<void> {
    if (names.length === 0 && latest.length === 0) return;
    if (names.length > 0) {
      await this.q
        .updateTable('servers')
        .set({ is_latest: this.database.bool(false) })
        .where('server_name', 'in', [...new Set(names)])
        .where(this.latestPredicate)
        .execute();
    }
    if (latest.length === 0) return;
    await this.q
      .updateTable('servers')
      .set({ is_latest: this.database.bool(true) })
      .where(versionKeyIn(latest))
      .execute();
  }

  /** Mirrored versions of `upstream` not written or confirmed since `before` (gone upstream, or now filtered out). */
  async staleMirrored(upstream: string, before: string, limit: number): Promise<VersionKey[]> {
    const rows = await this.q
      .selectFrom('servers')
      .select(['server_name', 'version'])
      .where('origin_upstream', '=', upstream)
      .where((eb) => eb.or([eb('origin_synced_at', '<', before), eb('origin_synced_at', 'is', null)]))
      .orderBy('server_name')
      .orderBy('version')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ name: r.server_name, version: r.version }));
  }
}
