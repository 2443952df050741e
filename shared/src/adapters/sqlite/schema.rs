//! The local database schema (docs/architecture.md §10's items as tables) and its version. Structured values
//! (links with baselines, statuses, log entries, settings) are stored as JSON text.

/// Bumped when a table changes; a database with another version is refused, not guessed at.
pub const SCHEMA_VERSION: i64 = 1;

pub const CREATE: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    connection TEXT NOT NULL,
    kind       TEXT NOT NULL,
    hubspot_id TEXT NOT NULL,
    qbo_id     TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (connection, kind, hubspot_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS links_by_qbo_id ON links (connection, kind, qbo_id);
CREATE TABLE IF NOT EXISTS claims (
    connection TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (connection, kind, key)
);
CREATE TABLE IF NOT EXISTS pending_creates (
    connection  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    source_side TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (connection, kind, source_side, source_id)
);
CREATE TABLE IF NOT EXISTS cursors (
    connection TEXT NOT NULL,
    side       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (connection, side, kind)
);
CREATE TABLE IF NOT EXISTS statuses (
    connection TEXT NOT NULL,
    kind       TEXT NOT NULL,
    side       TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (connection, kind, side, id)
);
CREATE TABLE IF NOT EXISTS sync_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    connection TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_log_by_connection ON sync_log (connection, seq);
CREATE TABLE IF NOT EXISTS leases (
    connection TEXT NOT NULL,
    name       TEXT NOT NULL,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (connection, name)
);
CREATE TABLE IF NOT EXISTS connections (
    id        TEXT PRIMARY KEY,
    portal_id TEXT NOT NULL,
    realm_id  TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS connections_by_portal ON connections (portal_id);
CREATE INDEX IF NOT EXISTS connections_by_realm ON connections (realm_id);
CREATE TABLE IF NOT EXISTS jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    lane          TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_lane ON jobs (lane, visible_at_ms, id);
CREATE INDEX IF NOT EXISTS jobs_by_subject ON jobs (lane, subject);
CREATE TABLE IF NOT EXISTS dead_letters (
    id               INTEGER PRIMARY KEY,
    lane             TEXT NOT NULL,
    body             TEXT NOT NULL,
    reason           TEXT NOT NULL,
    receive_count    INTEGER NOT NULL,
    dead_lettered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_lane ON dead_letters (lane, id);
CREATE TABLE IF NOT EXISTS tokens (
    connection         TEXT NOT NULL,
    side               TEXT NOT NULL,
    access_token       TEXT NOT NULL,
    refresh_token      TEXT NOT NULL,
    access_expires_at  TEXT NOT NULL,
    refresh_expires_at TEXT,
    PRIMARY KEY (connection, side)
);
CREATE TABLE IF NOT EXISTS audit_log (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_logins (
    source          TEXT PRIMARY KEY,
    window_start_ms INTEGER NOT NULL,
    failures        INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_authorizations (
    state_hash    TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL,
    body          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS initial_sync_runs (
    connection TEXT PRIMARY KEY,
    run_id     TEXT NOT NULL,
    body       TEXT NOT NULL
);
"#;
