import { sql } from 'kysely';
import type { Expression, SqlBool as KyselySqlBool, Transaction } from 'kysely';
import type { Database, Queryable } from '../platform/storage/database.js';
import type { WharfSchema } from '../platform/storage/schema.js';
import type { ListFilter, ServerStatus, ServerVersion } from './model.js';

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
});

export interface VersionSummary {
  version: string;
  status: ServerStatus;
  publishedAt: string;
  isLatest: boolean;
}

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
      await trx
        .updateTable('registry_state')
        .set((eb) => ({ generation: eb('generation', '+', 1) }))
        .where('id', '=', 1)
        .execute();
      return result;
    });
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

  /**
   * Case-insensitive substring match on the name, answered from the small server_names table and its
   * trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) instead of scanning every stored document.
   */
  private nameContains(search: string): Expression<KyselySqlBool> {
    const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    if (this.database.dialect === 'sqlite') {
      // FTS5 serves LIKE from its trigram index only for patterns of three characters or more and without an
      // ESCAPE clause; other searches scan the names table, which is still small.
      const names =
        search.length >= 3 && !/[\\%_]/.test(search)
          ? sql`SELECT n.server_name FROM server_names n WHERE n.id IN (SELECT rowid FROM server_names_fts WHERE server_names_fts.server_name LIKE ${`%${search}%`})`
          : sql`SELECT server_name FROM server_names WHERE server_name LIKE ${pattern} ESCAPE '\\'`;
      return sql<KyselySqlBool>`server_name IN (${names})`;
    }
    return sql<KyselySqlBool>`server_name IN (SELECT server_name FROM server_names WHERE server_name ILIKE ${pattern} ESCAPE '\\')`;
  }

  async list(filter: ListFilter): Promise<ServerVersion[]> {
    let query = this.q.selectFrom('servers').select(columns);
    if (filter.version === 'latest') query = query.where(this.latestPredicate);
    else if (filter.version !== undefined) query = query.where('version', '=', filter.version);
    if (!filter.includeDeleted) query = query.where(this.notDeletedPredicate);
    if (filter.updatedSince !== undefined) query = query.where('updated_at', '>', filter.updatedSince);
    if (filter.search !== undefined) query = query.where(this.nameContains(filter.search));
    if (filter.names !== undefined) {
      const { names, exclude } = filter.names;
      if (names.length > 0) query = query.where('server_name', exclude ? 'not in' : 'in', names);
      else if (!exclude) query = query.where(sql<KyselySqlBool>`1 = 0`);
    }
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
}
