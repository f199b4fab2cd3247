//! Claiming rows of a work table under a lease, as the job worker claims job items and the mail
//! dispatcher claims messages. A claim writes the claimant's token and an expiry on free rows; on
//! PostgreSQL `FOR UPDATE SKIP LOCKED` lets replicas claim disjoint rows side by side instead of queueing
//! (SQLite has one writer). A lease runs out on its own, so a replica that dies lets go of its rows.

use crate::server::db::ids::AmongIds;
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Query, SelectStatement, UpdateStatement, ValueType};
use sea_orm::{prelude::*, Condition, DatabaseBackend, Order};
use std::sync::atomic::{AtomicU64, Ordering};

/// Who claims rows: a name unique to this process and task, and a token per claim made of it, so that
/// a claim finds its own rows and a late claim of the same claimant never mistakes an earlier one's.
pub struct Claimant {
    name: String,
    claims: AtomicU64,
}

impl Claimant {
    pub fn new(task: &str) -> Self {
        let name = format!("{task}-{}-{:08x}", std::process::id(), rand::random::<u32>());
        Claimant { name, claims: AtomicU64::new(0) }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The token of a new claim.
    pub fn next_token(&self) -> String {
        format!("{}#{}", self.name, self.claims.fetch_add(1, Ordering::Relaxed))
    }
}

/// The columns of a table whose rows can be leased.
pub struct Columns<C> {
    pub id: C,
    /// Who holds the row (a claim's token), if anyone.
    pub owner: C,
    /// Until when.
    pub until: C,
}

/// Leases to `token`, for `lease`, up to `limit` rows of `E` that match `wanted` and that nobody holds
/// (or whose holder's lease ran out), lowest ids first; returns the rows this call took, as the claim
/// left them (`UPDATE … RETURNING`: one statement, not a write and then a read of what it wrote).
pub async fn claim<E: EntityTrait>(
    db: &DatabaseConnection,
    columns: &Columns<E::Column>,
    wanted: Condition,
    limit: u64,
    token: &str,
    lease: Duration,
) -> Result<Vec<E::Model>, DbErr> {
    let take = Query::update()
        .table(E::default())
        .value(columns.owner, token)
        .value(columns.until, Utc::now() + lease)
        .and_where(columns.id.in_subquery(free::<E>(columns, wanted, limit)))
        .to_owned();
    updated::<E>(db, columns, take).await
}

/// The ids of up to `limit` rows of `E` that match `wanted` and that nobody holds (or whose holder's
/// lease ran out), lowest first. On PostgreSQL the rows are locked until the transaction ends, and rows
/// that another transaction locked are skipped: an `UPDATE` of them in a transaction takes them without
/// a lease, for as long as it lasts.
pub fn free<E: EntityTrait>(columns: &Columns<E::Column>, wanted: Condition, limit: u64) -> SelectStatement {
    Query::select()
        .column(columns.id)
        .from(E::default())
        .cond_where(wanted)
        .cond_where(Condition::any().add(columns.until.is_null()).add(columns.until.lt(Utc::now())))
        .order_by(columns.id, Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned()
}

/// Runs `update` and returns the rows it changed, as it left them, in order of id (`UPDATE … RETURNING`).
async fn updated<E: EntityTrait>(
    db: &impl ConnectionTrait,
    columns: &Columns<E::Column>,
    mut update: UpdateStatement,
) -> Result<Vec<E::Model>, DbErr> {
    update.returning_all();
    let mut rows = E::find().from_raw_sql(db.get_database_backend().build(&update)).all(db).await?;
    // RETURNING gives no order.
    rows.sort_by_key(|row| <i32 as ValueType>::try_from(row.get(columns.id)).ok());
    Ok(rows)
}

/// Lets go of the rows `ids` while they are held under `token`, leaving them for a later claim.
pub async fn release<E: EntityTrait>(
    db: &DatabaseConnection,
    columns: &Columns<E::Column>,
    token: &str,
    ids: &[i32],
) -> Result<(), DbErr> {
    E::update_many()
        .col_expr(columns.owner, Expr::value(None::<String>))
        .col_expr(columns.until, Expr::value(None::<chrono::DateTime<Utc>>))
        .filter(columns.id.among(db.get_database_backend(), ids.iter().copied()))
        .filter(columns.owner.eq(token))
        .exec(db)
        .await
        .map(|_| ())
}

/// Lets go of every lease on `E`'s rows. For SQLite at start-up only: SQLite is served by one process,
/// so a lease found then belongs to a process that is gone, and its rows are taken up at once rather
/// than when the lease runs out. (On PostgreSQL other replicas may hold leases; they run out.)
pub async fn release_stale<E: EntityTrait>(db: &DatabaseConnection, columns: &Columns<E::Column>) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(());
    }
    E::update_many()
        .col_expr(columns.owner, Expr::value(None::<String>))
        .col_expr(columns.until, Expr::value(None::<chrono::DateTime<Utc>>))
        .filter(columns.owner.is_not_null())
        .exec(db)
        .await
        .map(|_| ())
}
