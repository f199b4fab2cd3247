//! A database that cannot take writes for now, told apart from one that refuses the write asked of it:
//! its disk is full, it is read-only (a read-only file, a standby after a failover), busy or shutting
//! down. Work that meets it is left as it was, to be done again later, instead of being marked failed;
//! a request that meets it is told so, rather than that something went wrong.

use sea_orm::{sqlx, DbErr, RuntimeErr};

/// Why the database cannot take writes for now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unwritable {
    /// Another writer held it past the busy timeout, or it is shutting down or short of memory or
    /// connections: a moment later it may well work.
    Busy,
    /// Its storage is full, read-only or failing: it takes the operator.
    NoRoom,
}

impl Unwritable {
    /// Why `err` says the database cannot take writes for now, if it says so; from the database's own
    /// error code.
    pub fn of(err: &DbErr) -> Option<Unwritable> {
        let (DbErr::Exec(RuntimeErr::SqlxError(sqlx::Error::Database(refusal)))
        | DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::Database(refusal)))) = err
        else {
            return None;
        };
        let code = refusal.code()?;
        // Told apart by the driver, not by the code's shape: PostgreSQL's SQLSTATEs are often digits
        // only ("53100", a full disk), which would read as SQLite's numbers.
        if refusal.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
            let extended = code.parse::<i32>().ok()?;
            // SQLite's result codes, whose low byte is the primary code.
            return match extended & 0xff {
                5 => Some(Unwritable::Busy),             // SQLITE_BUSY
                8 | 10 | 13 => Some(Unwritable::NoRoom), // SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL
                _ => None,
            };
        }
        // PostgreSQL's SQLSTATEs.
        match &*code {
            "53100" | "25006" => Some(Unwritable::NoRoom), // disk_full, read_only_sql_transaction
            // Insufficient resources (out of memory, too many connections), operator intervention.
            _ if code.starts_with("53") || code.starts_with("57P") => Some(Unwritable::Busy),
            _ => None,
        }
    }
}
