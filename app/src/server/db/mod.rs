//! Opening the database: embedded SQLite by default, PostgreSQL when `DATABASE_URL` says so.
//! Migrations run here (`schema`), so every process that opens the database sees the current schema;
//! `backup` copies a SQLite database while it serves; `unwritable` tells a database that cannot take
//! writes for now (a full disk) from one that refuses a write; `ids` writes a list of ids in a
//! condition as each database takes it best.

pub mod backup;
pub mod ids;
pub mod schema;
pub mod unwritable;

use crate::shared::error::AppError;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, SqlErr, SqlxSqliteConnector,
};
use std::str::FromStr;
use std::time::Duration;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/switchboard.db?mode=rwc";

/// How long a SQLite writer waits for another before giving up. A bulk job and page loads share
/// the file; WAL lets readers go on while one writer works, and this covers writer-writer overlap.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// Each pooled connection's page cache: 512 KiB (a negative size is in KiB, a positive one in pages).
/// With SQLite's default of 2 MiB, the pool's caches together grew by about 1 MB a minute through a
/// soak, toward 16 MB. The file stays in the system's cache anyway, so a page missing from ours costs a
/// read from memory, not from disk: the 10,000-user reset took as long as before (`make bench`).
const SQLITE_CACHE_SIZE: &str = "-512";

/// Prepared statements each pooled connection keeps (sqlx's default is 100). A statement's SQL has a
/// placeholder per bound value, so each length of a list of ids is a statement of its own, and the
/// caches kept filling through a soak. In 5-minute soaks, 32 kept the heap at 2.7 MB instead of
/// 4.5–5 MB and the server's memory 2 MB lower after four minutes, at the same requests per second.
const SQLITE_STATEMENTS: usize = 32;

/// Rows per INSERT: well under SQLite's limit on bound parameters per statement.
const INSERT_CHUNK: usize = 500;

/// Connects to `url` and brings the schema up to date; refuses, changing nothing, a database a newer
/// version of Switchboard has migrated.
pub async fn connect(url: &str) -> Result<DatabaseConnection, schema::SchemaError> {
    let db = open(url).await?;
    schema::upgrade(&db).await?;
    Ok(db)
}

/// Connects to `url` as it is, without migrating it.
pub async fn open(url: &str) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        connect_sqlite(url).await
    } else {
        let mut options = ConnectOptions::new(url);
        options.max_connections(16).sqlx_logging(false);
        Database::connect(options).await
    }
}

async fn connect_sqlite(url: &str) -> Result<DatabaseConnection, DbErr> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|err| DbErr::Custom(format!("invalid SQLite URL {url:?}: {err}")))?
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true)
        // The planner's statistics kept current as data changes (SQLite never gathers them on its own):
        // each pooled connection, when it closes, analyses what its queries showed to be stale.
        .optimize_on_close(true, Some(1000))
        .pragma("cache_size", SQLITE_CACHE_SIZE)
        .statement_cache_capacity(SQLITE_STATEMENTS);
    // SQLite creates the file but not its folder (the default lives in `data/`).
    if let Some(dir) = options.get_filename().parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|err| DbErr::Custom(format!("cannot create the folder {}: {err}", dir.display())))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|err| DbErr::Custom(format!("cannot open the SQLite database {url:?}: {err}")))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Inserts `rows` with a few multi-row INSERTs on `db` (usually the transaction of the change they
/// belong to), rather than one statement per row. (A `Vec`, not an iterator: a lazy iterator over
/// borrowed data held across the awaits would make the caller's future not `Send`.)
pub async fn insert_chunked<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(INSERT_CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// A database result whose unique-constraint violation means something to the user.
pub trait OnUnique<T> {
    /// A violated unique constraint becomes `AppError::Conflict` with `message`: another request won
    /// the race between our check and our write. Any other database error is an internal one.
    fn on_unique(self, message: impl FnOnce() -> String) -> Result<T, AppError>;
}

impl<T> OnUnique<T> for Result<T, DbErr> {
    fn on_unique(self, message: impl FnOnce() -> String) -> Result<T, AppError> {
        self.map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(message()),
            _ => err.into(),
        })
    }
}
