//! The operator's brake on a domain's bulk work (`switchboard jobs hold` and `release`): while a domain
//! is held, its scheduled jobs wait past their time and the workers process no more of its users,
//! except as many as the operator lets through (to try a large job on a few users first, or, in the
//! end-to-end tests, to have a job stand still at a known point). Jobs can still be started,
//! scheduled and cancelled meanwhile; users being processed at that moment are finished. Replicas
//! agree, because the allowance is a column of the domain that each batch takes from in its own
//! transaction.

use crate::server::audit::{self, Action};
use crate::server::directory::domains;
use crate::server::entities::domain;
use crate::shared::error::AppError;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{prelude::*, DatabaseTransaction, QuerySelect};
use serde_json::json;

/// How much of a domain's bulk work may go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// As fast as the workers go.
    Free,
    /// Held, after this many more users (0: at once).
    HeldAfter(u32),
}

/// Sets the pace of the bulk work of the domain `name`, from the command line.
pub async fn set(db: &DatabaseConnection, name: &str, pace: Pace) -> Result<domain::Model, AppError> {
    let name = domains::normalize_name(name)?;
    let domain = domains::find(db, &name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no domain named {name}.")))?;
    let (allowance, action) = match pace {
        Pace::Free => (None, Action::BulkWorkReleased),
        Pace::HeldAfter(users) => (Some(i32::try_from(users).unwrap_or(i32::MAX)), Action::BulkWorkHeld),
    };
    domain::Entity::update_many()
        .col_expr(domain::Column::BulkAllowance, Expr::value(allowance))
        .filter(domain::Column::Id.eq(domain.id))
        .exec(db)
        .await?;
    audit::Entry::cli(action).domain(domain.id).detail(json!({ "users_let_through": allowance })).record(db).await?;
    Ok(domain)
}

/// The domains whose bulk work stands still: the worker neither starts their scheduled jobs nor claims
/// their users.
pub fn standing_still() -> SelectStatement {
    Query::select()
        .column(domain::Column::Id)
        .from(domain::Entity)
        .and_where(domain::Column::BulkAllowance.lte(0))
        .to_owned()
}

/// The users the domain still lets through while it is held; none while it is free.
pub async fn allowance(db: &impl ConnectionTrait, domain_id: i32) -> Result<Option<i32>, DbErr> {
    let held: Option<Option<i32>> = domain::Entity::find_by_id(domain_id)
        .select_only()
        .column(domain::Column::BulkAllowance)
        .into_tuple()
        .one(db)
        .await?;
    Ok(held.flatten())
}

/// Takes `users` from the domain's allowance, in the transaction that processes them; false when the
/// domain is held and lets fewer than that through (then none are taken, and the caller leaves them).
pub async fn take(txn: &DatabaseTransaction, domain_id: i32, users: usize) -> Result<bool, DbErr> {
    // Only a held domain's row is written: free domains' batches do not queue on it.
    if allowance(txn, domain_id).await?.is_none() {
        return Ok(true);
    }
    let users = i32::try_from(users).unwrap_or(i32::MAX);
    // The allowance is taken only if it is (still) enough: of replicas taking at once, the database
    // lets one at a time through this test.
    let taken = domain::Entity::update_many()
        .col_expr(domain::Column::BulkAllowance, Expr::col(domain::Column::BulkAllowance).sub(users))
        .filter(domain::Column::Id.eq(domain_id))
        .filter(domain::Column::BulkAllowance.gte(users))
        .exec(txn)
        .await?;
    Ok(taken.rows_affected == 1)
}
