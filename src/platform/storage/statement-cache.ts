import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * better-sqlite3 behind Kysely with its prepared statements kept. Kysely's SQLite driver prepares every query afresh,
 * and compiling the statement costs as much as running it for the short queries Wharf's hot paths issue (audit rows,
 * heartbeats, registry reads). The SQL text is the key: Kysely compiles the same builder to the same text with
 * parameters apart, so a few hundred entries cover every query the code base writes.
 */
export function withStatementCache(database: SQLite.Database, capacity = 500): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = statements.get(sql);
      // A statement still being iterated cannot run again; such a (rare) caller gets a fresh one.
      if (cached && !cached.busy) {
        // Re-inserting keeps the map in least-recently-used order for eviction.
        statements.delete(sql);
        statements.set(sql, cached);
        // better-sqlite3 types its bind parameters as a rest list; Kysely passes one array, which it accepts.
        return cached as unknown as SqliteStatement;
      }
      const statement = database.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > capacity) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
      return statement as unknown as SqliteStatement;
    },
  };
}
