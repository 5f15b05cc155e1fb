import type { MigrationSteps } from './types.js';

/**
 * PostgreSQL migrations, applied in order at start. Append only: never edit a released step.
 * Text columns use the "C" collation so that ordering (and therefore cursors) is bytewise, as on SQLite.
 */
export const postgresMigrations: MigrationSteps = [
  {
    name: '0001_registry',
    statements: [
      `CREATE TABLE servers (
        server_name VARCHAR(200) COLLATE "C" NOT NULL,
        version VARCHAR(255) COLLATE "C" NOT NULL,
        status VARCHAR(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active','deprecated','deleted')),
        status_changed_at TIMESTAMPTZ NOT NULL,
        status_message TEXT CHECK (status_message IS NULL OR length(status_message) <= 500),
        published_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        is_latest BOOLEAN NOT NULL DEFAULT false,
        value TEXT NOT NULL,
        PRIMARY KEY (server_name, version),
        CHECK (length(trim(version)) > 0)
      )`,
      `CREATE INDEX servers_latest_name ON servers (server_name, version) WHERE is_latest`,
      `CREATE UNIQUE INDEX servers_one_latest ON servers (server_name) WHERE is_latest`,
      `CREATE INDEX servers_updated_at ON servers (updated_at)`,
      `CREATE INDEX servers_version ON servers (version)`,
      `CREATE TABLE server_remotes (
        server_name VARCHAR(200) COLLATE "C" NOT NULL,
        version VARCHAR(255) COLLATE "C" NOT NULL,
        url TEXT NOT NULL,
        PRIMARY KEY (server_name, version, url),
        FOREIGN KEY (server_name, version) REFERENCES servers (server_name, version) ON DELETE CASCADE
      )`,
      `CREATE INDEX server_remotes_url ON server_remotes (url)`,
    ],
  },
  {
    name: '0002_registry_search_and_generation',
    statements: [
      `CREATE TABLE server_names (server_name VARCHAR(200) COLLATE "C" PRIMARY KEY)`,
      `INSERT INTO server_names (server_name) SELECT DISTINCT server_name FROM servers`,
      // pg_trgm is a trusted extension (a database owner may create it); without it searches scan the small
      // server_names table instead, which is correct, only slower.
      `DO $$ BEGIN
         CREATE EXTENSION IF NOT EXISTS pg_trgm;
       EXCEPTION WHEN OTHERS THEN
         RAISE NOTICE 'pg_trgm unavailable (%): name search will scan server_names', SQLERRM;
       END $$`,
      `DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
           CREATE INDEX server_names_trgm ON server_names USING gin (server_name gin_trgm_ops);
         END IF;
       END $$`,
      `CREATE TABLE registry_state (id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL)`,
      `INSERT INTO registry_state (id, generation) VALUES (1, 0)`,
    ],
  },
  {
    name: '0009_gateway',
    statements: [
      // One row per attached upstream. Secret header and variable values live only in secrets (sealed JSON).
      `CREATE TABLE gateway_upstreams (
        alias TEXT COLLATE "C" PRIMARY KEY,
        server_name TEXT COLLATE "C" NOT NULL,
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
        name TEXT COLLATE "C" PRIMARY KEY,
        description TEXT NOT NULL,
        tools TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
  },
];
