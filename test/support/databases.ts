import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, inject } from 'vitest';
import type { WharfConfig } from '../../src/config/config.js';

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database of this dialect. */
  create(): Promise<WharfConfig['database']>;
}

export const postgresUrl = (): string => inject('postgresUrl');

export const sqliteDatabase: TestDatabase = {
  name: 'sqlite',
  async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-sqlite-'));
    return { kind: 'sqlite', file: path.join(dir, 'wharf.db') };
  },
};

export const postgresDatabase: TestDatabase = {
  name: 'postgres',
  async create() {
    const admin = new pg.Client({ connectionString: postgresUrl() });
    await admin.connect();
    const name = `wharf_${randomUUID().replace(/-/g, '')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(postgresUrl());
    url.pathname = `/${name}`;
    return { kind: 'postgres', url: url.toString() };
  },
};

/**
 * Declares the suite once per dialect: the same tests run on SQLite and on a real PostgreSQL server,
 * and are reported as skipped (with the reason in their title) when PostgreSQL is not installed.
 */
export function describeEachDatabase(title: string, suite: (database: TestDatabase) => void): void {
  for (const database of [sqliteDatabase, postgresDatabase]) {
    const missing = database.name === 'postgres' && !postgresUrl();
    const label = missing
      ? `${title} [postgres] (skipped: PostgreSQL server binaries not installed)`
      : `${title} [${database.name}]`;
    describe.skipIf(missing)(label, () => suite(database));
  }
}
