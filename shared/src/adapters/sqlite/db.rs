//! The shared SQLite handle: opens (or creates) the file, applies the schema, and runs each
//! operation on the blocking thread pool under one connection mutex.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension};

use super::schema;

/// Default state directory and file name of the local runtime.
pub const DEFAULT_STATE_DIR: &str = ".hqsync";
pub const DEFAULT_FILE_NAME: &str = "hqsync.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error("cannot create the state directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("sqlite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the database was written by schema version {found}, this build uses {expected}; move it aside to start fresh"
    )]
    SchemaVersion { found: String, expected: i64 },
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("a database task panicked or was cancelled: {0}")]
    Task(String),
}

/// One connection shared by every adapter, behind a mutex. Why one connection and a mutex:
/// SQLite allows a single writer anyway, so one connection turns every conditional write into a
/// plain transaction with no `SQLITE_BUSY` retries, and local traffic is tiny. Why
/// `spawn_blocking`: a commit may fsync for milliseconds; that must not stall the async runtime
/// (the webhook server and the vendor calls share it).
#[derive(Clone)]
pub struct SqliteDb {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteDb {
    /// `{state_dir}/hqsync.sqlite3`.
    pub fn default_path(state_dir: &Path) -> PathBuf {
        state_dir.join(DEFAULT_FILE_NAME)
    }

    /// Opens or creates the database file (and its directory), then applies the schema.
    pub fn open(path: &Path) -> Result<Self, SqliteError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| SqliteError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        restrict_permissions(path);
        // WAL: readers never block the writer; NORMAL sync is durable across process crashes
        // (only an OS crash may lose the last commits), which suits a local runtime.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, SqliteError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, SqliteError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(schema::CREATE)?;
        let found: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match found {
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                    [schema::SCHEMA_VERSION.to_string()],
                )?;
            }
            Some(v) if v == schema::SCHEMA_VERSION.to_string() => {}
            Some(found) => {
                return Err(SqliteError::SchemaVersion {
                    found,
                    expected: schema::SCHEMA_VERSION,
                });
            }
        }
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `op` with the connection on the blocking pool.
    pub async fn run<T, E, F>(&self, op: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<SqliteError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic mid-operation rolls its transaction back (Transaction's Drop), so the
            // connection behind a poisoned lock is still consistent.
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            op(&mut guard)
        })
        .await
        .map_err(|e| E::from(SqliteError::Task(e.to_string())))?
    }
}

/// The file holds tokens: keep it readable by its owner only.
fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Best effort: on filesystems without modes this fails harmlessly.
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// JSON text of a stored value.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, SqliteError> {
    serde_json::to_string(value).map_err(|e| SqliteError::Corrupt(e.to_string()))
}

/// A stored value from its JSON text.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, SqliteError> {
    serde_json::from_str(text).map_err(|e| SqliteError::Corrupt(e.to_string()))
}
