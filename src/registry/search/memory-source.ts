import { sql } from 'kysely';
import type { SqlBool } from 'kysely';
import type { Database } from '../../platform/storage/database.js';
import type { ServerVersion } from '../model.js';

/** One row of search_documents: what the SQL search ranks a server by (its latest version). */
export interface DocumentRow {
  server_name: string;
  version: string;
  name_lc: string;
  slug_lc: string;
  slug_key: string;
  status: string;
  namespace: string;
  facet_key: string;
  words: string;
}

/**
 * The reads the in-memory search index makes: the SQL index's documents (already analysed, so the memory index
 * holds exactly what the SQL search ranks by), the latest rows of a page's servers (to serialise entries), and
 * the registry generation.
 */
export class MemoryIndexSource {
  constructor(private readonly database: Database) {}

  /** Up to `limit` documents after `after` in name order (the build at start, in batches). */
  async documentsAfter(after: string, limit: number): Promise<DocumentRow[]> {
    return this.database.db
      .selectFrom('search_documents')
      .select(['server_name', 'version', 'name_lc', 'slug_lc', 'slug_key', 'status', 'namespace', 'facet_key', 'words'])
      .where('server_name', '>', after)
      .orderBy('server_name')
      .limit(limit)
      .execute();
  }

  /** The documents of `names` (a name without one has no latest version). */
  async documentsOf(names: readonly string[]): Promise<DocumentRow[]> {
    const out: DocumentRow[] = [];
    for (let i = 0; i < names.length; i += 500) {
      out.push(
        ...(await this.database.db
          .selectFrom('search_documents')
          .select([
            'server_name',
            'version',
            'name_lc',
            'slug_lc',
            'slug_key',
            'status',
            'namespace',
            'facet_key',
            'words',
          ])
          .where('server_name', 'in', names.slice(i, i + 500))
          .execute()),
      );
    }
    return out;
  }

  /** The latest versions of `names`, as the list page serialises them. */
  async latestOf(names: readonly string[]): Promise<ServerVersion[]> {
    if (names.length === 0) return [];
    const latest = this.database.dialect === 'sqlite' ? sql<SqlBool>`is_latest = 1` : sql<SqlBool>`is_latest`;
    const rows = await this.database.db
      .selectFrom('servers')
      .select([
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
      ])
      .where('server_name', 'in', names)
      .where(latest)
      .execute();
    return rows.map((row) => ({
      name: row.server_name,
      version: row.version,
      status: row.status,
      statusChangedAt: row.status_changed_at,
      statusMessage: row.status_message,
      publishedAt: row.published_at,
      updatedAt: row.updated_at,
      isLatest: row.is_latest === true || row.is_latest === 1,
      document: row.value,
      ...(row.origin_upstream
        ? { origin: { upstream: row.origin_upstream, syncedAt: row.origin_synced_at ?? '' } }
        : {}),
    }));
  }

  async generation(): Promise<number> {
    const row = await this.database.db
      .selectFrom('registry_state')
      .select('generation')
      .where('id', '=', 1)
      .executeTakeFirst();
    return Number(row?.generation ?? 0);
  }
}
