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
    name: '0003_keys_audit',
    statements: [
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        description TEXT CHECK (description IS NULL OR length(description) <= 500),
        digest TEXT NOT NULL UNIQUE,
        permissions TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        revoked_by TEXT,
        last_used_at TEXT
      ) WITHOUT ROWID`,
      `CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        occurred_at TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('success','denied','failure')),
        actor_method TEXT,
        actor_subject TEXT,
        actor_key_id TEXT,
        target TEXT,
        source_ip TEXT,
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
      // The search index (src/registry/search): one document per server (its latest version), filled by the
      // registry's write transactions; servers stored before this step are indexed at start.
      `CREATE TABLE search_documents (
        server_name TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        name_lc TEXT NOT NULL,
        slug_lc TEXT NOT NULL,
        slug_key TEXT NOT NULL
      ) WITHOUT ROWID`,
      `CREATE INDEX search_documents_name_lc ON search_documents (name_lc)`,
      `CREATE INDEX search_documents_slug_lc ON search_documents (slug_lc)`,
      `CREATE INDEX search_documents_slug_key ON search_documents (slug_key)`,
      // An inverted index as a B-tree: a word prefix is an index range, the best field rides along (covering).
      `CREATE TABLE search_terms (
        term TEXT NOT NULL,
        server_name TEXT NOT NULL,
        field INTEGER NOT NULL,
        PRIMARY KEY (term, server_name)
      ) WITHOUT ROWID`,
      // Per-server seeks (term, best field) for the other words of a multi-word query, and for deletes.
      `CREATE INDEX search_terms_server ON search_terms (server_name, term, field)`,
      `CREATE TABLE search_facets (
        facet TEXT NOT NULL,
        value TEXT NOT NULL,
        server_name TEXT NOT NULL,
        PRIMARY KEY (facet, value, server_name)
      ) WITHOUT ROWID`,
      `CREATE INDEX search_facets_server ON search_facets (server_name, facet, value)`,
    ],
  },
  {
    name: '0005_liveness',
    statements: [
      `CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        server_name TEXT NOT NULL,
        url TEXT NOT NULL,
        transport TEXT NOT NULL,
        metadata TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        registered_by TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('passing','critical')),
        status_note TEXT,
        ttl_seconds INTEGER NOT NULL,
        registered_at TEXT NOT NULL,
        state_changed_at TEXT NOT NULL,
        lease_expires_at TEXT NOT NULL
      ) WITHOUT ROWID`,
      `CREATE INDEX instances_server ON instances (server_name, id)`,
      `CREATE INDEX instances_state ON instances (state, lease_expires_at)`,
      `CREATE TABLE health_checks (
        target_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('remote','instance')),
        server_name TEXT NOT NULL,
        url TEXT NOT NULL,
        transport TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('passing','warning','critical')),
        status_since TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        latency_ms INTEGER,
        era TEXT,
        protocol_version TEXT,
        reported_name TEXT,
        reported_version TEXT,
        tool_count INTEGER,
        tool_names TEXT,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL,
        uptime_24h REAL
      ) WITHOUT ROWID`,
      `CREATE INDEX health_checks_server ON health_checks (server_name)`,
      `CREATE TABLE health_transitions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        target_id TEXT NOT NULL,
        server_name TEXT NOT NULL,
        at TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        error TEXT
      )`,
      `CREATE INDEX health_transitions_server ON health_transitions (server_name, at)`,
      `CREATE TABLE health_hours (
        target_id TEXT NOT NULL,
        hour TEXT NOT NULL,
        server_name TEXT NOT NULL,
        probes INTEGER NOT NULL,
        passing INTEGER NOT NULL,
        latencies TEXT NOT NULL,
        PRIMARY KEY (target_id, hour)
      ) WITHOUT ROWID`,
      `CREATE INDEX health_hours_server ON health_hours (server_name, hour)`,
      // generation: bumped by every health write so replicas know to reload; leader_epoch fences probers.
      `CREATE TABLE liveness_state (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL, leader_epoch INTEGER NOT NULL)`,
      `INSERT INTO liveness_state (id, generation, leader_epoch) VALUES (1, 0, 0)`,
    ],
  },
  {
    name: '0006_contexts',
    statements: [
      // Times are epoch milliseconds, so expiry checks compare integers on every backend.
      `CREATE TABLE contexts (
        id TEXT NOT NULL PRIMARY KEY,
        namespace TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        owner TEXT,
        version INTEGER NOT NULL CHECK (version >= 1),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER
      ) WITHOUT ROWID`,
      `CREATE INDEX contexts_namespace_id ON contexts (namespace, id)`,
      `CREATE INDEX contexts_expires_at ON contexts (expires_at) WHERE expires_at IS NOT NULL`,
      `CREATE TABLE context_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace TEXT NOT NULL,
        context_id TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('created','updated','deleted','expired')),
        version INTEGER NOT NULL,
        at INTEGER NOT NULL,
        owner TEXT,
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
      `ALTER TABLE servers ADD COLUMN origin_upstream TEXT`,
      `ALTER TABLE servers ADD COLUMN origin_synced_at TEXT`,
      `CREATE INDEX servers_origin ON servers (origin_upstream, origin_synced_at) WHERE origin_upstream IS NOT NULL`,
      // One row per upstream: the pass in progress (committed with each page it covers) and the high-water mark.
      `CREATE TABLE sync_state (
        upstream TEXT PRIMARY KEY,
        stage TEXT NOT NULL DEFAULT 'idle' CHECK (stage IN ('idle','full','incremental','sweep')),
        pass_since TEXT,
        pass_cursor TEXT,
        pass_started_at TEXT,
        pass_upstream_time TEXT,
        pass_max_updated_at TEXT,
        pass_fingerprint TEXT,
        high_water TEXT,
        last_full_at TEXT,
        last_success_at TEXT,
        last_error TEXT,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID`,
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
  {
    name: '0010_gateway_access',
    statements: [
      // Allow/deny rules of the gateway: who (subject pattern) may use which tools on which virtual servers.
      `CREATE TABLE gateway_policies (
        id TEXT PRIMARY KEY,
        effect TEXT NOT NULL CHECK (effect IN ('allow', 'deny')),
        subject TEXT NOT NULL,
        virtual_server TEXT NOT NULL,
        tool TEXT NOT NULL,
        description TEXT,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID`,
    ],
  },
  {
    name: '0011_search_facets',
    statements: [
      // The search documents gain the facet values of the latest version, so facet counts read one row per
      // server. The index is derived data: it is cleared here and rebuilt when Wharf starts (see indexUnindexed).
      `DELETE FROM search_terms`,
      `DELETE FROM search_facets`,
      `DROP TABLE search_documents`,
      `CREATE TABLE search_documents (
        server_name TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        name_lc TEXT NOT NULL,
        slug_lc TEXT NOT NULL,
        slug_key TEXT NOT NULL,
        status TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        namespace TEXT NOT NULL,
        facet_key TEXT NOT NULL,
        words TEXT NOT NULL
      ) WITHOUT ROWID`,
      `CREATE INDEX search_documents_name_lc ON search_documents (name_lc)`,
      `CREATE INDEX search_documents_slug_lc ON search_documents (slug_lc)`,
      `CREATE INDEX search_documents_slug_key ON search_documents (slug_key)`,
      // Narrow copies in the orders the facet counts group by, with what a search tests (name, words): counting
      // scans one of them instead of the wide rows and needs no sort. (PostgreSQL hashes its aggregates instead,
      // and would refuse index entries as long as some word lists.)
      `CREATE INDEX search_documents_facet_shape ON search_documents (status, facet_key, server_name, words)`,
      `CREATE INDEX search_documents_namespace ON search_documents (namespace, status, server_name, words)`,
    ],
  },
];
