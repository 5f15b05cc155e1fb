import type { Database } from '../../platform/storage/database.js';
import type { ServerVersion } from '../model.js';
import { RegistryStore } from '../store.js';
import { DOCUMENT_COLUMNS } from './search-store.js';

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
  private readonly registry: RegistryStore;

  constructor(private readonly database: Database) {
    this.registry = new RegistryStore(database);
  }

  /** Up to `limit` documents after `after` in name order (the build at start, in batches). */
  async documentsAfter(after: string, limit: number): Promise<DocumentRow[]> {
    return this.database.db
      .selectFrom('search_documents')
      .select(DOCUMENT_COLUMNS)
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
          .select(DOCUMENT_COLUMNS)
          .where('server_name', 'in', names.slice(i, i + 500))
          .execute()),
      );
    }
    return out;
  }

  /** The latest versions of `names`, as the list page serialises them. */
  latestOf(names: readonly string[]): Promise<ServerVersion[]> {
    return this.registry.latestOf(names);
  }

  generation(): Promise<number> {
    return this.registry.generation();
  }
}
