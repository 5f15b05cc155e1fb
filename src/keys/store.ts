import type { Database } from '../platform/storage/database.js';
import type { ApiKeysTable } from '../platform/storage/schema.js';
import type { Permission } from '../auth/permissions.js';
import type { ApiKey } from './model.js';

const toKey = (row: ApiKeysTable): ApiKey => ({
  id: row.id,
  name: row.name,
  description: row.description,
  permissions: JSON.parse(row.permissions) as Permission[],
  createdAt: row.created_at,
  createdBy: row.created_by,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  revokedBy: row.revoked_by,
  lastUsedAt: row.last_used_at,
});

/** SQL for API keys. */
export class ApiKeyStore {
  constructor(private readonly database: Database) {}

  async insert(key: ApiKey, digest: string): Promise<void> {
    await this.database.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        name: key.name,
        description: key.description,
        digest,
        permissions: JSON.stringify(key.permissions),
        created_at: key.createdAt,
        created_by: key.createdBy,
        expires_at: key.expiresAt,
        revoked_at: null,
        revoked_by: null,
        last_used_at: null,
      })
      .execute();
  }

  async findByDigest(digest: string): Promise<ApiKey | undefined> {
    const row = await this.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row && toKey(row);
  }

  async findById(id: string): Promise<ApiKey | undefined> {
    const row = await this.database.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toKey(row);
  }

  async list(includeRevoked: boolean): Promise<ApiKey[]> {
    let query = this.database.db.selectFrom('api_keys').selectAll();
    if (!includeRevoked) query = query.where('revoked_at', 'is', null);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map(toKey);
  }

  /** Revokes a key that is not revoked yet; false when there was none to revoke. */
  async revoke(id: string, at: string, by: string): Promise<boolean> {
    const result = await this.database.db
      .updateTable('api_keys')
      .set({ revoked_at: at, revoked_by: by })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** One statement per key, all in one transaction, never moving last_used_at backwards. */
  async recordUse(uses: ReadonlyMap<string, string>): Promise<void> {
    if (uses.size === 0) return;
    await this.database.db.transaction().execute(async (trx) => {
      for (const [id, at] of uses) {
        await trx
          .updateTable('api_keys')
          .set({ last_used_at: at })
          .where('id', '=', id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
          .execute();
      }
    });
  }
}
