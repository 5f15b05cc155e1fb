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
    name: '0003_keys_audit',
    statements: [
      `CREATE TABLE api_keys (
        id VARCHAR(32) COLLATE "C" PRIMARY KEY,
        name VARCHAR(100) COLLATE "C" NOT NULL CHECK (length(name) >= 1),
        description VARCHAR(500),
        digest CHAR(64) COLLATE "C" NOT NULL UNIQUE,
        permissions TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TIMESTAMPTZ,
        revoked_at TIMESTAMPTZ,
        revoked_by TEXT,
        last_used_at TIMESTAMPTZ
      )`,
      `CREATE TABLE audit_events (
        id BIGSERIAL PRIMARY KEY,
        occurred_at TIMESTAMPTZ NOT NULL,
        action VARCHAR(64) COLLATE "C" NOT NULL,
        outcome VARCHAR(16) NOT NULL CHECK (outcome IN ('success','denied','failure')),
        actor_method VARCHAR(64) COLLATE "C",
        actor_subject TEXT COLLATE "C",
        actor_key_id VARCHAR(32) COLLATE "C",
        target TEXT COLLATE "C",
        source_ip VARCHAR(64),
        detail TEXT
      )`,
      `CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at)`,
      `CREATE INDEX audit_events_actor ON audit_events (actor_subject, id)`,
      `CREATE INDEX audit_events_target ON audit_events (target, id)`,
    ],
  },
  {
    name: '0004_search',
    statements: [
      // See the SQLite step: the same tables, so both databases rank identically.
      `CREATE TABLE search_documents (
        server_name VARCHAR(200) COLLATE "C" PRIMARY KEY,
        version VARCHAR(255) COLLATE "C" NOT NULL,
        name_lc TEXT COLLATE "C" NOT NULL,
        slug_lc TEXT COLLATE "C" NOT NULL,
        slug_key TEXT COLLATE "C" NOT NULL
      )`,
      `CREATE INDEX search_documents_name_lc ON search_documents (name_lc)`,
      `CREATE INDEX search_documents_slug_lc ON search_documents (slug_lc)`,
      `CREATE INDEX search_documents_slug_key ON search_documents (slug_key)`,
      `CREATE TABLE search_terms (
        term VARCHAR(64) COLLATE "C" NOT NULL,
        server_name VARCHAR(200) COLLATE "C" NOT NULL,
        field SMALLINT NOT NULL,
        PRIMARY KEY (term, server_name) INCLUDE (field)
      )`,
      `CREATE INDEX search_terms_server ON search_terms (server_name, term) INCLUDE (field)`,
      `CREATE TABLE search_facets (
        facet VARCHAR(32) COLLATE "C" NOT NULL,
        value VARCHAR(200) COLLATE "C" NOT NULL,
        server_name VARCHAR(200) COLLATE "C" NOT NULL,
        PRIMARY KEY (facet, value, server_name)
      )`,
      `CREATE INDEX search_facets_server ON search_facets (server_name, facet, value)`,
    ],
  },
  {
    name: '0005_liveness',
    statements: [
      `CREATE TABLE instances (
        id VARCHAR(64) COLLATE "C" PRIMARY KEY,
        server_name VARCHAR(200) COLLATE "C" NOT NULL,
        url TEXT NOT NULL,
        transport VARCHAR(32) NOT NULL,
        metadata TEXT NOT NULL,
        token_hash VARCHAR(128) NOT NULL,
        registered_by TEXT NOT NULL,
        state VARCHAR(16) NOT NULL CHECK (state IN ('passing','critical')),
        status_note TEXT,
        ttl_seconds INTEGER NOT NULL,
        registered_at TIMESTAMPTZ NOT NULL,
        state_changed_at TIMESTAMPTZ NOT NULL,
        lease_expires_at TIMESTAMPTZ NOT NULL
      )`,
      `CREATE INDEX instances_server ON instances (server_name, id)`,
      `CREATE INDEX instances_state ON instances (state, lease_expires_at)`,
      `CREATE TABLE health_checks (
        target_id TEXT COLLATE "C" PRIMARY KEY,
        kind VARCHAR(16) NOT NULL CHECK (kind IN ('remote','instance')),
        server_name VARCHAR(200) COLLATE "C" NOT NULL,
        url TEXT NOT NULL,
        transport VARCHAR(32) NOT NULL,
        status VARCHAR(16) NOT NULL CHECK (status IN ('passing','warning','critical')),
        status_since TIMESTAMPTZ NOT NULL,
        checked_at TIMESTAMPTZ NOT NULL,
        latency_ms INTEGER,
        era VARCHAR(16),
        protocol_version VARCHAR(32),
        reported_name TEXT,
        reported_version TEXT,
        tool_count INTEGER,
        tool_names TEXT,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL,
        uptime_24h DOUBLE PRECISION
      )`,
      `CREATE INDEX health_checks_server ON health_checks (server_name)`,
      `CREATE TABLE health_transitions (
        id BIGSERIAL PRIMARY KEY,
        target_id TEXT COLLATE "C" NOT NULL,
        server_name VARCHAR(200) COLLATE "C" NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        from_status VARCHAR(16),
        to_status VARCHAR(16) NOT NULL,
        error TEXT
      )`,
      `CREATE INDEX health_transitions_server ON health_transitions (server_name, at)`,
      `CREATE TABLE health_hours (
        target_id TEXT COLLATE "C" NOT NULL,
        hour TIMESTAMPTZ NOT NULL,
        server_name VARCHAR(200) COLLATE "C" NOT NULL,
        probes INTEGER NOT NULL,
        passing INTEGER NOT NULL,
        latencies TEXT NOT NULL,
        PRIMARY KEY (target_id, hour)
      )`,
      `CREATE INDEX health_hours_server ON health_hours (server_name, hour)`,
      `CREATE TABLE liveness_state (id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL, leader_epoch BIGINT NOT NULL)`,
      `INSERT INTO liveness_state (id, generation, leader_epoch) VALUES (1, 0, 0)`,
    ],
  },
  {
    name: '0006_contexts',
    statements: [
      `CREATE TABLE contexts (
        id VARCHAR(128) COLLATE "C" NOT NULL PRIMARY KEY,
        namespace VARCHAR(128) COLLATE "C" NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        owner TEXT COLLATE "C",
        version INTEGER NOT NULL CHECK (version >= 1),
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        expires_at BIGINT
      )`,
      `CREATE INDEX contexts_namespace_id ON contexts (namespace, id)`,
      `CREATE INDEX contexts_expires_at ON contexts (expires_at) WHERE expires_at IS NOT NULL`,
      `CREATE TABLE context_events (
        seq BIGSERIAL PRIMARY KEY,
        namespace VARCHAR(128) COLLATE "C" NOT NULL,
        context_id VARCHAR(128) COLLATE "C" NOT NULL,
        type VARCHAR(16) NOT NULL CHECK (type IN ('created','updated','deleted','expired')),
        version INTEGER NOT NULL,
        at BIGINT NOT NULL,
        owner TEXT COLLATE "C",
        context TEXT
      )`,
      `CREATE INDEX context_events_namespace_seq ON context_events (namespace, seq)`,
      `CREATE INDEX context_events_at ON context_events (at)`,
    ],
  },
  {
    name: '0007_sync',
    statements: [
      // Where a mirrored version came from; NULL for versions published on this Wharf.
      `ALTER TABLE servers ADD COLUMN origin_upstream TEXT COLLATE "C"`,
      `ALTER TABLE servers ADD COLUMN origin_synced_at TIMESTAMPTZ`,
      `CREATE INDEX servers_origin ON servers (origin_upstream, origin_synced_at) WHERE origin_upstream IS NOT NULL`,
      // One row per upstream: the pass in progress (committed with each page it covers) and the high-water mark.
      `CREATE TABLE sync_state (
        upstream TEXT COLLATE "C" PRIMARY KEY,
        stage VARCHAR(16) NOT NULL DEFAULT 'idle' CHECK (stage IN ('idle','full','incremental','sweep')),
        pass_since TIMESTAMPTZ,
        pass_cursor TEXT COLLATE "C",
        pass_started_at TIMESTAMPTZ,
        pass_upstream_time TIMESTAMPTZ,
        pass_max_updated_at TIMESTAMPTZ,
        pass_fingerprint TEXT,
        high_water TIMESTAMPTZ,
        last_full_at TIMESTAMPTZ,
        last_success_at TIMESTAMPTZ,
        last_error TEXT,
        updated_at TIMESTAMPTZ NOT NULL
      )`,
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
  {
    name: '0010_gateway_access',
    statements: [
      `CREATE TABLE gateway_policies (
        id VARCHAR(64) COLLATE "C" PRIMARY KEY,
        effect VARCHAR(5) NOT NULL CHECK (effect IN ('allow', 'deny')),
        subject VARCHAR(300) COLLATE "C" NOT NULL,
        virtual_server VARCHAR(200) COLLATE "C" NOT NULL,
        tool VARCHAR(300) COLLATE "C" NOT NULL,
        description TEXT,
        created_at TEXT NOT NULL
      )`,
    ],
  },
  {
    name: '0011_search_facets',
    statements: [
      // See the SQLite step: derived data, cleared and rebuilt at start with the facet columns.
      `TRUNCATE search_terms, search_facets`,
      `DROP TABLE search_documents`,
      `CREATE TABLE search_documents (
        server_name VARCHAR(200) COLLATE "C" PRIMARY KEY,
        version VARCHAR(255) COLLATE "C" NOT NULL,
        name_lc TEXT COLLATE "C" NOT NULL,
        slug_lc TEXT COLLATE "C" NOT NULL,
        slug_key TEXT COLLATE "C" NOT NULL,
        status VARCHAR(16) NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        namespace TEXT COLLATE "C" NOT NULL,
        facet_key TEXT COLLATE "C" NOT NULL,
        words TEXT COLLATE "C" NOT NULL
      )`,
      `CREATE INDEX search_documents_name_lc ON search_documents (name_lc)`,
      `CREATE INDEX search_documents_slug_lc ON search_documents (slug_lc)`,
      `CREATE INDEX search_documents_slug_key ON search_documents (slug_key)`,
    ],
  },
];
