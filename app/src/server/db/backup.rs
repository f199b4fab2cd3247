//! Backups of the embedded SQLite database (`switchboard backup --to` and `restore --from`). A backup is
//! taken while the portal serves: `VACUUM INTO` copies one read transaction's view of the database, so it
//! holds every batch of a running job whole or not at all, never a half-reset user. It is written beside
//! its target under another name, checked (it opens, its pages are sound, its rows are counted) and only
//! then given its name, so a failed backup leaves no file that looks like one.
//!
//! A restore replaces the database file, so nothing may have it open: `switchboard serve` holds a lock
//! on the database (`ServeLock`) for as long as it serves, and a restore takes the same lock or refuses.
//! On PostgreSQL, the operator's `pg_dump` and `pg_restore` do both (README).

use super::schema;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, SqlxSqliteConnector, Statement};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The tables a backup counts, for the operator to see that it holds what they expect.
const COUNTED: [(&str, &str, &str); 4] = [
    ("users", "user", "users"),
    ("bulk_jobs", "bulk job", "bulk jobs"),
    ("outbox_messages", "email", "emails"),
    ("audit_log", "audit entry", "audit entries"),
];

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups are for the embedded SQLite database; on PostgreSQL use pg_dump (the README says how)")]
    NotSqlite,
    #[error("{} already exists; back up to a new file (an earlier backup is never overwritten)", .0.display())]
    Exists(PathBuf),
    #[error("cannot write the backup in {}: {}", .0.display(), .1)]
    Unwritable(PathBuf, String),
    #[error("{} is not a Switchboard database that can be restored: {}", .0.display(), .1)]
    NotABackup(PathBuf, String),
    #[error("the database has no Switchboard tables: nothing to back up (is DATABASE_URL the right one?)")]
    Empty,
    #[error(
        "the database {} is in use by a running `switchboard serve`; stop it, then restore",
        .0.display()
    )]
    InUse(PathBuf),
    #[error("{0}")]
    Schema(#[from] schema::SchemaError),
    #[error("{0}")]
    Io(String),
}

/// The rows of each counted table in a database, as (table, how many).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts(pub Vec<(&'static str, u64)>);

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .zip(COUNTED)
            .map(|((_, n), (_, one, many))| crate::shared::words::count_of(*n, one, many))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// The file of a `sqlite:` database URL; `None` for another database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    SqliteConnectOptions::from_str(url).ok().map(|options| options.get_filename().to_path_buf())
}

/// Copies the database `db` (open on SQLite) to `to`, a file that must not exist yet; returns what the
/// copy holds.
pub async fn backup(db: &DatabaseConnection, to: &Path) -> Result<Counts, BackupError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_path_buf()));
    }
    if schema::status(db).await.map_err(|err| BackupError::Io(err.to_string()))?.applied.is_empty() {
        return Err(BackupError::Empty);
    }
    // A name of this backup's own: two backups to one file at once must not write over each other's
    // copy (the second to finish is then refused by `hard_link`).
    let partial = beside(to, &format!("partial-{}-{:08x}", std::process::id(), rand::random::<u32>()));
    let copied = db
        .execute(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [partial.to_string_lossy().into_owned().into()],
        ))
        .await;
    if let Err(err) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::Unwritable(folder_of(to), err.to_string()));
    }
    let counts = match check(&partial).await {
        Ok(counts) => counts,
        Err(reason) => {
            let _ = std::fs::remove_file(&partial);
            return Err(BackupError::Unwritable(folder_of(to), format!("the copy does not read back: {reason}")));
        }
    };
    // Refuses to replace a file made meanwhile (hard_link fails if `to` exists).
    std::fs::hard_link(&partial, to).and_then(|()| std::fs::remove_file(&partial)).map_err(|err| {
        let _ = std::fs::remove_file(&partial);
        BackupError::Unwritable(folder_of(to), err.to_string())
    })?;
    Ok(counts)
}

/// Puts the backup `from` in place of the database at `url`, which nothing may be serving; the database
/// it replaces is kept beside it (returned). The backup is checked first: a file that is not a sound
/// Switchboard database, or one a newer version made, is refused and nothing is changed. It is brought
/// up to date when the portal next opens it.
pub async fn restore(url: &str, from: &Path) -> Result<(Counts, Option<PathBuf>), BackupError> {
    let target = sqlite_file(url).ok_or(BackupError::NotSqlite)?;
    let counts = check(from).await.map_err(|reason| BackupError::NotABackup(from.to_path_buf(), reason))?;
    let _lock = ServeLock::take(&target)?;
    let incoming = beside(&target, "restoring");
    std::fs::copy(from, &incoming).map_err(|err| BackupError::Unwritable(folder_of(&target), err.to_string()))?;
    let kept = if target.exists() {
        // The WAL of the database replaced is folded into it first, so the file kept is whole.
        let old = file(&target, false).await.map_err(BackupError::Io)?;
        old.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .map_err(|err| BackupError::Io(format!("cannot close {}: {err}", target.display())))?;
        old.close().await.map_err(|err| BackupError::Io(err.to_string()))?;
        let kept = beside(&target, &format!("replaced-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
        std::fs::rename(&target, &kept).map_err(|err| BackupError::Io(err.to_string()))?;
        Some(kept)
    } else {
        None
    };
    for stale in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&target, stale));
    }
    std::fs::rename(&incoming, &target).map_err(|err| BackupError::Io(err.to_string()))?;
    Ok((counts, kept))
}

/// Opens the database file `path` read-only and checks it: sound pages, a Switchboard schema no newer
/// than this version's; counts its rows.
async fn check(path: &Path) -> Result<Counts, String> {
    if !path.is_file() {
        return Err("there is no such file".to_string());
    }
    let db = file(path, true).await?;
    let checked = counted(&db).await;
    db.close().await.map_err(|err| err.to_string())?;
    checked
}

async fn counted(db: &DatabaseConnection) -> Result<Counts, String> {
    let one = |sql: String| async move {
        db.query_one(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .map_err(|err| err.to_string())?
            .ok_or_else(String::new)
    };
    let integrity: String = one("PRAGMA integrity_check".into())
        .await
        .and_then(|row| row.try_get_by_index(0).map_err(|err| err.to_string()))
        .map_err(|err| format!("it is not a SQLite database ({err})"))?;
    if integrity != "ok" {
        return Err(format!("its pages are damaged ({integrity})"));
    }
    let status = schema::status(db).await.map_err(|err| err.to_string())?;
    if status.applied.is_empty() {
        return Err("it has no Switchboard tables".to_string());
    }
    if !status.unknown.is_empty() {
        return Err(schema::SchemaError::Newer(status.unknown).to_string());
    }
    let mut counts = Vec::new();
    for (table, ..) in COUNTED {
        let n: i64 = one(format!("SELECT COUNT(*) FROM {table}"))
            .await
            .and_then(|row| row.try_get_by_index(0).map_err(|err| err.to_string()))
            .map_err(|_| format!("it has no {table} table"))?;
        counts.push((table, u64::try_from(n).unwrap_or(0)));
    }
    Ok(Counts(counts))
}

/// The SQLite database file `path`, on one connection.
async fn file(path: &Path, read_only: bool) -> Result<DatabaseConnection, String> {
    let options = SqliteConnectOptions::new().filename(path).read_only(read_only);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|err| format!("cannot open {}: {err}", path.display()))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Held by `switchboard serve` (and by a restore) for as long as it uses a SQLite database: an advisory
/// lock on a file beside it, let go by the system when the process ends, however it ends.
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
}

impl ServeLock {
    /// Takes the lock of the database file `database`, or says it is in use.
    pub fn take(database: &Path) -> Result<ServeLock, BackupError> {
        if let Some(dir) = database.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| BackupError::Unwritable(dir.to_path_buf(), err.to_string()))?;
        }
        let path = with_suffix(database, ".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| BackupError::Unwritable(folder_of(&path), err.to_string()))?;
        match file.try_lock() {
            Ok(()) => Ok(ServeLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::InUse(database.to_path_buf())),
            Err(std::fs::TryLockError::Error(err)) => {
                Err(BackupError::Io(format!("cannot lock {}: {err}", path.display())))
            }
        }
    }
}

/// `path` with `suffix` added to its name (`switchboard.db` → `switchboard.db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A file beside `path` named for what it is: `switchboard.db.partial`.
fn beside(path: &Path, what: &str) -> PathBuf {
    with_suffix(path, &format!(".{what}"))
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
