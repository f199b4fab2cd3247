//! Sign-in throttling. Failed sign-ins are counted against the login tried and against the client's
//! address; too many within a window lock that login (or address) for a while, during which every
//! attempt is refused before any password is checked, even the right one. Counts and locks live in
//! the database, so that replicas share them. A lock and its lifting go to the audit log.
//!
//! A login that does not exist is counted and locked like one that does: otherwise the lock would tell
//! which logins exist. A successful sign-in clears its login's count but not its address's, so that
//! an attacker cannot clear their address's count by signing in to an account of their own.

use crate::error::AppError;
use crate::server::audit::{self, Action};
use crate::server::entities::{signin_failure, signin_lock};
use crate::server::settings::{span, Limit, SigninLimits};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{prelude::*, ActiveValue::Set};
use serde_json::json;
use std::net::IpAddr;

/// What failures are counted against.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Key {
    /// The login as typed (trimmed, lower case), whether or not it exists.
    Login(String),
    Addr(IpAddr),
}

impl Key {
    fn column(&self) -> String {
        match self {
            Key::Login(login) => format!("login:{login}"),
            Key::Addr(addr) => format!("addr:{addr}"),
        }
    }

    fn limit(&self, limits: &SigninLimits) -> Limit {
        match self {
            Key::Login(_) => limits.per_login,
            Key::Addr(_) => limits.per_addr,
        }
    }

    /// An audit entry about this login or address.
    fn entry(&self, action: Action, detail: serde_json::Value) -> audit::Entry {
        match self {
            Key::Login(login) => audit::Entry::anonymous(login, action).detail(detail),
            Key::Addr(addr) => audit::Entry::anonymous(&format!("address {addr}"), action)
                .detail(detail)
                .from_addr(Some(addr.to_string())),
        }
    }
}

/// One sign-in attempt, as the throttle sees it.
pub struct Attempt {
    keys: Vec<Key>,
}

impl Attempt {
    /// `login` as the sign-in form normalised it; `addr` the client's address, if known.
    pub fn new(login: &str, addr: Option<IpAddr>) -> Self {
        let mut keys = vec![Key::Login(login.to_string())];
        keys.extend(addr.map(Key::Addr));
        Attempt { keys }
    }

    fn columns(&self) -> Vec<String> {
        self.keys.iter().map(Key::column).collect()
    }
}

/// Refuses the attempt if its login or address is locked: `TooManyAttempts`, with the minutes left.
/// Locks that have run out are lifted here, at the next attempt, and their lifting audited.
pub async fn check(db: &DatabaseConnection, attempt: &Attempt) -> Result<(), AppError> {
    let now = Utc::now();
    let locks = signin_lock::Entity::find().filter(signin_lock::Column::Key.is_in(attempt.columns())).all(db).await?;
    let mut until: Option<DateTime<Utc>> = None;
    for lock in locks {
        if lock.until > now {
            until = until.max(Some(lock.until));
            continue;
        }
        // Of replicas lifting the same lock, one deletes it and says so.
        let lifted = signin_lock::Entity::delete_many()
            .filter(signin_lock::Column::Key.eq(&lock.key))
            .filter(signin_lock::Column::Until.eq(lock.until))
            .exec(db)
            .await?;
        if let Some(key) = attempt.keys.iter().find(|key| key.column() == lock.key).filter(|_| lifted.rows_affected > 0)
        {
            key.entry(Action::SignInUnlocked, json!({ "locked_at": lock.locked_at, "until": lock.until }))
                .record(db)
                .await?;
        }
    }
    match until {
        Some(until) => Err(AppError::TooManyAttempts { minutes: minutes_left(until - now) }),
        None => Ok(()),
    }
}

/// Whole minutes, rounded up: "Try again in 15 minutes" right after a 15-minute lock starts.
fn minutes_left(left: chrono::Duration) -> u64 {
    u64::try_from(left.num_seconds().max(1)).unwrap_or(1).div_ceil(60)
}

/// Counts a failed attempt; locks its login or address if that makes too many within the window.
pub async fn failed(db: &DatabaseConnection, limits: &SigninLimits, attempt: &Attempt) -> Result<(), DbErr> {
    let now = Utc::now();
    let since = now - span(limits.window);
    let rows = attempt.keys.iter().map(|key| signin_failure::ActiveModel {
        key: Set(key.column()),
        at: Set(now),
        ..Default::default()
    });
    signin_failure::Entity::insert_many(rows).exec(db).await?;
    // Housekeeping: failures out of the window count for nothing.
    signin_failure::Entity::delete_many().filter(signin_failure::Column::At.lt(since)).exec(db).await?;
    for key in &attempt.keys {
        let limit = key.limit(limits);
        let failures = signin_failure::Entity::find()
            .filter(signin_failure::Column::Key.eq(key.column()))
            .filter(signin_failure::Column::At.gte(since))
            .count(db)
            .await?;
        if failures >= u64::from(limit.max_failures) {
            lock(db, key, limit, failures).await?;
        }
    }
    Ok(())
}

/// Locks `key` for `limit.lock`, and starts its count again for after the lock.
async fn lock(db: &DatabaseConnection, key: &Key, limit: Limit, failures: u64) -> Result<(), DbErr> {
    let now = Utc::now();
    let until = now + span(limit.lock);
    let lock = signin_lock::ActiveModel { key: Set(key.column()), locked_at: Set(now), until: Set(until) };
    // Of replicas locking at once, one writes the lock and audits it.
    let inserted = signin_lock::Entity::insert(lock)
        .on_conflict(OnConflict::column(signin_lock::Column::Key).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    signin_failure::Entity::delete_many().filter(signin_failure::Column::Key.eq(key.column())).exec(db).await?;
    if inserted > 0 {
        tracing::warn!(key = %key.column(), %until, failures, "sign-in locked after too many failures");
        key.entry(Action::SignInLocked, json!({ "failures": failures, "until": until })).record(db).await?;
    }
    Ok(())
}

/// A successful sign-in clears its login's count.
pub async fn succeeded(db: &DatabaseConnection, attempt: &Attempt) -> Result<(), DbErr> {
    let logins: Vec<String> = attempt.keys.iter().filter(|key| matches!(key, Key::Login(_))).map(Key::column).collect();
    signin_failure::Entity::delete_many().filter(signin_failure::Column::Key.is_in(logins)).exec(db).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_rounded_up() {
        assert_eq!(minutes_left(chrono::Duration::seconds(900)), 15);
        assert_eq!(minutes_left(chrono::Duration::seconds(899)), 15);
        assert_eq!(minutes_left(chrono::Duration::seconds(61)), 2);
        assert_eq!(minutes_left(chrono::Duration::seconds(1)), 1);
        assert_eq!(minutes_left(chrono::Duration::milliseconds(10)), 1);
    }

    #[test]
    fn an_attempt_counts_against_its_login_and_its_address() {
        let attempt = Attempt::new("200@a.example", Some("203.0.113.9".parse().unwrap()));
        assert_eq!(attempt.columns(), ["login:200@a.example", "addr:203.0.113.9"]);
        assert_eq!(Attempt::new("x", None).columns(), ["login:x"]);
    }
}
