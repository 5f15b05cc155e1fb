import type { MigrationSteps } from './types.js';

/** SQLite migrations, applied in order at start. Append only: never edit a released step. */
export const sqliteMigrations: MigrationSteps = [
  {
    name: '0001_registry',
    statements: [
      `CREATE TABLE servers (
        server_name TEXT NOT NULL,
        version TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','deprecated','deleted')),
        status_changed_at TEXT NOT NULL,
        status_message TEXT CHECK (status_message IS NULL OR length(status_message) <= 500),
        published_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        is_latest INTEGER NOT NULL DEFAULT 0 CHECK (is_latest IN (0,1)),
        value TEXT NOT NULL,
        PRIMARY KEY (server_name, version),
        CHECK (length(trim(version)) > 0 AND length(version) <= 255),
        CHECK (length(server_name) <= 200)
      ) WITHOUT ROWID`,
      // Keyset pagination over latest versions seeks this index, so page 500 costs what page 1 costs.
      `CREATE INDEX servers_latest_name ON servers (server_name, version) WHERE is_latest = 1`,
      `CREATE UNIQUE INDEX servers_one_latest ON servers (server_name) WHERE is_latest = 1`,
      `CREATE INDEX servers_updated_at ON servers (updated_at)`,
      `CREATE INDEX servers_version ON servers (version)`,
      `CREATE TABLE server_remotes (
        server_name TEXT NOT NULL,
        version TEXT NOT NULL,
        url TEXT NOT NULL,
        PRIMARY KEY (server_name, version, url),
        FOREIGN KEY (server_name, version) REFERENCES servers (server_name, version) ON DELETE CASCADE
      ) WITHOUT ROWID`,
      `CREATE INDEX server_remotes_url ON server_remotes (url)`,
    ],
  },
  {
    name: '0002_registry_search_and_generation',
    statements: [
      // Distinct names with a trigram index: name searches touch this small table, never the documents.
      `CREATE TABLE server_names (id INTEGER PRIMARY KEY, server_name TEXT NOT NULL UNIQUE)`,
      `CREATE VIRTUAL TABLE server_names_fts USING fts5(server_name, content='server_names', content_rowid='id', tokenize='trigram')`,
      `CREATE TRIGGER server_names_fts_insert AFTER INSERT ON server_names BEGIN
         INSERT INTO server_names_fts (rowid, server_name) VALUES (new.id, new.server_name);
       END`,
      `CREATE TRIGGER server_names_fts_delete AFTER DELETE ON server_names BEGIN
         INSERT INTO server_names_fts (server_names_fts, rowid, server_name) VALUES ('delete', old.id, old.server_name);
       END`,
      `INSERT INTO server_names (server_name) SELECT DISTINCT server_name FROM servers`,
      // Bumped by every registry write, so readers (and other processes) can tell when cached answers went stale.
      `CREATE TABLE registry_state (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL)`,
      `INSERT INTO registry_state (id, generation) VALUES (1, 0)`,
    ],
  },
  {
    name: '0009_gateway',
    statements: [
      // One row per attached upstream. Secret header and variable values live only in secrets (sealed JSON).
      `CREATE TABLE gateway_upstreams (
        alias TEXT PRIMARY KEY,
        server_name TEXT NOT NULL,
        version TEXT NOT NULL,
        remote_index INTEGER NOT NULL,
        transport TEXT NOT NULL,
        url_template TEXT NOT NULL,
        variables TEXT NOT NULL,
        headers TEXT NOT NULL,
        secrets TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE gateway_virtual_servers (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        tools TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
  },
];
