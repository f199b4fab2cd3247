//! Sign-in throttling. Sign-ins are counted against the account tried (or, for a login that names no
//! account, the login as typed) and against the client's address (an IPv6 client by its /64, the
//! network one household or server gets); too many failures within a window lock that account, login
//! or address for a while, during which every attempt is refused before any password is checked, even
//! the right one. Counts and locks live in the database, so that replicas share them. A lock and its
//! lifting go to the audit log.
//!
//! An attempt takes its place in the count *before* its password is checked (`reserve`): one row per
//! key holds the attempts of its window, and a place is taken by a single conditional update, "one
//! more, if fewer than the limit", which the database applies to one attempt at a time. However many
//! attempts arrive together, on however many replicas, exactly the limit's worth get a place and are
//! checked; the rest are refused before any password is. A success gives its place back and clears the
//! account's count; a failure keeps it, and the failure that fills the count locks. A window starts
//! with its first attempt and lasts `SigninLimits::window`.
//!
//! An account is one key whichever login names it (its extension or its email address). A login that
//! does not exist is counted and locked like one that does: otherwise the lock would tell which logins
//! exist. A successful sign-in clears its account's count but not its address's, so that an attacker
//! cannot clear their address's count by signing in to an account of their own.

use crate::server::audit::{self, Action};
use crate::server::entities::{signin_count, signin_lock};
use crate::server::settings::{span, Limit, SigninLimits};
use crate::shared::error::AppError;
use chrono::{DateTime, Utc};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{prelude::*, ActiveValue::Set, Condition};
use serde_json::json;
use std::net::IpAddr;

/// What sign-ins are counted against.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Key {
    /// An account the login names (by its extension login or its email address).
    Account { id: i32, login: String },
    /// A login that names no account, as typed (trimmed, lower case).
    Login(String),
    /// The client's network: its IPv4 address, or its IPv6 /64.
    Addr(IpNet),
}

impl Key {
    fn column(&self) -> String {
        match self {
            Key::Account { id, .. } => format!("account:{id}"),
            Key::Login(login) => format!("login:{login}"),
            Key::Addr(net) => format!("addr:{}", shown(net)),
        }
    }

    fn limit(&self, limits: &SigninLimits) -> Limit {
        match self {
            Key::Account { .. } | Key::Login(_) => limits.per_login,
            Key::Addr(_) => limits.per_addr,
        }
    }

    /// An audit entry about this account, login or address.
    fn entry(&self, action: Action, detail: serde_json::Value) -> audit::Entry {
        match self {
            Key::Account { id, login } => audit::Entry::new(login.clone(), None, action).target(*id).detail(detail),
            Key::Login(login) => audit::Entry::anonymous(login, action).detail(detail),
            Key::Addr(net) => audit::Entry::anonymous(&format!("address {}", shown(net)), action)
                .detail(detail)
                .from_addr(Some(shown(net))),
        }
    }
}

/// An IPv4 client's address as it is (`203.0.113.9`), an IPv6 client's network with its length
/// (`2001:db8:1:2::/64`).
fn shown(net: &IpNet) -> String {
    match net {
        IpNet::V4(net) => net.addr().to_string(),
        IpNet::V6(net) => net.to_string(),
    }
}

/// What one client is counted as: an IPv4 address, or the /64 an IPv6 address is in (a client is
/// given a whole /64 and can pick any address in it).
fn network(addr: IpAddr) -> IpNet {
    match addr {
        IpAddr::V4(v4) => IpNet::V4(Ipv4Net::from(v4)),
        IpAddr::V6(v6) => IpNet::V6(Ipv6Net::new(v6, 64).map(|net| net.trunc()).unwrap_or_else(|_| Ipv6Net::from(v6))),
    }
}

/// One sign-in attempt, as the throttle sees it.
pub struct Attempt {
    keys: Vec<Key>,
}

impl Attempt {
    /// `login` as the sign-in form normalised it; `accounts` the ids and logins of the accounts it names
    /// (none for a login that names nobody); `addr` the client's address, if known.
    pub fn new(login: &str, accounts: &[(i32, String)], addr: Option<IpAddr>) -> Self {
        let mut keys: Vec<Key> =
            accounts.iter().map(|(id, login)| Key::Account { id: *id, login: login.clone() }).collect();
        if keys.is_empty() {
            keys.push(Key::Login(login.to_string()));
        }
        keys.extend(addr.map(|addr| Key::Addr(network(addr))));
        Attempt { keys }
    }

    /// An attempt counted against the client's address alone: a bearer token tried (`provisioning`).
    pub fn from_address(addr: Option<IpAddr>) -> Self {
        Attempt { keys: addr.map(|addr| Key::Addr(network(addr))).into_iter().collect() }
    }

    fn columns(&self) -> Vec<String> {
        self.keys.iter().map(Key::column).collect()
    }
}

/// Refuses the attempt if its account, login or address is locked: `TooManyAttempts`, with the minutes
/// left. Locks that have run out are lifted here, at the next attempt, and their lifting audited.
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
            restart(db, &lock.key).await?;
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

/// An attempt's places in the counts of its keys, taken before its password is checked: a failure
/// until it is known to be anything else.
#[must_use = "a reservation is settled by `failed` or `succeeded`"]
pub struct Reservation {
    keys: Vec<Key>,
}

/// Takes the attempt's place in the count of each of its keys; refuses it (`TooManyAttempts`, giving
/// back the places it took) if any key's count is full.
pub async fn reserve(
    db: &DatabaseConnection,
    limits: &SigninLimits,
    attempt: Attempt,
) -> Result<Reservation, AppError> {
    let now = Utc::now();
    let mut taken = Reservation { keys: Vec::new() };
    for key in attempt.keys {
        let limit = key.limit(limits);
        if !take_place(db, &key, limit, now - span(limits.window)).await? {
            taken.give_back(db).await?;
            return Err(AppError::TooManyAttempts { minutes: minutes_left(span(limit.lock)) });
        }
        taken.keys.push(key);
    }
    Ok(taken)
}

/// One more attempt of `key`, if its count (in a window begun after `cutoff`) is not full; a count
/// whose window has passed starts again with this attempt.
async fn take_place(db: &DatabaseConnection, key: &Key, limit: Limit, cutoff: DateTime<Utc>) -> Result<bool, DbErr> {
    let now = Utc::now();
    let fresh = signin_count::ActiveModel { key: Set(key.column()), attempts: Set(0), since: Set(now) };
    signin_count::Entity::insert(fresh)
        .on_conflict(OnConflict::column(signin_count::Column::Key).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    let passed = Expr::col(signin_count::Column::Since).lt(cutoff);
    let max = i32::try_from(limit.max_failures).unwrap_or(i32::MAX);
    // One statement: the database checks and counts for one attempt at a time (a row lock on
    // PostgreSQL, which reads the row again once it has it; the one writer on SQLite).
    let taken = signin_count::Entity::update_many()
        .col_expr(
            signin_count::Column::Attempts,
            Expr::case(passed.clone(), 1).finally(Expr::col(signin_count::Column::Attempts).add(1)).into(),
        )
        .col_expr(
            signin_count::Column::Since,
            Expr::case(passed.clone(), now).finally(Expr::col(signin_count::Column::Since)).into(),
        )
        .filter(signin_count::Column::Key.eq(key.column()))
        .filter(Condition::any().add(passed).add(signin_count::Column::Attempts.lt(max)))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

impl Reservation {
    /// Gives the places back: the attempt turned out not to be a failure, or was not checked.
    async fn give_back(self, db: &DatabaseConnection) -> Result<(), DbErr> {
        for key in &self.keys {
            signin_count::Entity::update_many()
                .col_expr(signin_count::Column::Attempts, Expr::col(signin_count::Column::Attempts).sub(1))
                .filter(signin_count::Column::Key.eq(key.column()))
                .filter(signin_count::Column::Attempts.gt(0))
                .exec(db)
                .await?;
        }
        Ok(())
    }

    /// The password was wrong: the places stay counted as failures, and each key whose count is full
    /// is locked.
    pub async fn failed(self, db: &DatabaseConnection, limits: &SigninLimits) -> Result<(), DbErr> {
        // Housekeeping on the failure path: a count whose window has passed counts for nothing (a guess at
        // a thousand made-up logins leaves no thousand rows behind).
        signin_count::Entity::delete_many()
            .filter(signin_count::Column::Since.lt(Utc::now() - span(limits.window)))
            .exec(db)
            .await?;
        for key in &self.keys {
            let limit = key.limit(limits);
            let count = signin_count::Entity::find_by_id(key.column()).one(db).await?;
            let attempts = count.map_or(0, |count| count.attempts);
            if attempts >= i32::try_from(limit.max_failures).unwrap_or(i32::MAX) {
                lock(db, key, limit, attempts).await?;
            }
        }
        Ok(())
    }

    /// The attempt signed in to account `user_id`: its places are given back, and that account's count
    /// starts again.
    pub async fn succeeded(self, db: &DatabaseConnection, user_id: i32) -> Result<(), DbErr> {
        let account = Key::Account { id: user_id, login: String::new() }.column();
        self.give_back(db).await?;
        restart(db, &account).await
    }
}

/// Starts `key`'s count again, from nothing.
async fn restart(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    signin_count::Entity::delete_by_id(key.to_string()).exec(db).await.map(|_| ())
}

/// Locks `key` for `limit.lock`. Its count stays full meanwhile, so that no attempt that came before the
/// lock was seen gets a place; it starts again when the lock is lifted.
async fn lock(db: &DatabaseConnection, key: &Key, limit: Limit, failures: i32) -> Result<(), DbErr> {
    let now = Utc::now();
    let until = now + span(limit.lock);
    let lock = signin_lock::ActiveModel { key: Set(key.column()), locked_at: Set(now), until: Set(until) };
    // Of replicas locking at once, one writes the lock and audits it.
    let inserted = signin_lock::Entity::insert(lock)
        .on_conflict(OnConflict::column(signin_lock::Column::Key).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    if inserted > 0 {
        // `?`: the key holds a login as typed, and a line break in it must not start a fake log line.
        tracing::warn!(key = ?key.column(), %until, failures, "sign-in locked after too many failures");
        key.entry(Action::SignInLocked, json!({ "failures": failures, "until": until })).record(db).await?;
    }
    Ok(())
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
    fn an_attempt_counts_against_the_accounts_it_names_or_its_login_and_its_address() {
        let accounts = [(7, "200@a.example".to_string()), (9, "300@b.example".to_string())];
        let attempt = Attempt::new("olga@a.example", &accounts, Some("203.0.113.9".parse().unwrap()));
        assert_eq!(attempt.columns(), ["account:7", "account:9", "addr:203.0.113.9"]);
        assert_eq!(Attempt::new("x", &[], None).columns(), ["login:x"]);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let one = Attempt::new("x", &[], Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let other = Attempt::new("x", &[], Some("2001:db8:1:2:ffff:1:2:3".parse().unwrap()));
        let elsewhere = Attempt::new("x", &[], Some("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(one.columns()[1], "addr:2001:db8:1:2::/64");
        assert_eq!(one.columns(), other.columns());
        assert_ne!(one.columns(), elsewhere.columns());
    }
}
