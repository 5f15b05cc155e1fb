import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { withStatementCache } from './statement-cache.js';
import type { Migration, MigrationProvider, Transaction } from 'kysely';
import pg from 'pg';
import type { WharfConfig } from '../../config/config.js';
import { postgresMigrations } from './migrations/postgres.js';
import { sqliteMigrations } from './migrations/sqlite.js';
import type { MigrationSteps } from './migrations/types.js';
import type { SqlBool, WharfSchema } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';
export type Queryable = Kysely<WharfSchema> | Transaction<WharfSchema>;

/**
 * The one database handle every store receives. Stores write portable SQL through Kysely and ask this
 * object for the few things that differ between dialects (booleans, per-key write locks).
 */
export class Database {
  constructor(
    readonly db: Kysely<WharfSchema>,
    readonly dialect: DialectName,
    private readonly onClose: () => Promise<void>,
  ) {}

  bool(value: boolean): SqlBool {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value;
  }

  /**
   * Serialises writers of one key until the transaction ends. SQLite already admits a single writer
   * (and Kysely runs one transaction at a time on its connection), so only PostgreSQL needs a lock.
   */
  async lockKey(trx: Transaction<WharfSchema>, key: string): Promise<void> {
    if (this.dialect === 'postgres') {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
    }
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.onClose();
  }
}

// timestamptz values come back as ISO strings (not Date), matching what SQLite stores.
const TIMESTAMPTZ_OID = 1184;
pg.types.setTypeParser(TIMESTAMPTZ_OID, (value) => new Date(value).toISOString());

export interface OpenDatabaseOptions {
  /** Apply pending migrations (the server does; read-only tools might not). Default true. */
  migrate?: boolean;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export async function openDatabase(
  config: WharfConfig['database'],
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  let database: Database;
  if (config.kind === 'sqlite') {
    fs.mkdirSync(path.dirname(config.file), { recursive: true, mode: 0o700 });
    const file = new SQLite(config.file);
    // WAL + NORMAL: a committed transaction is in the WAL file before the call returns, so it survives
    // kill -9 of the process; only an OS crash or power loss can lose the last commits.
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    file.pragma('busy_timeout = 5000');
    const db = new Kysely<WharfSchema>({ dialect: new SqliteDialect({ database: withStatementCache(file) }) });
    database = new Database(db, 'sqlite', async () => {});
  } else {
    const pool = new pg.Pool({ connectionString: config.url, max: options.poolSize ?? 20 });
    const db = new Kysely<WharfSchema>({ dialect: new PostgresDialect({ pool }) });
    database = new Database(db, 'postgres', async () => {});
  }
  try {
    await database.ping();
    if (options.migrate !== false) await migrate(database);
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  return database;
}

class StepsProvider implements MigrationProvider {
  constructor(private readonly steps: MigrationSteps) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const step of this.steps) {
      migrations[step.name] = {
        up: async (db) => {
          for (const statement of step.statements) await sql.raw(statement).execute(db);
        },
      };
    }
    return migrations;
  }
}

export async function migrate(database: Database): Promise<string[]> {
  const steps = database.dialect === 'sqlite' ? sqliteMigrations : postgresMigrations;
  const migrator = new Migrator({
    db: database.db,
    provider: new StepsProvider(steps),
    migrationTableName: 'wharf_migrations',
    migrationLockTableName: 'wharf_migrations_lock',
    // Capabilities append independent steps; a database created from a branch that had a later step
    // first must still take the earlier ones when it meets them.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Database migration ${failed ?? ''} failed: ${String((error as Error).message ?? error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
