//! Which migrations a database has had, and bringing it up to date. A database moves forward only:
//! one that a newer Switchboard has migrated (after an upgrade that was rolled back, or a replica left
//! on the old version) is refused before anything is written to it, because this version's code would
//! misread the newer schema. `switchboard migrate --status` shows the same.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};

/// An arbitrary, fixed key for PostgreSQL's advisory lock: replicas starting together migrate one at a time.
const MIGRATION_LOCK_KEY: i64 = 0x5357_4254_4452_4d47;

/// Where sea-orm-migration records what it applied.
const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// Why a database cannot be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "this database was migrated by a newer version of Switchboard (it has {} that this version does not \
         know: {}); nothing was changed. Run that version, or restore a backup made before the upgrade.",
        if .0.len() == 1 { "a migration" } else { "migrations" },
        .0.join(", ")
    )]
    Newer(Vec<String>),
    #[error("{0}")]
    Database(#[from] DbErr),
}

/// The migrations of this version against a database's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Applied, in order.
    pub applied: Vec<String>,
    /// This version's migrations the database has not had yet, in the order they will run.
    pub pending: Vec<String>,
    /// Applied, but not migrations of this version: a newer version made them.
    pub unknown: Vec<String>,
}

/// The names of this version's migrations, oldest first.
pub fn known() -> Vec<String> {
    Migrator::migrations().iter().map(|migration| migration.name().to_string()).collect()
}

/// Reads what the database has had, writing nothing (a new database has had nothing).
pub async fn status(db: &impl ConnectionTrait) -> Result<Status, DbErr> {
    let backend = db.get_database_backend();
    let applied: Vec<String> = if has_migrations_table(db).await? {
        let sql = format!("SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version");
        let rows = db.query_all(Statement::from_string(backend, sql)).await?;
        rows.iter().map(|row| row.try_get_by_index::<String>(0)).collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let known = known();
    Ok(Status {
        pending: known.iter().filter(|name| !applied.contains(name)).cloned().collect(),
        unknown: applied.iter().filter(|name| !known.contains(name)).cloned().collect(),
        applied,
    })
}

async fn has_migrations_table(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
        _ => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    let row = db.query_one(Statement::from_sql_and_values(backend, sql, [MIGRATIONS_TABLE.into()])).await?;
    Ok(row.map(|row| row.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0) > 0)
}

/// Applies the pending migrations, unless a newer version has migrated the database.
pub async fn upgrade(db: &DatabaseConnection) -> Result<(), SchemaError> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // Several replicas may start at once; the transaction-scoped lock serialises them and is
            // released by the commit. Each looks at the status once it holds the lock.
            let txn = db.begin().await?;
            txn.execute(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [MIGRATION_LOCK_KEY.into()],
            ))
            .await?;
            refuse_newer(&txn).await?;
            Migrator::up(&txn, None).await?;
            Ok(txn.commit().await?)
        }
        _ => {
            refuse_newer(db).await?;
            Ok(Migrator::up(db, None).await?)
        }
    }
}

async fn refuse_newer(db: &impl ConnectionTrait) -> Result<(), SchemaError> {
    let status = status(db).await?;
    if status.unknown.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Newer(status.unknown))
    }
}
