//! A domain's users per hour (`BULK_USERS_PER_HOUR`, no limit unless set): the most users of one
//! domain that the workers of every replica together process in any hour, so that a provider can
//! spread a tenant's large jobs over time and spare the phone system behind it. Beyond it the domain's
//! jobs stay running and wait, untouched, until users done more than an hour ago make room.
//!
//! The count is of the domain's items done in the last hour, read in the transaction that does the
//! next batch, after that batch's items are marked: the batch goes ahead only if the count is still
//! within the limit. On PostgreSQL the transaction first locks the domain's row, so that batches of
//! one domain on several replicas count one after the other (a burst of claims cannot all see room
//! for themselves); on SQLite the batch's transaction holds the only write lock already.

use crate::server::entities::{bulk_job, bulk_job_item, domain};
use crate::shared::bulk::ItemState;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, LockType, Order, Query, SelectStatement};
use sea_orm::{prelude::*, Condition, DatabaseBackend, DatabaseTransaction, QuerySelect};
use std::collections::HashMap;

/// The window the limit counts over.
const WINDOW: Duration = Duration::hours(1);

/// The users of `domains` done in the last hour, by domain (a domain with none is left out).
pub async fn used(db: &impl ConnectionTrait, domains: &[i32]) -> Result<HashMap<i32, u64>, DbErr> {
    let backend = db.get_database_backend();
    let mut counts = HashMap::new();
    for row in db.query_all(backend.build(&done_lately(domains))).await? {
        let (domain, users): (i32, i64) = (row.try_get("", "domain_id")?, row.try_get("", "users")?);
        counts.insert(domain, users.unsigned_abs());
    }
    Ok(counts)
}

/// Whether the domain is still within `limit` users in the last hour, counting the batch that `txn`
/// has just marked done; waits, on PostgreSQL, for other replicas' batches of the domain to end.
pub async fn within(txn: &DatabaseTransaction, domain_id: i32, limit: u32) -> Result<bool, DbErr> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        domain::Entity::find_by_id(domain_id)
            .select_only()
            .column(domain::Column::Id)
            .lock(LockType::Update)
            .into_tuple::<i32>()
            .one(txn)
            .await?;
    }
    Ok(used(txn, &[domain_id]).await?.get(&domain_id).copied().unwrap_or(0) <= u64::from(limit))
}

/// When the domain has room for a user again under `limit`, if it has had its users for this hour: once
/// as many of the users done in the window as it is over have left it, the oldest first.
pub async fn room_again(db: &impl ConnectionTrait, domain_id: i32, limit: u32) -> Result<Option<DateTime<Utc>>, DbErr> {
    let used = used(db, &[domain_id]).await?.get(&domain_id).copied().unwrap_or(0);
    let Some(over) = used.checked_sub(u64::from(limit)) else { return Ok(None) };
    let finished = (bulk_job_item::Entity, bulk_job_item::Column::FinishedAt);
    let leaving =
        done_within(&[domain_id]).column(finished).order_by(finished, Order::Asc).offset(over).limit(1).to_owned();
    let backend = db.get_database_backend();
    let Some(row) = db.query_one(backend.build(&leaving)).await? else { return Ok(None) };
    let left_at: DateTime<Utc> = row.try_get_by_index(0)?;
    Ok(Some(left_at + WINDOW))
}

/// How many items of each of `domains`' jobs were done within the window (`domain_id`, `users`).
fn done_lately(domains: &[i32]) -> SelectStatement {
    done_within(domains)
        .column((bulk_job::Entity, bulk_job::Column::DomainId))
        .expr_as(Expr::col((bulk_job_item::Entity, bulk_job_item::Column::Id)).count(), Alias::new("users"))
        .group_by_col((bulk_job::Entity, bulk_job::Column::DomainId))
        .to_owned()
}

/// The items of `domains`' jobs done within the window, with their jobs (no column chosen yet).
fn done_within(domains: &[i32]) -> SelectStatement {
    let since = Utc::now() - WINDOW;
    Query::select()
        .from(bulk_job_item::Entity)
        .inner_join(
            bulk_job::Entity,
            Expr::col((bulk_job::Entity, bulk_job::Column::Id))
                .equals((bulk_job_item::Entity, bulk_job_item::Column::JobId)),
        )
        .and_where(Expr::col((bulk_job::Entity, bulk_job::Column::DomainId)).is_in(domains.iter().copied()))
        // Jobs that ended before the window have no item in it: their items are not read.
        .cond_where(
            Condition::any()
                .add(Expr::col((bulk_job::Entity, bulk_job::Column::FinishedAt)).is_null())
                .add(Expr::col((bulk_job::Entity, bulk_job::Column::FinishedAt)).gt(since)),
        )
        .and_where(Expr::col((bulk_job_item::Entity, bulk_job_item::Column::State)).eq(ItemState::Done))
        .and_where(Expr::col((bulk_job_item::Entity, bulk_job_item::Column::FinishedAt)).gt(since))
        .to_owned()
}
